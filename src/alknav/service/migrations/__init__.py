"""Alembic migrations of the case store (run by alknav.service.store.migrate)."""
