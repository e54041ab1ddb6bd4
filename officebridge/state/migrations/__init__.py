"""Alembic migrations of the state store (run through `officebridge.state.migrate`)."""
