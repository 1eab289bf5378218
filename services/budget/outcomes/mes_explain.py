"""Explanations of an MES outcome, one sentence per project, and equalshares.net's comparison step."""

from __future__ import annotations

from .greedy import greedy
from .instance import GREEDY_TIE_BREAK, Instance, Outcome, format_amount
from .mes_election import MesElection
from .mes_exact import Trace

COMPARISONS = ("satisfaction", "exclusion")


def _money(value: float) -> str:
    """Display form of an amount computed for an explanation: whole units when it is one."""
    if abs(value - round(value)) <= 1e-9 * max(1.0, abs(value)):
        return f"{round(value):,}"
    return f"{value:,.2f}"


def explain(election: Instance, prep: MesElection, selected: list[int], trace: Trace) -> dict[str, str]:
    explanations: dict[str, str] = {}
    for round_no, (c, price) in enumerate(trace.rounds, start=1):
        if election.is_approval:
            effective = float(prep.costs[c]) / price
            how = (
                f"{effective:,.2f} effective votes of {election.votes[c]:,}, "
                f"each supporter paying at most {_money(price)}"
            )
        else:
            how = f"price {price:,.4f} per point from {format_amount(election.scores[c])} points"
        explanations[election.project_ids[c]] = f"selected in MES round {round_no}: {how}"
    for c in prep.free:
        explanations[election.project_ids[c]] = "selected: costs nothing and has supporters"
    for c, (round_no, money) in trace.dropped.items():
        explanations[election.project_ids[c]] = (
            f"MES: not affordable by its supporters' remaining budgets in round {round_no} "
            f"({_money(money)} left for a cost of {format_amount(election.costs[c])})"
        )
    chosen = set(selected)
    for c, project_id in enumerate(election.project_ids):
        if project_id not in explanations and c not in chosen:
            explanations[project_id] = "MES: no supporters"
    return explanations


def _satisfaction(election: Instance, selected: set[int]) -> list[tuple[int, int]]:
    """(weight, number of selected projects approved) per distinct ballot."""
    return [(weight, sum(1 for i, _ in ballot if i in selected)) for weight, ballot in election.ballots]


def compare_with_greedy(election: Instance, mes: Outcome, comparison: str) -> Outcome:
    """equalshares.net's comparison step: keep MES unless more voters prefer the greedy outcome."""
    greedy_outcome = greedy(election, tie_break=GREEDY_TIE_BREAK)
    index = {project_id: i for i, project_id in enumerate(election.project_ids)}
    mes_sat = _satisfaction(election, {index[p] for p in mes.selected})
    greedy_sat = _satisfaction(election, {index[p] for p in greedy_outcome.selected})
    prefers_mes = prefers_greedy = 0
    for (weight, with_mes), (_, with_greedy) in zip(mes_sat, greedy_sat, strict=True):
        if comparison == "exclusion":
            with_mes, with_greedy = min(with_mes, 1), min(with_greedy, 1)
        if with_mes > with_greedy:
            prefers_mes += weight
        elif with_greedy > with_mes:
            prefers_greedy += weight
    summary = {"comparison": comparison, "prefer_mes": prefers_mes, "prefer_greedy": prefers_greedy}
    if prefers_greedy > prefers_mes:
        verdict = f"comparison step: {prefers_greedy:,} voters prefer greedy, {prefers_mes:,} prefer MES"
        explanations = {p: f"{text} ({verdict})" for p, text in greedy_outcome.explanations.items()}
        return Outcome(
            rule="mes-add1-comparison",
            params={**mes.params, **summary, "chosen": "greedy"},
            tie_break=mes.tie_break,
            selected=greedy_outcome.selected,
            total_cost=greedy_outcome.total_cost,
            explanations=explanations,
        )
    return Outcome(
        rule="mes-add1-comparison",
        params={**mes.params, **summary, "chosen": "mes"},
        tie_break=mes.tie_break,
        selected=mes.selected,
        total_cost=mes.total_cost,
        explanations=mes.explanations,
    )
