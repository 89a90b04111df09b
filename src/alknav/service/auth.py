"""API keys: created once, shown once, stored as a salted scrypt hash, revoked by id or name.

A key reads ``alk_<key id>_<secret>``. The key id locates the row; the secret is checked against
the scrypt hash in constant time. A verified key is remembered in this process (by its SHA-256,
never the raw key) so that scrypt runs once per key, not per request; the row is still read on
every request, so a revoked key is refused at once.

Refusals take as long as a wrong secret for a real key: an unknown, revoked or malformed key is
checked against a dummy scrypt hash, so timing does not tell whether a key id exists. Each client
address may fail at most ``FAILURES_ALLOWED`` times per ``FAILURE_WINDOW`` seconds; after that it is
refused (429) before any scrypt runs, which bounds both guessing and the CPU a client can burn.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from threading import Lock

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from alknav.errors import AlknavError
from alknav.service.models import ApiKeyRow, utcnow
from alknav.service.settings import Settings
from alknav.service.store import Store

_PREFIX = "alk_"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
ROLES = ("user", "admin")
FAILURES_ALLOWED = 20
FAILURE_WINDOW = 60.0
_MAX_CLIENTS_TRACKED = 10_000


class KeyNameTaken(AlknavError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"an API key named '{name}' already exists")


@dataclass(frozen=True)
class KeyInfo:
    id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None
    owner: str
    role: str


@dataclass(frozen=True)
class Principal:
    """Who a verified key speaks for: its id (audited), its owner and whether it is an admin."""

    key_id: str
    owner: str
    admin: bool

    @property
    def scope(self) -> str | None:
        """The owner whose cases this key may touch; None (every case) for an admin."""
        return None if self.admin else self.owner


class TooManyFailures(AlknavError):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed API key attempts; retry in {retry_after} s")


def _hash(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT).hex()


def _split(raw: str) -> tuple[str, str] | None:
    if not raw.startswith(_PREFIX):
        return None
    key_id, sep, secret = raw[len(_PREFIX):].partition("_")
    return (key_id, secret) if sep and key_id and secret else None


def issue_key(store: Store, name: str, owner: str | None = None, role: str = "user") -> str:
    """Store a new key (hashed) and return the raw key; it cannot be recovered later. The key sees
    the cases of ``owner`` (default: its own); an "admin" key sees every case."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AlknavError("a key name must be 1 to 100 characters")
    if owner is not None and (not owner.strip() or len(owner) > 100 or not owner.isprintable()):
        raise AlknavError("an owner must be 1 to 100 printable characters")
    if role not in ROLES:
        raise AlknavError(f"a key role must be one of {', '.join(ROLES)}, not '{role[:20]}'")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    row = ApiKeyRow(id=key_id, name=name, salt=salt.hex(), hash=_hash(secret, salt), created_at=utcnow(),
                    owner=owner.strip() if owner else key_id, role=role)
    def add() -> None:
        with store.session() as session, session.begin():
            session.add(row)

    try:
        store.run(add)
    except IntegrityError:
        raise KeyNameTaken(name) from None
    return f"{_PREFIX}{key_id}_{secret}"


def withdraw_key(store: Store, key_id_or_name: str) -> bool:
    """Mark a key revoked; False when no active key has that id or name."""
    with store.session() as session, session.begin():
        row = session.scalar(select(ApiKeyRow).where(
            or_(ApiKeyRow.id == key_id_or_name, ApiKeyRow.name == key_id_or_name), ApiKeyRow.revoked_at.is_(None)))
        if row is None:
            return False
        row.revoked_at = utcnow()
        return True


def key_list(store: Store) -> list[KeyInfo]:
    with store.session() as session:
        rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at))
        return [KeyInfo(r.id, r.name, r.created_at, r.revoked_at, r.owner or r.id, r.role) for r in rows]


class FailureLimiter:
    """Failed attempts per client address in a sliding window (in this process)."""

    def __init__(self, allowed: int = FAILURES_ALLOWED, window: float = FAILURE_WINDOW) -> None:
        self.allowed, self.window = allowed, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again; 0 when it may try now."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(client, now)
            if len(times) < self.allowed:
                return 0
            return max(1, int(self.window - (now - times[0])) + 1)

    def failed(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) >= _MAX_CLIENTS_TRACKED and client not in self._failures:
                # bounded memory: forget clients whose failures have all aged out, else the oldest
                for name in [c for c, t in self._failures.items() if not self._recent(c, now)] or \
                        [next(iter(self._failures))]:
                    del self._failures[name]
            times = self._recent(client, now)
            times.append(now)
            self._failures[client] = times


class KeyChecker:
    """Turns a raw X-API-Key value into a Principal, or None when unknown or revoked."""

    def __init__(self, store: Store, limiter: FailureLimiter | None = None) -> None:
        self.store = store
        self.limiter = limiter or FailureLimiter()
        self._verified: dict[str, str] = {}  # sha256(raw key) -> stored hash it matched
        self._lock = Lock()
        self._dummy_salt = secrets.token_bytes(16)
        self._dummy_hash = _hash(secrets.token_urlsafe(32), self._dummy_salt)

    def _row(self, key_id: str) -> ApiKeyRow | None:
        with self.store.session() as session:
            return session.get(ApiKeyRow, key_id)

    def check(self, raw: str, client: str = "") -> Principal | None:
        """The key's principal, or None; raises TooManyFailures while ``client`` is locked out."""
        wait = self.limiter.retry_after(client)
        if wait:
            raise TooManyFailures(wait)
        found = self._verify(raw)
        if found is None:
            self.limiter.failed(client)
        return found

    def _verify(self, raw: str) -> Principal | None:
        parts = _split(raw) if len(raw) <= 200 else None
        key_id, secret = parts or ("", raw[:200])
        row = None
        if parts is not None:
            row = self.store.run(lambda: self._row(key_id))
        if row is None or row.revoked_at is not None:
            # the same scrypt as a wrong secret costs, so that refusals do not reveal key ids
            hmac.compare_digest(_hash(secret, self._dummy_salt), self._dummy_hash)
            return None
        principal = Principal(key_id, row.owner or key_id, row.role == "admin")
        fingerprint = hashlib.sha256(raw.encode()).hexdigest()
        with self._lock:
            if self._verified.get(fingerprint) == row.hash:
                return principal
        if not hmac.compare_digest(_hash(secret, bytes.fromhex(row.salt)), row.hash):
            return None
        with self._lock:
            if len(self._verified) > 1000:
                self._verified.clear()
            self._verified[fingerprint] = row.hash
        return principal


# ------------------------------------------------------------------ functions for the CLI


def create_key(settings: Settings, name: str, owner: str | None = None, role: str = "user") -> str:
    """Create a key named ``name``; returns the raw key, which the caller shows once."""
    store = Store.open(settings)
    try:
        return issue_key(store, name, owner, role)
    finally:
        store.close()


def revoke_key(settings: Settings, key_id_or_name: str) -> bool:
    """Revoke the active key with this id or name; False when there is none."""
    store = Store.open(settings)
    try:
        return withdraw_key(store, key_id_or_name)
    finally:
        store.close()


def list_keys(settings: Settings) -> list[KeyInfo]:
    """Every key (id, name, created, revoked) — never a secret."""
    store = Store.open(settings)
    try:
        return key_list(store)
    finally:
        store.close()
