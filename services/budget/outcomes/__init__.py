"""Participatory-budget outcome engine: greedy rules and the Method of Equal Shares."""

from .equal_shares import equal_shares
from .greedy import greedy
from .model import (
    GREEDY_TIE_BREAK,
    MES_TIE_BREAK,
    Election,
    Outcome,
    OutcomeError,
    build_election,
    make_election,
)
from .rules import RULES, compute_outcome, outcome_for_instance, rule_from_meta

__all__ = [
    "GREEDY_TIE_BREAK",
    "MES_TIE_BREAK",
    "RULES",
    "Election",
    "Outcome",
    "OutcomeError",
    "build_election",
    "compute_outcome",
    "equal_shares",
    "greedy",
    "make_election",
    "outcome_for_instance",
    "rule_from_meta",
]
