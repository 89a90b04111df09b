"""Compiled knowledge base: the validated KnowledgeBase stored once, loaded in milliseconds after.

An entry is keyed by a SHA-256 over the content of every knowledge file, the alknav source files
that define the classes the entry holds and build its indexes (kb/, errors.py, genetic_code.py),
and the alknav, Python and pydantic versions. A changed knowledge file or a new alknav therefore
misses and is rebuilt from YAML and validated again; nothing stale is ever looked up.

The entry is a pickle, because it restores the values validation produced (and the derived
indexes) with no second validation. It holds the knowledge base as plain objects (alknav.kb.plain:
a twin of each pydantic model, same fields and values), converted when the entry is written, so
reading it needs neither pydantic's model machinery nor the schema classes. Unpickling runs code
named in the data, so an entry is only unpickled when (1) the SHA-256 of its bytes equals the
digest stored beside it in a separate file (a truncated, partly written or otherwise corrupted
entry is rebuilt, never read), (2) the folder and both files belong to this user and nobody else
may write the folder, and (3) the key stored inside the entry is the key asked for. Anyone who can
write this user's cache folder can already change this user's programs, so the check guards
against damage, not against that user.

Where: $ALKNAV_CACHE_DIR, else $XDG_CACHE_HOME/alknav, else ~/.cache/alknav. ALKNAV_CACHE_DIR=""
(empty) turns the cache off. A folder that cannot be created or written means no cache: loading
then validates from YAML every time, as before; it never fails because of the cache.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alknav.kb.knowledge_base import KnowledgeBase

FORMAT = b"alknav-kb-cache/2"  # 2: plain twins (alknav.kb.plain) instead of pydantic models
KEEP = 8  # entries kept per folder (several knowledge folders, or versions side by side)


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is turned off."""
    given = os.environ.get("ALKNAV_CACHE_DIR")
    if given is not None:
        return Path(given) if given.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "alknav"


def _package_sources() -> list[Path]:
    """The code an entry depends on: the classes it holds (kb/: the twins, enums and mixins as well as
    the schemas) and what built its indexes (kb/checks and its imports). Hashing these few files
    instead of the whole package keeps the key cheap."""
    package = Path(__file__).resolve().parents[1]
    own = [package / name for name in ("__init__.py", "errors.py", "genetic_code.py")]
    return sorted([*(package / "kb").glob("*.py"), *own])


def cache_key(root: Path) -> str:
    """SHA-256 over the format, versions, knowledge files and alknav sources (names and bytes)."""
    import pydantic

    from alknav import __version__

    digest = hashlib.sha256(FORMAT)
    for part in (__version__, f"{sys.version_info[0]}.{sys.version_info[1]}", pydantic.VERSION):
        digest.update(b"\0" + part.encode())
    knowledge = sorted(Path(folder, name) for folder, _dirs, names in os.walk(root) for name in names)
    for label, base, files in (("kb", root, knowledge), ("py", Path(__file__).resolve().parents[1],
                                                        _package_sources())):
        for path in files:
            data = path.read_bytes()
            name = path.relative_to(base).as_posix().encode()
            digest.update(b"\0%s\0%s\0%d\0" % (label.encode(), name, len(data)))
            digest.update(data)
    return digest.hexdigest()


def _private(folder: Path, *files: Path) -> bool:
    """The folder and files are this user's and only this user may write the folder."""
    if not hasattr(os, "getuid"):  # not POSIX: no owner to compare; the digest check still applies
        return True
    info = folder.stat()
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    return all(f.stat().st_uid == os.getuid() for f in files)


def _paths(folder: Path, key: str) -> tuple[Path, Path]:
    return folder / f"kb-{key[:40]}.pickle", folder / f"kb-{key[:40]}.sha256"


def read(folder: Path, key: str) -> KnowledgeBase | None:
    """The stored knowledge base for `key`, or None when absent, damaged, foreign or not ours."""
    from alknav.kb.knowledge_base import KnowledgeBase

    data_path, sum_path = _paths(folder, key)
    try:
        if not _private(folder, data_path, sum_path):
            return None
        data = data_path.read_bytes()
        expected = sum_path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if hashlib.sha256(data).hexdigest() != expected:
        return None
    try:
        stored_key, kb = pickle.loads(data)
    except Exception:  # a digest that matches damaged bytes is not expected, but never fatal
        return None
    if stored_key != key or not isinstance(kb, KnowledgeBase):
        return None
    return kb


def write(folder: Path, key: str, kb: KnowledgeBase) -> bool:
    """Store `kb` under `key` (atomically: readers see the old entry, the new one, or none), as plain
    objects and without the parsed YAML kept for line look-ups (it serves validation only). `kb`
    itself is left as it was."""
    from alknav.kb.convert import plain_kb

    data_path, sum_path = _paths(folder, key)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder):
            return False
        data = pickle.dumps((key, plain_kb(kb)), protocol=pickle.HIGHEST_PROTOCOL)
        _atomic(folder, data_path, data)
        _atomic(folder, sum_path, hashlib.sha256(data).hexdigest().encode("ascii") + b"\n")
        _prune(folder)
    except (OSError, pickle.PicklingError, TypeError):  # TypeError: twins older than the schema (no cache)
        return False
    return True


def _atomic(folder: Path, target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".kb-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("kb-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)
        old.with_suffix(".sha256").unlink(missing_ok=True)


def load(root: Path, fresh: Callable[[Path], KnowledgeBase]) -> KnowledgeBase:
    """The cached knowledge base of `root`, else `fresh(root)` (load + validate), stored for next time."""
    folder = cache_dir()
    if folder is None:
        return fresh(root)
    try:
        key = cache_key(root)
    except OSError:  # an unreadable knowledge file: let the loader report it with its name
        return fresh(root)
    kb = read(folder, key)
    if kb is not None:
        kb.root = root
        return kb
    kb = fresh(root)  # this process goes on with the validated pydantic objects; the entry holds twins
    write(folder, key, kb)
    return kb
