from typing import Any

from pydantic import BaseModel, Field


class PopoloExport(BaseModel):
    """Popolo (https://www.popoloproject.com) collections; ids are `<type>/<id>` strings."""

    organizations: list[dict[str, Any]] = Field(
        description="Popolo organizations: the body and its sub-bodies."
    )
    persons: list[dict[str, Any]]
    memberships: list[dict[str, Any]]
    posts: list[dict[str, Any]]
