"""The council re-check loop: pending amendments are asked about again until councils answers.

An amendment waits as `pending_council` while the councils service cannot answer (DOMAIN.md §2, issue #10).
This loop, run in the budget process's lifespan when BUDGET_COUNCIL_RECHECK_ENABLED is set, settles them in
three steps, none of which holds a transaction while councils is called:

1. claim: one short transaction picks due amendments `FOR UPDATE SKIP LOCKED` (a row an officer's re-check or
   another replica holds is skipped) and stamps `council_checked_at`, which keeps other replicas off it for
   BUDGET_COUNCIL_RECHECK_SECONDS; commit;
2. ask councils (`GET /councils/decisions/{id}`, through the app's client) with no transaction open;
3. settle: one short transaction per amendment locks the project then the amendment (the order the API's
   writes use), and records the verdict only if it is still pending (an officer may have settled it
   meanwhile). Its status change goes to the project's timeline, with this loop as the actor.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import date

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.budget.amendments import repository
from services.budget.amendments.council_check import CouncilCheck, check_council_decision
from services.budget.amendments.councils_client import councils_client
from services.budget.amendments.service import settle
from services.budget.projects.service import load_project
from services.budget.settings import BudgetSettings
from shared.app import LifespanPart
from shared.background import in_background
from shared.service_auth import ServiceIdentity
from shared.service_client import ServiceClient

logger = logging.getLogger("services.budget.council_recheck")

ACTOR = ServiceIdentity("service:budget-council-recheck")


@dataclass(frozen=True, slots=True)
class Due:
    amendment_id: int
    project_id: int
    decision_id: int
    district_code: str
    requested_on: date


class CouncilRecheck:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        councils: ServiceClient,
        *,
        every_seconds: float,
        batch: int,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.councils = councils
        self.every_seconds = every_seconds
        self.batch = batch

    async def run_once(self) -> int:
        """Claim, ask and settle one batch of due amendments; how many were claimed."""
        due = await self._claim()
        for item in due:
            check = await self._ask(item)
            try:
                await self._settle(item, check)
            except Exception:
                logger.exception("amendment %s: the council check could not be recorded", item.amendment_id)
        return len(due)

    async def _claim(self) -> list[Due]:
        async with self.sessionmaker() as session, session.begin():
            rows = await repository.claim_pending_council(
                session, checked_before_seconds=self.every_seconds, limit=self.batch
            )
        # A council-route amendment always cites a decision (CHECK ck_amendments_council_cites_decision).
        return [Due(row[0], row[1], int(row[2] or 0), row[3], row[4]) for row in rows]

    async def _ask(self, item: Due) -> CouncilCheck:
        return await check_council_decision(
            self.councils, item.decision_id, item.district_code, item.requested_on
        )

    async def _settle(self, item: Due, check: CouncilCheck) -> None:
        async with self.sessionmaker() as session, session.begin():
            project = await load_project(session, item.project_id, lock=True)
            amendment = await repository.get_amendment(session, item.amendment_id, lock=True)
            if amendment is None or amendment.status != "pending_council":
                return
            await settle(session, amendment, project, ACTOR, check)
        if check.verdict != "unanswered":
            logger.info("amendment %s settled by the re-check: %s", item.amendment_id, check.note)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: a pass every `every_seconds` (at once again after a full batch)."""
        while not stop.is_set():
            try:
                claimed = await self.run_once()
            except Exception:
                logger.exception("council re-check pass failed; trying again")
                claimed = 0
            if claimed < self.batch:
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.every_seconds)


def council_recheck_part(settings: BudgetSettings) -> LifespanPart:
    @asynccontextmanager
    async def part(app: FastAPI) -> AsyncIterator[None]:
        if not settings.council_recheck_enabled:
            yield
            return
        # The app's councils client (councils_client.py), shared with the API's checks: one breaker, so a
        # councils the loop found dead fails the officers' checks at once too. Closed by its own part.
        loop = CouncilRecheck(
            app.state.sessionmaker,
            councils_client(app),
            every_seconds=settings.council_recheck_seconds,
            batch=settings.council_recheck_batch,
        )
        async with in_background(loop.run, "budget council re-check"):
            yield

    return part
