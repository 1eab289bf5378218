"""The council registry service: districts, governance bodies, people, memberships, meetings, motions."""

from fastapi import FastAPI

from services.councils.districts.router import router as districts_router
from services.councils.settings import CouncilsSettings
from shared.app import create_service_app


def create_app(settings: CouncilsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or CouncilsSettings(),
        title="Seoul council registry",
        description="Districts, governance bodies, people, memberships, meetings and decisions.",
        routers=[districts_router],
    )
