"""The performance-evaluation service: cycles, targets, indicators, raters, scores, appeals, results."""

from fastapi import FastAPI

from services.evaluation.comparison.router import router as comparison_router
from services.evaluation.councils import councils_part
from services.evaluation.cycle_aggregation.router import router as cycle_aggregation_router
from services.evaluation.cycles.router import router as cycles_router
from services.evaluation.district_results.router import router as district_results_router
from services.evaluation.history.router import router as history_router
from services.evaluation.indicators.router import router as indicators_router
from services.evaluation.outbox.router import router as outbox_router
from services.evaluation.panels.router import router as panels_router
from services.evaluation.recusals.router import router as recusals_router
from services.evaluation.relay import relay_part
from services.evaluation.results.router import router as results_router
from services.evaluation.rubrics.router import router as rubrics_router
from services.evaluation.scores.router import router as scores_router
from services.evaluation.settings import EvaluationSettings
from services.evaluation.submissions.router import router as submissions_router
from services.evaluation.targets.router import router as targets_router
from services.evaluation.windows.router import router as windows_router
from shared.app import create_service_app
from shared.observability import Metrics
from shared.outbox_relay import RelayMetrics


def create_app(settings: EvaluationSettings | None = None) -> FastAPI:
    settings = settings or EvaluationSettings()
    metrics = Metrics(settings.service_name)
    app = create_service_app(
        settings=settings,
        title="Seoul performance evaluation",
        description="Evaluation cycles, targets, indicators, raters, scores, appeals and results.",
        routers=[
            cycles_router,
            targets_router,
            windows_router,
            rubrics_router,
            indicators_router,
            submissions_router,
            panels_router,
            recusals_router,
            scores_router,
            comparison_router,
            results_router,
            district_results_router,
            cycle_aggregation_router,
            history_router,
            outbox_router,
        ],
        metrics=metrics,
        lifespan_parts=[
            councils_part(settings),
            relay_part(settings, RelayMetrics(metrics.registry, "evaluation")),
        ],
    )
    return app
