"""The case store: an engine, the migrations, and the case operations.

Every case operation writes its audit row in the same transaction as the change (or the read).
Versions are only ever added; deleting a case marks it deleted and keeps every version.

Every case operation takes ``scope``: the owner whose cases the caller may touch, or None for an
admin (every case). A case outside the scope is answered exactly like a missing one (the caller
learns nothing about it) and the attempt is audited as "denied".
"""

from __future__ import annotations

import functools
import os
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from sqlalchemy import (
    ColumnElement,
    Engine,
    and_,
    create_engine,
    delete,
    event,
    func,
    inspect,
    make_url,
    or_,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from alknav.errors import AlknavError
from alknav.service.models import AuditRow, CaseResultRow, CaseRow, CaseVersionRow, utcnow
from alknav.service.settings import Settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_MS = 5000  # how long SQLite itself waits for another process's write lock
RETRY_SECONDS = 30.0  # then the store retries with backoff for this long before answering "busy"

P = ParamSpec("P")
T = TypeVar("T")


class StoreBusy(AlknavError):
    """The database stayed locked by other writers for RETRY_SECONDS: the caller may retry (503)."""

    def __init__(self) -> None:
        super().__init__("the case store is busy; retry shortly")


def _locked(exc: OperationalError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text
ACTIONS = ("create", "read", "update", "delete", "list", "recommend", "denied")


@dataclass(frozen=True)
class CaseSummary:
    id: str
    label: str | None
    latest_version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CaseVersion:
    id: str
    label: str | None
    version: int
    latest_version: int
    payload: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ResultKey:
    """What a stored engine result depends on besides the case version: a result stored under another
    knowledge-base or alknav version is stale and never served."""

    knowledge_version: str
    region: str
    alknav_version: str


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver must not emit its own (deferred) BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_MS)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Take the write lock when a transaction starts: every store transaction writes (at least its
    audit row), and a deferred transaction that reads and then writes fails under concurrency."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _private_sqlite_file(url: str, default_dir: Path | None) -> None:
    """The database holds patient data in clear: its folder is created 0700 and the file 0600 before
    SQLite opens it (SQLite gives its -wal and -shm files the database file's permissions)."""
    if default_dir is not None and not default_dir.exists():
        default_dir.mkdir(parents=True, mode=0o700)
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)  # made before this rule, or by someone else's umask


def make_engine(settings: Settings) -> Engine:
    url = settings.url()
    if url.startswith("sqlite"):
        _private_sqlite_file(url, None if settings.database_url else settings.data_dir)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config() -> Config:
    """Alembic configuration built in code: no alembic.ini is read."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+)$", re.M)


def head_revisions() -> set[str]:
    """The newest migration(s): revisions no other migration revises (read from the files, so a
    database already at head is recognised without importing alembic, ~0.3 s of every start)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            ids = set(re.findall(r"[\"']([^\"']+)[\"']", value))
            (revisions if name == "revision" else revised).update(ids)
    return revisions - revised


def _at_head(engine: Engine) -> bool:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        current = {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
    return bool(current) and current == head_revisions()


def migrate(engine: Engine) -> None:
    """Bring the database to the latest schema (creates the tables when missing)."""
    if _at_head(engine):
        return
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def _label(payload: dict[str, Any]) -> str | None:
    """The case's own id, printable and at most 200 characters, for listings."""
    value = payload.get("id")
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    shown = "".join(ch for ch in str(value) if ch.isprintable()).strip()[:200]
    return shown or None


def retrying(method: Callable[P, T]) -> Callable[P, T]:
    """Run a store operation under the store's write lock, retrying with jittered exponential
    backoff while the database is locked by another process; StoreBusy (never a bare 500) when
    it stays locked for RETRY_SECONDS."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        store = args[0]
        assert isinstance(store, Store)
        return store.run(lambda: method(*args, **kwargs))

    return wrapper


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # SQLite has one writer at a time: threads of this process queue here, in order, instead of
        # polling SQLite's lock; other processes are met by busy_timeout and the retry in run()
        self._write_lock: AbstractContextManager[Any] = (
            threading.Lock() if engine.dialect.name == "sqlite" else nullcontext())

    def run(self, operation: Callable[[], T]) -> T:
        delay, deadline = 0.02, time.monotonic() + RETRY_SECONDS
        while True:
            try:
                with self._write_lock:
                    return operation()
            except OperationalError as exc:
                if not _locked(exc):
                    raise
                if time.monotonic() > deadline:
                    raise StoreBusy() from None
            time.sleep(delay + random.uniform(0, delay))
            delay = min(delay * 2, 1.0)

    @classmethod
    def open(cls, settings: Settings) -> Store:
        """Connect and migrate; AlknavError (without the password) when the database cannot be used."""
        try:
            engine = make_engine(settings)
            migrate(engine)
        except (SQLAlchemyError, OSError) as exc:
            shown = make_url(settings.url()).render_as_string(hide_password=True)
            raise AlknavError(f"cannot open the case store {shown}: {type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:200] if str(exc) else ''}") from None
        return cls(engine)

    def session(self) -> Session:
        return self._sessions()

    def close(self) -> None:
        self.engine.dispose()

    # ----------------------------------------------------------------- audit

    @staticmethod
    def _audit(session: Session, action: str, case_id: str | None, key_id: str | None) -> None:
        session.add(AuditRow(action=action, case_id=case_id, key_id=key_id, at=utcnow()))

    @retrying
    def audit_rows(self, case_id: str | None = None) -> list[tuple[str, str | None, str | None]]:
        """(action, case id, key id), oldest first — for tests and operators."""
        with self.session() as session:
            query = select(AuditRow).order_by(AuditRow.id)
            if case_id is not None:
                query = query.where(AuditRow.case_id == case_id)
            return [(r.action, r.case_id, r.key_id) for r in session.scalars(query)]

    # ----------------------------------------------------------------- cases

    @retrying
    def create(self, payload: dict[str, Any], key_id: str | None, owner: str | None = None) -> CaseVersion:
        now = utcnow()
        case_id = str(uuid.uuid4())
        with self.session() as session, session.begin():
            row = CaseRow(id=case_id, label=_label(payload), latest_version=1, created_at=now, updated_at=now,
                          created_by=key_id, owner=owner if owner is not None else key_id)
            session.add(row)
            session.flush()
            session.add(CaseVersionRow(case_id=case_id, version=1, payload=payload, created_at=now,
                                       created_by=key_id))
            self._audit(session, "create", case_id, key_id)
        return CaseVersion(case_id, row.label, 1, 1, payload, now, now)

    def _live(self, session: Session, case_id: str, key_id: str | None, scope: str | None,
              lock: bool = False) -> CaseRow | None:
        """The live case when the scope may see it; a case of another owner is audited and hidden."""
        row = session.get(CaseRow, case_id, with_for_update=lock)
        if row is None or row.deleted_at is not None:
            return None
        if scope is not None and row.owner != scope:
            self._audit(session, "denied", case_id, key_id)
            return None
        return row

    @retrying
    def get(self, case_id: str, key_id: str | None, version: int | None = None,
            action: str = "read", *, scope: str | None) -> CaseVersion | None:
        """The latest (or the given) version of a live case; None when absent, deleted or out of scope."""
        with self.session() as session, session.begin():
            row = self._live(session, case_id, key_id, scope)
            if row is None:
                return None
            wanted = row.latest_version if version is None else version
            ver = session.scalar(select(CaseVersionRow).where(CaseVersionRow.case_id == case_id,
                                                              CaseVersionRow.version == wanted))
            if ver is None:
                return None
            self._audit(session, action, case_id, key_id)
            return CaseVersion(case_id, row.label, ver.version, row.latest_version, ver.payload, row.created_at,
                               row.updated_at)

    @retrying
    def update(self, case_id: str, payload: dict[str, Any], key_id: str | None, *,
               scope: str | None) -> CaseVersion | None:
        now = utcnow()
        with self.session() as session, session.begin():
            row = self._live(session, case_id, key_id, scope, lock=True)
            if row is None:
                return None
            top = session.scalar(select(func.max(CaseVersionRow.version)).where(CaseVersionRow.case_id == case_id))
            version = (top or 0) + 1
            session.add(CaseVersionRow(case_id=case_id, version=version, payload=payload, created_at=now,
                                       created_by=key_id))
            row.latest_version = version
            row.updated_at = now
            row.label = _label(payload)
            self._audit(session, "update", case_id, key_id)
            return CaseVersion(case_id, row.label, version, version, payload, row.created_at, now)

    @retrying
    def delete(self, case_id: str, key_id: str | None, *, scope: str | None) -> bool:
        now = utcnow()
        with self.session() as session, session.begin():
            row = self._live(session, case_id, key_id, scope, lock=True)
            if row is None:
                return False
            row.deleted_at = now
            row.deleted_by = key_id
            # stored results are a cache derived from the versions (which are kept): nothing to keep
            session.execute(delete(CaseResultRow).where(CaseResultRow.case_id == case_id))
            self._audit(session, "delete", case_id, key_id)
            return True

    @retrying
    def list_cases(self, key_id: str | None, limit: int = 100, offset: int = 0, *,
                   scope: str | None) -> tuple[int, list[CaseSummary]]:
        """Live cases in the scope, newest change first, and their total count."""
        with self.session() as session, session.begin():
            live: ColumnElement[bool] = CaseRow.deleted_at.is_(None)
            if scope is not None:
                live = and_(live, CaseRow.owner == scope)
            total = session.scalar(select(func.count()).select_from(CaseRow).where(live)) or 0
            rows = session.scalars(select(CaseRow).where(live).order_by(CaseRow.updated_at.desc(), CaseRow.id)
                                   .limit(limit).offset(offset))
            out = [CaseSummary(r.id, r.label, r.latest_version, r.created_at, r.updated_at) for r in rows]
            self._audit(session, "list", None, key_id)
            return total, out

    @retrying
    def versions(self, case_id: str) -> list[int]:
        """Every stored version number of a case, deleted or not (for audit)."""
        with self.session() as session:
            query = select(CaseVersionRow.version).where(CaseVersionRow.case_id == case_id)
            return sorted(session.scalars(query))

    # ----------------------------------------------------------------- stored results
    # Called only after get() has checked the caller's scope and audited the access.

    @retrying
    def stored_result(self, case_id: str, version: int, key: ResultKey) -> str | None:
        """The stored result text (dump_result) of this case version under exactly this key, or None."""
        with self.session() as session, session.begin():
            return session.scalar(select(CaseResultRow.result).where(
                CaseResultRow.case_id == case_id, CaseResultRow.version == version,
                CaseResultRow.knowledge_version == key.knowledge_version, CaseResultRow.region == key.region,
                CaseResultRow.alknav_version == key.alknav_version))

    def keep_result(self, case_id: str, version: int, key: ResultKey, result: str) -> None:
        """Store a freshly computed result and drop the stale ones of the same case version and region
        (other knowledge-base or alknav versions). Another request that stored the same key first
        wins: both computed the same result from the same inputs."""
        with suppress(IntegrityError):
            self._keep_result(case_id, version, key, result)

    @retrying
    def _keep_result(self, case_id: str, version: int, key: ResultKey, result: str) -> None:
        with self.session() as session, session.begin():
            session.execute(delete(CaseResultRow).where(
                CaseResultRow.case_id == case_id, CaseResultRow.version == version,
                CaseResultRow.region == key.region,
                or_(CaseResultRow.knowledge_version != key.knowledge_version,
                    CaseResultRow.alknav_version != key.alknav_version)))
            session.add(CaseResultRow(case_id=case_id, version=version, knowledge_version=key.knowledge_version,
                                      region=key.region, alknav_version=key.alknav_version, result=result,
                                      created_at=utcnow()))

    @retrying
    def forget_result(self, case_id: str, version: int, key: ResultKey) -> None:
        """Drop a stored result that could not be read or rendered, so that it is computed again."""
        with self.session() as session, session.begin():
            session.execute(delete(CaseResultRow).where(
                CaseResultRow.case_id == case_id, CaseResultRow.version == version,
                CaseResultRow.knowledge_version == key.knowledge_version, CaseResultRow.region == key.region,
                CaseResultRow.alknav_version == key.alknav_version))
