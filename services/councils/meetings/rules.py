"""Deciding a motion in integers: quorum and passing thresholds applied to enrolled, present and votes."""

from dataclasses import dataclass

from services.councils.common.thresholds import Threshold


@dataclass(frozen=True)
class Tally:
    enrolled: int
    present: int
    quorum_required: int
    quorum_met: bool
    yes: int | None
    no: int | None
    abstain: int | None
    pass_required: int
    passed: bool | None
    explanation: str


def tally(
    *,
    enrolled: int,
    present: int,
    quorum: Threshold,
    passing: Threshold,
    votes: tuple[int, int, int] | None,
    on: str,
) -> Tally:
    """Decide a motion: quorum on the members enrolled on the date, passing on the members present."""
    quorum_required = quorum.required(enrolled)
    quorum_met = present >= quorum_required
    pass_required = passing.required(present)
    lines = [
        f"{enrolled} member{'' if enrolled == 1 else 's'} enrolled on {on}; "
        f"quorum needs {quorum.describe(enrolled, 'enrolled')} "
        f"= {quorum_required} present; {present} present: quorum {'met' if quorum_met else 'not met'}."
    ]
    passed: bool | None = None
    if votes is None:
        lines.append("No vote recorded yet.")
    else:
        yes = votes[0]
        passed = quorum_met and yes >= pass_required
        lines.append(
            f"Passing needs {passing.describe(present, 'present')} = {pass_required} in favour; "
            f"{yes} yes, {votes[1]} no, {votes[2]} abstain: "
            + ("passed." if passed else "not passed (no quorum)." if not quorum_met else "not passed.")
        )
    return Tally(
        enrolled=enrolled,
        present=present,
        quorum_required=quorum_required,
        quorum_met=quorum_met,
        yes=votes[0] if votes else None,
        no=votes[1] if votes else None,
        abstain=votes[2] if votes else None,
        pass_required=pass_required,
        passed=passed,
        explanation=" ".join(lines),
    )
