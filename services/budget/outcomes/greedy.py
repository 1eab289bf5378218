"""Greedy rules: fund projects in order of score while the budget lasts."""

from __future__ import annotations

from collections.abc import Sequence

from services.budget.pabulib.parser import Amount

from .instance import (
    GREEDY_TIE_BREAK,
    Instance,
    Outcome,
    format_amount,
    normalise_tie_break,
    tie_break_rank,
)


def greedy(
    election: Instance,
    *,
    threshold: Amount | None = None,
    skip: bool = True,
    tie_break: Sequence[str] = GREEDY_TIE_BREAK,
) -> Outcome:
    """Select by decreasing score; a project that does not fit is skipped (or ends the run).

    With ``threshold``, projects scoring below it are never selected (``greedy-threshold``).
    With ``skip=False`` the first project that does not fit stops the selection (``greedy-no-skip``).
    """
    recorded = normalise_tie_break(tie_break)
    rank = tie_break_rank(election, recorded)
    order = sorted(range(len(election.project_ids)), key=rank.__getitem__)
    unit = "votes" if election.is_approval else "points"
    remaining = election.budget
    selected: list[str] = []
    explanations: dict[str, str] = {}
    stopped_at: str | None = None
    for i in order:
        project_id, cost, score = election.project_ids[i], election.costs[i], election.scores[i]
        if threshold is not None and score < threshold:
            explanations[project_id] = (
                f"below threshold: {format_amount(score)} {unit} < {format_amount(threshold)}"
            )
        elif stopped_at is not None:
            explanations[project_id] = f"not considered: selection stopped at project {stopped_at}"
        elif cost <= remaining:
            remaining -= cost
            selected.append(project_id)
            explanations[project_id] = (
                f"selected in round {len(selected)} with {format_amount(score)} {unit}; "
                f"cost {format_amount(cost)}, {format_amount(remaining)} left"
            )
        else:
            explanations[project_id] = (
                f"skipped: cost {format_amount(cost)} exceeds remaining {format_amount(remaining)}"
            )
            if not skip:
                explanations[project_id] = explanations[project_id].replace("skipped", "stopped here", 1)
                stopped_at = project_id
    rule = "greedy-no-skip" if not skip else "greedy-threshold" if threshold is not None else "greedy"
    params: dict[str, object] = {} if threshold is None else {"threshold": threshold}
    return Outcome(
        rule=rule,
        params=params,
        tie_break=recorded,
        selected=selected,
        total_cost=election.budget - remaining,
        explanations=explanations,
    )
