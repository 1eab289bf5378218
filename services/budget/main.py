"""The participatory-budget service: cycles, envelopes, proposals, screening, ballots, outcomes, grants."""

from fastapi import FastAPI
from prometheus_client import Gauge

from services.budget.amendments.councils_client import councils_client_part
from services.budget.amendments.recheck import council_recheck_part
from services.budget.amendments.router import router as amendments_router
from services.budget.cycles.router import router as cycles_router
from services.budget.district_overview.router import router as district_overview_router
from services.budget.elections.computations import outcome_computations_part
from services.budget.elections.router import hot_ballot, hot_published_reads
from services.budget.elections.router import router as elections_router
from services.budget.envelopes.router import router as envelopes_router
from services.budget.evaluation_results.router import router as evaluation_results_router
from services.budget.expenditures.router import router as expenditures_router
from services.budget.funding.router import router as funding_router
from services.budget.grants.router import router as grants_router
from services.budget.history.router import router as history_router
from services.budget.outcomes.mes_kernel import kernel_loaded
from services.budget.programme.router import router as programme_router
from services.budget.projects.router import router as projects_router
from services.budget.proposals.router import router as proposals_router
from services.budget.settings import BudgetSettings
from services.budget.summaries.router import router as summaries_router
from shared.app import create_service_app
from shared.councils_references import councils_references_part


def _readiness_detail() -> dict[str, object]:
    # Without the kernel MES still answers, exactly but slower: ready either way, and it says which.
    return {"mes_kernel": "loaded" if kernel_loaded() else "unavailable"}


def create_app(settings: BudgetSettings | None = None) -> FastAPI:
    settings = settings or BudgetSettings()
    app = create_service_app(
        settings=settings,
        title="Seoul participatory budget",
        description=(
            "Budget cycles, envelopes, proposals and their screening, ballots and outcomes, the programme"
            " budget, funding types, grants and matching shares, funded projects, spending and amendments."
        ),
        # Elections first: a request is matched against the included routers in this order (~1 µs a route),
        # and ballots are the service's busiest path. No two routers' paths overlap, so the order decides
        # nothing else; the committed OpenAPI document is key-sorted, so it is unchanged.
        routers=[
            elections_router,
            cycles_router,
            envelopes_router,
            proposals_router,
            programme_router,
            funding_router,
            grants_router,
            summaries_router,
            district_overview_router,
            history_router,
            projects_router,
            expenditures_router,
            amendments_router,
            evaluation_results_router,
        ],
        hot_routes=[hot_ballot, *hot_published_reads],
        readiness_detail=_readiness_detail,
        lifespan_parts=[
            councils_references_part(settings.councils_url, settings.councils_timeout_seconds),
            councils_client_part(),  # before the re-check loop, which uses it: closed after it
            council_recheck_part(settings),
            outcome_computations_part(),  # cancels outcomes computing here at shutdown, releases their claims
        ],
    )
    Gauge(
        "budget_mes_kernel_loaded",
        "1 when MES runs on the compiled C kernel, 0 when only in exact arithmetic (slower)",
        registry=app.state.metrics.registry,
    ).set_function(lambda: float(kernel_loaded()))
    return app
