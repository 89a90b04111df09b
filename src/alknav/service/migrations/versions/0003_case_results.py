"""case results: the engine's language-neutral result of one case version, stored once

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

One row per (case, version, knowledge-base version, region, alknav version). The result text is the
stable JSON of alknav.recommend.result.dump_result, rendered into any language on request. Text, not
JSON: PostgreSQL's JSONB would reorder keys, and the stored form must come back byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("knowledge_version", sa.String(50), nullable=False),
        sa.Column("region", sa.String(10), nullable=False),
        sa.Column("alknav_version", sa.String(50), nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("case_id", "version", "knowledge_version", "region", "alknav_version",
                            name="uq_case_results_key"),
    )
    op.create_index("ix_case_results_case_id", "case_results", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_results_case_id", table_name="case_results")
    op.drop_table("case_results")
