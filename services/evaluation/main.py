"""The performance-evaluation service: cycles, targets, indicators, raters, scores, appeals, results."""

from fastapi import FastAPI

from services.evaluation.cycles.router import router as cycles_router
from services.evaluation.settings import EvaluationSettings
from shared.app import create_service_app


def create_app(settings: EvaluationSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or EvaluationSettings(),
        title="Seoul performance evaluation",
        description="Evaluation cycles, targets, indicators, raters, scores, appeals and results.",
        routers=[cycles_router],
    )
