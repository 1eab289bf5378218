from typing import Any

from pydantic import BaseModel, Field


class PopoloExport(BaseModel):
    """Popolo (https://www.popoloproject.com) collections; ids are `<type>/<id>` strings."""

    organizations: list[dict[str, Any]] = Field(
        description="Popolo organizations: the body and its sub-bodies, then organisations their memberships "
        "name as `member` or `on_behalf_of_id`."
    )
    persons: list[dict[str, Any]] = Field(description="Popolo persons holding the memberships (no contacts).")
    memberships: list[dict[str, Any]]
    posts: list[dict[str, Any]]
    events: list[dict[str, Any]] = Field(
        description="Popolo events: the bodies' meetings in time order (`status` tentative, confirmed or "
        "cancelled; times ISO 8601 in Asia/Seoul)."
    )
    motions: list[dict[str, Any]] = Field(
        description="Popolo motions of those meetings: `requirement` from the body's rules, `result` "
        "`pass`, `fail` or `pending` as computed by `GET /councils/motions/{id}`; "
        "`legislative_session_id` is the meeting's event."
    )
    vote_events: list[dict[str, Any]] = Field(
        description="Popolo vote events, one per motion whose counts are recorded: `counts` of the options "
        "`yes`, `no`, `abstain`, and the computed `result` (a vote without quorum fails)."
    )
