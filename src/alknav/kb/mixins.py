"""Behaviour shared by a knowledge class and its plain twin, written once and without pydantic.

A schema class (alknav.kb.schema, pydantic) and its twin (alknav.kb.twins, a plain slotted class the
compiled cache stores) both inherit the mixin, so code reading a knowledge base gets the same
properties from either form. A mixin reads only fields both forms have; `self` is typed by a small
protocol naming those fields.
"""

from __future__ import annotations

from typing import Protocol

from alknav.kb.enums import OPEN_TRIAL_STATUSES, TrialStatus


class _HasStatus(Protocol):
    @property
    def status(self) -> TrialStatus: ...


class _HasDrug(Protocol):
    @property
    def drug(self) -> str: ...


class ActiveTrialMixin:
    __slots__ = ()

    @property
    def open(self: _HasStatus) -> bool:
        """The trial takes patients (its status, as read on `as_of`, is an open one)."""
        return self.status in OPEN_TRIAL_STATUSES


class KeyedByDrugMixin:
    """An entry about one drug (its label's safety, its interaction classes) is keyed by the drug."""

    __slots__ = ()

    @property
    def id(self: _HasDrug) -> str:
        return self.drug
