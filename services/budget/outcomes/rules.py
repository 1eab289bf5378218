"""Dispatch by rule name, and the mapping from Pabulib META rule names."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction

from services.budget.pabulib.parser import Amount, PbInstance, parse_amount

from .equal_shares import equal_shares
from .greedy import greedy
from .instance import GREEDY_TIE_BREAK, MES_TIE_BREAK, Instance, Outcome, OutcomeError, build_instance

RULES = ("greedy", "greedy-threshold", "greedy-no-skip", "mes-add1", "mes-add1-comparison")

PABULIB_RULES = {
    "greedy": "greedy",
    "greedy-threshold": "greedy-threshold",
    "greedy-no-skip": "greedy-no-skip",
    "equalshares/add1": "mes-add1",
    "equalshares/add1-comparison": "mes-add1-comparison",
}

_MES_PARAMS = frozenset({"integral_start", "exhaustive_stop", "increment", "comparison"})


def default_tie_break(rule: str) -> tuple[str, ...]:
    return MES_TIE_BREAK if rule.startswith("mes") else GREEDY_TIE_BREAK


def compute_outcome(
    election: Instance,
    rule: str,
    params: Mapping[str, object] | None = None,
    *,
    tie_break: Sequence[str] | None = None,
) -> Outcome:
    """Decide ``election`` with ``rule`` (one of :data:`RULES`)."""
    handler = _HANDLERS.get(rule)
    if handler is None:
        raise OutcomeError(f"unknown rule {rule!r}; use one of {RULES}")
    return handler(election, dict(params or {}), tuple(tie_break or default_tie_break(rule)))


def rule_from_meta(meta: Mapping[str, str]) -> tuple[str, dict[str, object]]:
    """Translate a Pabulib META ``rule`` (and its threshold) into a rule name and params."""
    pabulib_rule = meta.get("rule", "").strip()
    rule = PABULIB_RULES.get(pabulib_rule)
    if rule is None:
        raise OutcomeError(f"Pabulib rule {pabulib_rule!r} has no engine equivalent")
    params: dict[str, object] = {}
    if rule == "greedy-threshold":
        params["threshold"] = _threshold(meta.get("min_project_score_threshold"))
    return rule, params


def outcome_for_instance(instance: PbInstance, *, tie_break: Sequence[str] | None = None) -> Outcome:
    """Decide a parsed instance with the rule its META names."""
    rule, params = rule_from_meta(instance.meta)
    return compute_outcome(build_instance(instance), rule, params, tie_break=tie_break)


def _threshold(value: object) -> Amount:
    if isinstance(value, int | Fraction) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return parse_amount(value)
        except ValueError:
            pass
    raise OutcomeError(f"greedy-threshold needs a numeric 'threshold', got {value!r}")


def _no_params(rule: str, params: dict[str, object]) -> None:
    if params:
        raise OutcomeError(f"rule {rule} takes no parameters, got {sorted(params)}")


def _greedy(election: Instance, params: dict[str, object], tie_break: tuple[str, ...]) -> Outcome:
    _no_params("greedy", params)
    return greedy(election, tie_break=tie_break)


def _greedy_threshold(election: Instance, params: dict[str, object], tie_break: tuple[str, ...]) -> Outcome:
    threshold = _threshold(params.pop("threshold", None))
    _no_params("greedy-threshold (besides 'threshold')", params)
    return greedy(election, threshold=threshold, tie_break=tie_break)


def _greedy_no_skip(election: Instance, params: dict[str, object], tie_break: tuple[str, ...]) -> Outcome:
    _no_params("greedy-no-skip", params)
    return greedy(election, skip=False, tie_break=tie_break)


def _mes_options(params: dict[str, object]) -> dict[str, object]:
    unknown = set(params) - _MES_PARAMS
    if unknown:
        raise OutcomeError(f"unknown MES parameter(s) {sorted(unknown)}; use {sorted(_MES_PARAMS)}")
    return params


def _mes_add1(election: Instance, params: dict[str, object], tie_break: tuple[str, ...]) -> Outcome:
    options = _mes_options(params)
    if options.get("comparison") is not None:
        raise OutcomeError("use rule mes-add1-comparison for the comparison step")
    return equal_shares(
        election,
        integral_start=bool(options.get("integral_start", False)),
        exhaustive_stop=bool(options.get("exhaustive_stop", False)),
        increment=_increment(options.get("increment", 1)),
        tie_break=tie_break,
    )


def _mes_add1_comparison(
    election: Instance, params: dict[str, object], tie_break: tuple[str, ...]
) -> Outcome:
    options = _mes_options(params)
    return equal_shares(
        election,
        integral_start=bool(options.get("integral_start", False)),
        exhaustive_stop=bool(options.get("exhaustive_stop", False)),
        increment=_increment(options.get("increment", 1)),
        comparison=str(options.get("comparison", "satisfaction")),
        tie_break=tie_break,
    )


def _increment(value: object) -> Amount:
    try:
        amount = _threshold(value)
    except OutcomeError:
        amount = 0
    if not amount:
        raise OutcomeError(f"MES 'increment' must be a positive number, got {value!r}")
    return amount


_HANDLERS: dict[str, Callable[[Instance, dict[str, object], tuple[str, ...]], Outcome]] = {
    "greedy": _greedy,
    "greedy-threshold": _greedy_threshold,
    "greedy-no-skip": _greedy_no_skip,
    "mes-add1": _mes_add1,
    "mes-add1-comparison": _mes_add1_comparison,
}
