"""The participatory-budget service: cycles, envelopes, proposals, screening, ballots, outcomes, grants."""

from fastapi import FastAPI

from services.budget.cycles.router import router as cycles_router
from services.budget.elections.router import router as elections_router
from services.budget.envelopes.router import router as envelopes_router
from services.budget.proposals.router import router as proposals_router
from services.budget.settings import BudgetSettings
from shared.app import create_service_app


def create_app(settings: BudgetSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or BudgetSettings(),
        title="Seoul participatory budget",
        description="Budget cycles, envelopes, proposals and their screening, ballots and outcomes, grants.",
        routers=[cycles_router, envelopes_router, proposals_router, elections_router],
    )
