"""The report template compiled once and kept in alknav's cache folder (beside the knowledge cache).

Compiling report.html.j2 takes about 85 ms of every cold `alknav report`; loading the stored code
takes about 1 ms. An entry is read under the same rules as the knowledge cache (kb/cache.py): the
folder and files are this user's and nobody else may write the folder, and the SHA-256 of the entry
equals the digest stored beside it, so a damaged entry is compiled again, never loaded. Jinja then
checks its own header (Jinja's code format and the Python version) and the checksum of the template
source, so an edited template or another Jinja or Python is compiled again too. The file name also
carries the Jinja version. No cache folder, or one that cannot be written: the template is compiled
as before; the cache never makes a report fail.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket, BytecodeCache

from alknav.kb.cache import _atomic, _private, cache_dir


class TemplateCache(BytecodeCache):
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def create(cls) -> TemplateCache | None:
        folder = cache_dir()
        return cls(folder) if folder is not None else None

    def _paths(self, bucket: Bucket) -> tuple[Path, Path]:
        tag = hashlib.sha256(f"{jinja2.__version__}\0{sys.version}\0{bucket.key}".encode()).hexdigest()[:40]
        return self.folder / f"tpl-{tag}.bin", self.folder / f"tpl-{tag}.sha256"

    def load_bytecode(self, bucket: Bucket) -> None:
        data_path, sum_path = self._paths(bucket)
        try:
            if not _private(self.folder, data_path, sum_path):
                return
            data = data_path.read_bytes()
            expected = sum_path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return
        if hashlib.sha256(data).hexdigest() != expected:
            return
        try:
            bucket.bytecode_from_string(data)  # resets the bucket on a wrong header or source checksum
        except Exception:  # a digest that matches damaged bytes is not expected, but never fatal
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        data_path, sum_path = self._paths(bucket)
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not _private(self.folder):
                return
            data = bucket.bytecode_to_string()
            _atomic(self.folder, data_path, data)
            _atomic(self.folder, sum_path, hashlib.sha256(data).hexdigest().encode("ascii") + b"\n")
        except (OSError, TypeError, ValueError):
            return
