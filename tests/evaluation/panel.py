"""Helpers for the panel, recusal and scoring tests: an open target with a panel, and raters' tokens."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from shared.seoul import SEOUL
from tests.evaluation.conftest import Evaluation

# Round 1's qualitative-interviews window of seed 004 (2017-09-12 – 09-22), in which raters score.
SCORING = datetime(2017, 9, 15, 12, 0, tzinfo=SEOUL)
# Round 1's re-review window (2017-09-23 – 09-28): version 2 is scored in it.
RE_REVIEW = datetime(2017, 9, 25, 12, 0, tzinfo=SEOUL)
BEFORE_SCORING = datetime(2017, 9, 11, 14, 59, 59, tzinfo=UTC)


@dataclass
class Scene:
    """An open round-1 target: a quantitative common indicator (60 points) and a qualitative one (40)."""

    api: Evaluation
    cycle_id: int
    target: dict[str, Any]
    unit: dict[str, Any]
    quality: dict[str, Any]
    rubric: dict[str, Any]
    members: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def target_id(self) -> int:
        return int(self.target["id"])

    def rater(self, subject: str) -> dict[str, str]:
        role = "city_officer" if subject.startswith("official") else "evaluator"
        return self.api.auth(role, subject=subject)

    def agency(self, organization_id: int | None = None) -> dict[str, str]:
        from shared.auth import mint_token
        from shared.settings import CommonSettings

        org = organization_id or int(self.target["organization_id"])
        token = mint_token(CommonSettings(), subject=f"agency-{org}", role="agency", organization_id=org)
        return {"Authorization": f"Bearer {token}"}

    async def appoint(
        self, subject: str, ties: list[int] | None = None, round: int = 1, rater_type: str | None = None
    ) -> dict[str, Any]:
        body = {
            "subject": subject,
            "name_ko": f"위원 {subject}",
            "rater_type": rater_type or ("official" if subject.startswith("official") else "expert"),
            "ties": [{"organization_id": org, "reason": "운영위원"} for org in ties or []],
        }
        member: dict[str, Any] = await self.api.ok(
            "POST", f"/evaluation/cycles/{self.cycle_id}/rounds/{round}/panel", json=body
        )
        self.members[subject] = member
        return member

    async def score(self, subject: str, indicator: dict[str, Any], **body: Any) -> httpx.Response:
        return await self.api.client.put(
            f"/evaluation/targets/{self.target_id}/scores/{indicator['id']}",
            json=body,
            headers=self.rater(subject),
        )

    async def submit(self, subject: str) -> httpx.Response:
        return await self.api.client.post(
            f"/evaluation/targets/{self.target_id}/scores/submit", headers=self.rater(subject)
        )

    async def scores(self, headers: dict[str, str], **params: Any) -> httpx.Response:
        return await self.api.client.get(
            f"/evaluation/targets/{self.target_id}/scores", headers=headers, params=params
        )

    async def full_sheet(self, subject: str, points: str = "45", level: int = 2) -> None:
        assert (await self.score(subject, self.unit, points=points)).status_code == 200
        assert (await self.score(subject, self.quality, level=level)).status_code == 200


async def scene(api: Evaluation, year: int = 2017, organization_id: int | None = None) -> Scene:
    cycle_id = await api.cycle(year)
    await api.schedule(cycle_id, 1)
    target = await api.target(cycle_id, organization_id=organization_id)
    rubric = await api.rubric(cycle_id)
    unit = await api.common(cycle_id, 60, baseline=4, target=12)
    quality = await api.specific(target["id"], 40, measure="qualitative", rubric_id=rubric["id"])
    response = await api.open_target(target["id"])
    assert response.status_code == 200, response.text
    return Scene(api, cycle_id, target, unit, quality, rubric)
