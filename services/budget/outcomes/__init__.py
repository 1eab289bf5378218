"""Participatory-budget outcome engine: greedy rules and the Method of Equal Shares.

The rules themselves are in their modules (`greedy`, `equal_shares`); the package names what callers use.
"""

from .instance import (
    GREEDY_TIE_BREAK,
    MES_TIE_BREAK,
    Instance,
    Outcome,
    OutcomeError,
    build_instance,
    make_instance,
)
from .rules import RULES, compute_outcome, outcome_for_instance, rule_from_meta

__all__ = [
    "GREEDY_TIE_BREAK",
    "MES_TIE_BREAK",
    "RULES",
    "Instance",
    "Outcome",
    "OutcomeError",
    "build_instance",
    "compute_outcome",
    "make_instance",
    "outcome_for_instance",
    "rule_from_meta",
]
