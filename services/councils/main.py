"""The council registry service: districts, governance bodies, people, memberships, meetings, motions."""

from fastapi import FastAPI

from services.councils.common.read_cache import VersionedCache, VersionReads
from services.councils.district_overview.router import router as district_overview_router
from services.councils.district_status.router import router as district_status_router
from services.councils.districts.router import router as districts_router
from services.councils.exports.router import router as exports_router
from services.councils.history.router import router as history_router
from services.councils.meetings.router import router as meetings_router
from services.councils.memberships.router import router as memberships_router
from services.councils.organizations.router import router as organizations_router
from services.councils.people.router import router as people_router
from services.councils.platforms.router import router as platforms_router
from services.councils.settings import CouncilsSettings
from shared.app import create_service_app


def create_app(settings: CouncilsSettings | None = None) -> FastAPI:
    settings = settings or CouncilsSettings()
    app = create_service_app(
        settings=settings,
        title="Seoul council registry",
        description="Districts, governance bodies, people, memberships, meetings and decisions.",
        routers=[
            districts_router,
            district_status_router,
            district_overview_router,
            organizations_router,
            people_router,
            memberships_router,
            meetings_router,
            platforms_router,
            exports_router,
            history_router,
        ],
    )
    app.state.read_cache = VersionedCache(settings.read_cache_bytes)
    app.state.registry_versions = VersionReads()
    return app
