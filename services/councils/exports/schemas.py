from typing import Any

from pydantic import BaseModel, Field


class PopoloExport(BaseModel):
    """Popolo (https://www.popoloproject.com) collections; ids are `<type>/<id>` strings."""

    organizations: list[dict[str, Any]] = Field(
        description="Popolo organizations: the body and its sub-bodies, then organisations their memberships "
        "name as `member` or `on_behalf_of_id`."
    )
    persons: list[dict[str, Any]] = Field(
        description="Popolo persons holding the memberships or requesting the meetings (no contacts)."
    )
    memberships: list[dict[str, Any]]
    posts: list[dict[str, Any]]
    areas: list[dict[str, Any]] = Field(
        description="Popolo areas: the districts the document names as `area_id` (`district/<code>`), and "
        "only those, by code: `name` in Korean, `classification` `district` (자치구), `identifier` and "
        "`identifiers` (scheme `행정표준코드`) the 5-digit code."
    )
    events: list[dict[str, Any]] = Field(
        description="Popolo events: the bodies' meetings in time order (`status` tentative, confirmed or "
        "cancelled; times ISO 8601 in Asia/Seoul). Extensions (not Popolo fields): `requested_by`, the "
        "`person/<id>`s who requested an extraordinary meeting, and `called_by_motion_id`, the "
        "`motion/<id>` of the resolution that called it; left out when there is none."
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
