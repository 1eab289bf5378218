"""Asks the councils service whether a cited decision allows an amendment: `GET /councils/decisions/{id}`.

The decision allows it when the motion passed, in the district governance council (협치○○구회의, councils'
`district_council` body) of the project's district, on or before the day the amendment was requested. "Cannot
answer" (councils down, slow, a 5xx, a motion not yet voted) is never taken as a yes: the amendment stays
pending and is checked again (`POST /budget/amendments/{id}/council-check`, or the re-check loop: recheck.py).
"""

from dataclasses import dataclass
from datetime import date
from typing import Literal

import httpx

from shared.service_client import CalleeUnavailable, ServiceClient

Verdict = Literal["passed", "refused", "unanswered"]

GOVERNANCE_COUNCIL = "district_council"
"""councils' classification of a district governance council (services/councils/common/vocab.py)."""


@dataclass(frozen=True, slots=True)
class CouncilCheck:
    verdict: Verdict
    note: str


async def check_council_decision(
    councils: ServiceClient, decision_id: int, district_code: str, requested_on: date
) -> CouncilCheck:
    """The councils service's answer about decision `decision_id` for this district and day."""
    try:
        response = await councils.get(
            f"/councils/decisions/{decision_id}", headers={"accept": "application/json"}
        )
    except CalleeUnavailable as exc:
        return unanswered(exc.reason)
    except httpx.HTTPError as exc:  # not a transport failure (e.g. an undecodable body): still no answer
        return unanswered(type(exc).__name__)
    return read_answer(decision_id, response, district_code, requested_on)


def unanswered(reason: str) -> CouncilCheck:
    return CouncilCheck("unanswered", f"the councils service did not answer: {reason}")


def read_answer(
    decision_id: int, response: httpx.Response, district_code: str, requested_on: date
) -> CouncilCheck:
    """The verdict on councils' HTTP answer about decision `decision_id`."""
    if response.status_code == 404:
        return CouncilCheck("refused", f"the councils service has no decision {decision_id}")
    if response.status_code != 200:
        return CouncilCheck("unanswered", f"the councils service answered {response.status_code}")
    try:
        decision = response.json()
        result = decision["result"]
        body = (decision["body_classification"], decision.get("body_name_ko"))
        district = decision["district_code"]
        decided_on = date.fromisoformat(decision["date"])
    except (ValueError, KeyError, TypeError):
        return CouncilCheck("unanswered", "the councils service's answer could not be read")
    return judge(decision_id, result, district, decided_on, district_code, requested_on, body=body)


def judge(
    decision_id: int,
    result: object,
    decision_district: object,
    decided_on: date,
    district_code: str,
    requested_on: date,
    *,
    body: tuple[object, object] = (GOVERNANCE_COUNCIL, None),
) -> CouncilCheck:
    """The verdict on a decision as the councils service described it; `body` is its body's
    (classification, name)."""
    classification, name = body
    if classification != GOVERNANCE_COUNCIL:
        return CouncilCheck(
            "refused",
            f"decision {decision_id} was taken by {name or 'a body'} ({classification}),"
            " not by a district governance council",
        )
    if decision_district != district_code:
        return CouncilCheck(
            "refused", f"decision {decision_id} is of district {decision_district}, not {district_code}"
        )
    if result == "pending":
        return CouncilCheck("unanswered", f"decision {decision_id} is not voted yet")
    if decided_on > requested_on:
        return CouncilCheck(
            "refused",
            f"decision {decision_id} was taken on {decided_on}, after the request of {requested_on}",
        )
    if result != "pass":
        return CouncilCheck("refused", f"decision {decision_id} did not pass ({result})")
    return CouncilCheck(
        "passed", f"decision {decision_id} passed on {decided_on} in district {district_code}"
    )
