"""API keys: created once, shown once, stored as a salted scrypt hash, revoked by id or name.

A key reads ``alk_<key id>_<secret>``. The key id locates the row; the secret is checked against
the scrypt hash in constant time. A verified key is remembered in this process (by its SHA-256,
never the raw key) so that scrypt runs once per key, not per request; the row is still read on
every request, so a revoked key is refused at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
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


def _hash(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT).hex()


def _split(raw: str) -> tuple[str, str] | None:
    if not raw.startswith(_PREFIX):
        return None
    key_id, sep, secret = raw[len(_PREFIX):].partition("_")
    return (key_id, secret) if sep and key_id and secret else None


def issue_key(store: Store, name: str) -> str:
    """Store a new key (hashed) and return the raw key; it cannot be recovered later."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AlknavError("a key name must be 1 to 100 characters")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    row = ApiKeyRow(id=key_id, name=name, salt=salt.hex(), hash=_hash(secret, salt), created_at=utcnow())
    try:
        with store.session() as session, session.begin():
            session.add(row)
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
        return [KeyInfo(r.id, r.name, r.created_at, r.revoked_at) for r in rows]


class KeyChecker:
    """Turns a raw X-API-Key value into the key id, or None when unknown or revoked."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._verified: dict[str, str] = {}  # sha256(raw key) -> stored hash it matched
        self._lock = Lock()

    def check(self, raw: str) -> str | None:
        parts = _split(raw)
        if parts is None or len(raw) > 200:
            return None
        key_id, secret = parts
        with self.store.session() as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None or row.revoked_at is not None:
                return None
            salt, stored = row.salt, row.hash
        fingerprint = hashlib.sha256(raw.encode()).hexdigest()
        with self._lock:
            if self._verified.get(fingerprint) == stored:
                return key_id
        if not hmac.compare_digest(_hash(secret, bytes.fromhex(salt)), stored):
            return None
        with self._lock:
            if len(self._verified) > 1000:
                self._verified.clear()
            self._verified[fingerprint] = stored
        return key_id


# ------------------------------------------------------------------ functions for the CLI


def create_key(settings: Settings, name: str) -> str:
    """Create a key named ``name``; returns the raw key, which the caller shows once."""
    store = Store.open(settings)
    try:
        return issue_key(store, name)
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
