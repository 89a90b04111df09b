"""The case store's tables (SQLAlchemy 2 ORM). The schema itself is created by Alembic
(migrations/versions); these classes must match the latest migration.

    cases          one row per case: opaque id, the case's own id label, owner, timestamps, soft-delete mark
    case_versions  every version of a case's JSON payload; rows are only ever added
    case_results   the engine's language-neutral result of a case version, per knowledge-base version,
                   region and alknav version (computed once, rendered in any language)
    audit          who did what to which case, when (never the payload)
    api_keys       named keys, stored as a salted scrypt hash, each with an owner and a role

A key sees only the cases of its owner (by default the key itself; keys given the same owner share
cases, e.g. a team or a rotated key). A key with role "admin" sees every case.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    label: Mapped[str | None] = mapped_column(String(200))
    latest_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(40))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[str | None] = mapped_column(String(40))
    owner: Mapped[str | None] = mapped_column(String(100), index=True)


class CaseVersionRow(Base):
    __tablename__ = "case_versions"
    __table_args__ = (UniqueConstraint("case_id", "version", name="uq_case_versions_case_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(36), ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(40))


class CaseResultRow(Base):
    __tablename__ = "case_results"
    __table_args__ = (UniqueConstraint("case_id", "version", "knowledge_version", "region", "alknav_version",
                                       name="uq_case_results_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(36), ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    knowledge_version: Mapped[str] = mapped_column(String(50))
    region: Mapped[str] = mapped_column(String(10))
    alknav_version: Mapped[str] = mapped_column(String(50))
    result: Mapped[str] = mapped_column(Text)  # alknav.recommend.result.dump_result
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[str | None] = mapped_column(String(36), index=True)
    key_id: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    salt: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    owner: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(10), default="user", server_default="user")
