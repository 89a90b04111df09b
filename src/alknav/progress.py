"""Progress bars on standard error for the long reads: ``annotate --maf`` / ``--vcf`` and
``cohort recommend``.

A command opens ``shown()``; readers deep inside ask ``task(...)`` for a handle and update it by
bytes read or every few thousand records, never per record. Outside ``shown()`` (library calls,
tests, the service) and when progress is off, ``task()`` returns a handle that does nothing.

When progress appears (``ALKNAV_PROGRESS``):
  unset or ``auto``   only when standard error is a terminal (a piped or redirected run shows nothing)
  ``1`` / ``always``  always, drawn as for a terminal (for testing and for logs that keep ANSI codes)
  ``0`` / ``never``   never
Bars go to standard error only, so JSON, TSV and JSONL outputs are never touched.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

ENV = "ALKNAV_PROGRESS"
EVERY = 4096  # records between two updates: an update takes a lock; per record it would show in timings

_active: ContextVar[Progress | None] = ContextVar("alknav_progress", default=None)


def wanted(environ: dict[str, str] | None = None) -> bool | None:
    """True: draw as for a terminal; False: never; None: only if standard error is a terminal."""
    value = (os.environ if environ is None else environ).get(ENV, "auto").strip().lower()
    if value in ("1", "always", "yes", "true", "on"):
        return True
    if value in ("0", "never", "no", "false", "off"):
        return False
    if value not in ("", "auto"):
        raise ValueError(f"{ENV}={value!r}: expected auto, always (1) or never (0)")
    return None


def stderr_console() -> Console | None:
    """The console progress draws on, or None when progress is off for this run."""
    try:
        mode = wanted()
    except ValueError as exc:
        print(f"alknav: warning: {exc}; progress is off", file=sys.stderr)
        return None
    if mode is False or (mode is None and not sys.stderr.isatty()):
        return None
    from rich.console import Console

    return Console(stderr=True, force_terminal=True if mode else None)


class Task:
    """One bar. ``to(n)`` sets how far it is, ``advance(n)`` adds; both cheap, call them every batch."""

    def __init__(self, progress: Progress | None = None, task_id: TaskID | None = None) -> None:
        self._progress = progress
        self._id = task_id

    @property
    def active(self) -> bool:
        """False for the handle that does nothing: a caller may then skip even the counting."""
        return self._progress is not None

    def to(self, completed: float) -> None:
        if self._progress is not None and self._id is not None:
            self._progress.update(self._id, completed=completed)

    def advance(self, amount: float) -> None:
        if self._progress is not None and self._id is not None:
            self._progress.advance(self._id, amount)

    def total(self, total: float | None) -> None:
        if self._progress is not None and self._id is not None:
            self._progress.update(self._id, total=total)

    def done(self) -> None:
        """Fill the bar (a byte estimate may stop short of the total) and stop its clock."""
        if self._progress is not None and self._id is not None:
            task = next(t for t in self._progress.tasks if t.id == self._id)
            if task.total is None:
                self._progress.update(self._id, total=task.completed)
            else:
                self._progress.update(self._id, completed=task.total)
            self._progress.stop_task(self._id)


def task(description: str, total: float | None = None, unit: str = "records") -> Task:
    """A bar under the open ``shown()``, or a handle that does nothing. ``unit`` is ``bytes`` (shown as
    MB read of the total) or a word for what is counted (records, rows, samples)."""
    progress = _active.get()
    if progress is None:
        return Task()
    return Task(progress, progress.add_task(description, total=total, unit=unit))


@contextmanager
def shown(console: Console | None = None) -> Iterator[None]:
    """Draw the bars of the tasks opened inside, on ``console`` (default: standard error when
    ``stderr_console()`` allows it, else nothing)."""
    console = console if console is not None else stderr_console()
    if console is None:
        yield
        return
    from rich.progress import BarColumn, Progress, ProgressColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Task as RichTask
    from rich.text import Text

    class Count(ProgressColumn):
        def render(self, task: RichTask) -> Text:
            return Text(count_text(task.completed, task.total, task.fields.get("unit", "records")))

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), Count(), TimeElapsedColumn())
    # stdout is never redirected into the bars: outputs written there stay where the user sent them
    with Progress(*columns, console=console, transient=False, refresh_per_second=4, redirect_stdout=False) as progress:
        token = _active.set(progress)
        try:
            yield
        finally:
            _active.reset(token)


def count_text(completed: float, total: float | None, unit: str) -> str:
    if unit == "bytes":
        done = f"{completed / 1e6:,.1f}"
        return f"{done}/{total / 1e6:,.1f} MB" if total else f"{done} MB"
    return f"{int(completed):,}/{int(total):,} {unit}" if total else f"{int(completed):,} {unit}"
