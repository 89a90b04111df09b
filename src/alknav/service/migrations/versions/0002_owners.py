"""owners: cases belong to an owner (a key, or a team of keys); keys may be admins

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Existing keys become their own owner; existing cases belong to the key that created them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("owner", sa.String(100), nullable=True))
        batch.add_column(sa.Column("role", sa.String(10), nullable=False, server_default="user"))
    op.execute("UPDATE api_keys SET owner = id WHERE owner IS NULL")
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("owner", sa.String(100), nullable=True))
        batch.create_index("ix_cases_owner", ["owner"])
    op.execute("UPDATE cases SET owner = (SELECT api_keys.owner FROM api_keys WHERE api_keys.id = cases.created_by) "
               "WHERE owner IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_owner")
        batch.drop_column("owner")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("role")
        batch.drop_column("owner")
