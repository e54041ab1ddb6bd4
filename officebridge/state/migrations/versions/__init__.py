"""Alembic revision scripts of the state store, one per schema change."""
