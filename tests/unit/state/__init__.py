"""Tests of officebridge.state (real SQLite files and real PostgreSQL)."""
