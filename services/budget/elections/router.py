import re
from collections.abc import AsyncIterator
from decimal import Decimal
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from services.budget.elections import ballots, chart, outcomes, pb_export, pb_import, service
from services.budget.elections.ballots import BallotConfigCache
from services.budget.elections.computations import RETRY_AFTER, StillComputing, outcome_computations
from services.budget.elections.errors import FileTooLarge, InvalidPbFile
from services.budget.elections.published import PublishedBodies, published_etag
from services.budget.elections.published_hot import published_read
from services.budget.elections.schemas import (
    BallotIn,
    BallotOut,
    ElectionCreate,
    ElectionOut,
    ElectionSummary,
    ImportResult,
    OutcomeComputing,
    OutcomeOut,
    RuleName,
    VoterRollIn,
    VoterRollOut,
)
from services.budget.settings import IMPORT_ENVELOPE_BYTES, BudgetSettings
from shared.auth import Identity, OptionalIdentity, Role, current_identity, require_roles
from shared.db import ReadSessionDep, SessionDep
from shared.driver import driver_connection
from shared.hot_routes import HotRoute
from shared.json_body import THREAD_PARSE_BYTES, JsonBodyRequest, JsonBodyRoute, is_json_media_type
from shared.pagination import CursorParam, LimitParam, Page
from shared.problems import PROBLEM_RESPONSES, ProblemError, Unauthorized
from shared.request_limits import UPLOAD_LIMIT
from shared.text_guard import bad_values, is_storable

router = APIRouter(prefix="/budget", tags=["budget elections"], route_class=JsonBodyRoute)

ElectionId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CityOfficer = Annotated[Identity, Depends(require_roles(Role.city_officer))]


class _SignedIn(HTTPBearer):
    """Any caller with a token: who may vote is decided per election (citizens, or enrolled on its roll).

    `current_identity` and the sign-in check as one dependency of the same security scheme (same name and
    description, so the OpenAPI document is unchanged): FastAPI solves one level per ballot instead of three.
    """

    async def __call__(self, request: Request) -> Identity:  # type: ignore[override]
        identity = await current_identity(request, await super().__call__(request))
        if identity is None:
            raise Unauthorized(
                "this operation needs a bearer token", detail_ko="이 작업에는 bearer 토큰이 필요합니다."
            )
        return identity


_signed_in = _SignedIn(
    auto_error=False, scheme_name="HTTPBearer", description="A JWT issued for the Seoul governance API."
)
Voter = Annotated[Identity, Depends(_signed_in)]


def _settings(request: Request) -> BudgetSettings:
    settings: BudgetSettings = request.app.state.settings
    return settings


# `_secret` is `async def` although it does not await: FastAPI runs a plain `def` dependency in a worker
# thread, a thread hop for reading app state. The ballot itself reads both without a dependency.
def _voter_secret(request: Request) -> bytes:
    return _settings(request).voter_hash_secret.get_secret_value().encode()


async def _secret(request: Request) -> bytes:
    return _voter_secret(request)


def _ballot_configs(request: Request) -> BallotConfigCache:
    state = request.app.state
    if not hasattr(state, "ballot_configs"):
        state.ballot_configs = BallotConfigCache()
    cache: BallotConfigCache = state.ballot_configs
    return cache


Secret = Annotated[bytes, Depends(_secret)]


# The ballot first: the service's busiest route, and a request is matched against a router's routes in
# the order they are declared (no other route of this router matches its path, whatever the order).
@router.put("/elections/{election_id}/ballot", summary="Cast or replace my ballot", response_model=BallotOut)
async def cast_ballot(request: Request, election_id: ElectionId, data: BallotIn, actor: Voter) -> Response:
    """Cast your ballot, or replace it while the election is open; you are stored only as a keyed hash.

    Citizens vote; a caller with any other role (admin included) votes only when enrolled on one of the
    election's voter rolls, and then in that group: otherwise 403 `not-a-voter`.
    """
    return await _cast(request, election_id, data, actor)


async def _cast(request: Request, election_id: int, data: BallotIn, actor: Identity) -> Response:
    # The hot path: one statement on the bare connection (shared.driver), no session; the secret and the
    # rules' cache read here rather than as two more dependencies for FastAPI to solve per ballot.
    secret, cache = _voter_secret(request), _ballot_configs(request)
    async with driver_connection(request) as connection:
        ballot = await ballots.cast_ballot(
            connection, election_id=election_id, data=data, actor=actor, secret=secret, cache=cache
        )
    # Serialised once: FastAPI would validate the model it was just built as, then serialise it.
    return Response(ballot.model_dump_json(), media_type="application/json")


_ELECTION_ID = re.compile(r"[1-9][0-9]{0,9}")


async def _cast_ballot_hot(request: JsonBodyRequest) -> Response | None:
    """`cast_ballot` for a well-formed ballot (shared/hot_routes.py); None leaves the request to FastAPI.

    FastAPI's order is kept: the JSON body's route checks (media type, parse, text guard), then the token
    (`Voter`: a bad one is the same 401 here), then the path and the body. Whatever FastAPI would refuse
    is declined before the token is read or after, and FastAPI refuses it."""
    raw_id = request.path_params["election_id"]
    if (
        request.scope["query_string"]
        or not _ELECTION_ID.fullmatch(raw_id)
        or not is_json_media_type(request.headers.get("content-type"))
    ):
        return None
    body = await request.body()
    if not body or len(body) > THREAD_PARSE_BYTES:
        return None
    try:
        raw = await request.json()
    except (ValueError, ProblemError):  # not JSON, not UTF-8, too deep
        return None
    if bad_values(raw, "body") != ([], []):
        return None
    actor = await _signed_in(request)
    election_id = int(raw_id)
    if election_id > 2**31 - 1 or not isinstance(raw, dict):
        return None
    try:
        data = BallotIn.model_validate(raw)
    except ValidationError:
        return None
    return await _cast(request, election_id, data, actor)


hot_ballot = HotRoute(
    "PUT",
    next(route for route in router.routes if isinstance(route, APIRoute) and route.endpoint is cast_ballot),
    _cast_ballot_hot,
)


@router.get("/elections", summary="List elections")
async def list_elections(
    session: SessionDep, cursor: CursorParam = None, limit: LimitParam = 50
) -> Page[ElectionSummary]:
    """Elections, newest first."""
    return await service.list_elections(session, cursor=cursor, limit=limit)


@router.post("/elections", status_code=201, summary="Create an election")
async def create_election(session: SessionDep, data: ElectionCreate, actor: CityOfficer) -> ElectionOut:
    """An election on listed projects or an envelope's second-round shortlist, with weighted voter groups."""
    return await service.create_election(session, data=data, actor=actor)


IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "A Pabulib .pb file."},
                        "published": {
                            "type": "boolean",
                            "default": False,
                            "description": "Results public now.",
                        },
                        "name_ko": {
                            "type": "string",
                            "description": "Name; the file's description by default.",
                        },
                        "cycle_id": {"type": "integer"},
                    },
                }
            }
        },
    }
}


def _form_bool(value: object, field: str) -> bool:
    text = str(value or "false").strip().lower()
    if text not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        raise InvalidPbFile(
            f"{field} must be true or false",
            detail_ko=f"{field}은(는) true 또는 false여야 합니다.",
            field=f"body.{field}",
        )
    return text in ("true", "1", "yes", "on")


@router.post(
    "/elections/import",
    status_code=201,
    summary="Import a Pabulib election",
    openapi_extra={**IMPORT_BODY, **UPLOAD_LIMIT},
    responses={413: {"description": "File too large"}},
)
async def import_election(
    request: Request,
    session: SessionDep,
    actor: CityOfficer,
    strict: Annotated[
        bool, Query(description="Refuse (422, naming the line) what the import would otherwise repair.")
    ] = False,
) -> ImportResult:
    """Import a .pb file (multipart field `file`) as a closed election with its projects and ballots.

    Real files carry dirt their cities' own counts ignore. The import repairs what it safely can and lists
    each repair with its line in `repairs`: a vote listing a project twice counts it once (in a points vote
    the last occurrence's points are kept, as pabutools reads it). With `?strict=true` such a file is
    refused instead: 422 `invalid-pb-file` with the `line`.
    """
    settings = _settings(request)
    limit = settings.import_max_bytes
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit + IMPORT_ENVELOPE_BYTES:
        raise FileTooLarge(
            f"the upload is {int(length):,} bytes; at most {limit:,}",
            detail_ko=f"업로드 크기가 {int(length):,}바이트입니다. 최대 {limit:,}바이트까지 허용됩니다.",
            field="body.file",
        )
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidPbFile(
                "attach the .pb file as the multipart field 'file'",
                detail_ko="multipart 필드 'file'에 .pb 파일을 첨부하십시오.",
                field="body.file",
            )
        if upload.size is not None and upload.size > limit:
            raise FileTooLarge(
                f"the file is {upload.size:,} bytes; at most {limit:,}",
                detail_ko=f"파일 크기가 {upload.size:,}바이트입니다. 최대 {limit:,}바이트까지 허용됩니다.",
                field="body.file",
            )
        cycle = form.get("cycle_id")
        if cycle is not None and not str(cycle).isdigit():
            raise InvalidPbFile(
                "cycle_id must be a whole number",
                detail_ko="cycle_id는 정수여야 합니다.",
                field="body.cycle_id",
            )
        name = form.get("name_ko")
        if name is not None and not is_storable(str(name)):
            raise InvalidPbFile(
                "name_ko contains a NUL character or an unpaired surrogate",
                detail_ko="name_ko에 NUL 문자나 짝이 없는 서로게이트가 있습니다.",
                field="body.name_ko",
            )
        return await pb_import.import_pb(
            session,
            binary=upload.file,
            filename=upload.filename,
            name_ko=str(name) if name else None,
            cycle_id=int(str(cycle)) if cycle is not None else None,
            published=_form_bool(form.get("published"), "published"),
            actor=actor,
            secret=_voter_secret(request),
            batch_rows=settings.import_batch_rows,
            statement_timeout_ms=settings.import_statement_timeout_ms,
            strict=strict,
        )


@router.get("/elections/{election_id}", summary="Get an election")
async def get_election(session: SessionDep, election_id: ElectionId) -> ElectionOut:
    """An election with its projects, voter groups, ballot rules and window (Asia/Seoul)."""
    return await service.get_election(session, election_id)


@router.get("/elections/{election_id}/ballot", summary="Get my ballot")
async def my_ballot(session: SessionDep, election_id: ElectionId, actor: Voter, secret: Secret) -> BallotOut:
    """The ballot you cast in this election."""
    return await ballots.my_ballot(session, election_id=election_id, actor=actor, secret=secret)


@router.post("/elections/{election_id}/voter-roll", summary="Admit voters to a closed voter group")
async def add_to_roll(
    session: SessionDep, election_id: ElectionId, data: VoterRollIn, actor: CityOfficer, secret: Secret
) -> VoterRollOut:
    """Put voters (token subjects) on a group's roll, e.g. the committee; only keyed hashes are stored."""
    return await ballots.add_to_roll(session, election_id=election_id, data=data, actor=actor, secret=secret)


@router.post("/elections/{election_id}/close", summary="Close an election now")
async def close_election(session: SessionDep, election_id: ElectionId, actor: CityOfficer) -> ElectionOut:
    """End the vote now; ballots being cast at this moment finish first."""
    return await outcomes.close_election(session, election_id=election_id)


@router.post("/elections/{election_id}/publish", summary="Publish an election's results")
async def publish(session: SessionDep, election_id: ElectionId, actor: CityOfficer) -> ElectionOut:
    """Make the results public; for a shortlist election, its proposals become selected or not selected."""
    return await outcomes.publish(session, election_id=election_id, actor=actor)


OUTCOME_DESCRIPTION = """The selected project ids (as in the file) and why each was or was not selected.

Outcomes are immutable. **Who computes:** city officers, auditors and admins may ask for any rule, threshold
and tie-break, before or after publication; a new combination is computed and recorded, once, whichever
replica is asked, apart from the request: the request waits for it up to 10 s (200 with the outcome), else
answers **202** with `Retry-After: 5`, `Location` (this same URL) and a `computing` body while the
computation goes on (MES+Add1 on a city-wide vote takes many minutes); asking again answers 202 until the
outcome is stored, then 200. **Everyone else**
(anonymous callers, citizens, district officers, ...) reads only the outcome recorded at publication (the
election's own rule and parameters), and such a read never computes or stores anything. Asking them for
another rule, threshold or tie-break is **403** `outcome-not-published`, `errors[].field` naming the query
parameter that differs (`query.rule`, `query.threshold` or `query.tie_break`): 403 rather than 404, as the
outcome exists for callers with the right role. Without `rule`, the election's own rule.

**Caching:** the published outcome (asked for with the election's own rule and parameters, by anyone) is a
stored record read by its key, never recomputed. It carries a strong `ETag` and `Cache-Control: public,
max-age=60`; a request whose `If-None-Match` names it is answered **304** with no body.
"""

COMPUTING: dict[str, Any] = {
    "description": "Still being computed (here or by another replica): ask the same URL again later",
    "headers": {
        "Retry-After": {"description": "Seconds to wait before asking again.", "schema": {"type": "integer"}},
        "Location": {"description": "The URL to ask again: this one.", "schema": {"type": "string"}},
    },
}
COMPUTING_RESPONSE: dict[int | str, dict[str, Any]] = {202: {"model": OutcomeComputing, **COMPUTING}}
# The chart's route answers SVG; its 202 is the same JSON (the schema registered by the JSON route's model).
COMPUTING_JSON = {"application/json": {"schema": {"$ref": "#/components/schemas/OutcomeComputing"}}}


def _computing(request: Request, still: StillComputing) -> JSONResponse:
    """202 for an outcome still being computed: ask the same URL (path and query as asked) again."""
    body = OutcomeComputing(
        election_id=still.election_id,
        rule=still.rule,
        started_at=still.started_at,
        retry_after=RETRY_AFTER,
    )
    query = request.url.query
    location = request.url.path + (f"?{query}" if query else "")
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=202,
        headers={"Retry-After": str(RETRY_AFTER), "Location": location},
    )


PUBLISHED_CACHE_CONTROL = "public, max-age=60"


@router.get(
    "/elections/{election_id}/outcome",
    summary="Get an election's outcome",
    description=OUTCOME_DESCRIPTION,
    response_model=OutcomeOut,
    responses={
        304: {"description": "The published outcome named by If-None-Match has not changed (it never does)"},
        403: {"description": "Results not published yet, or other parameters than the published outcome's"},
        404: {
            **PROBLEM_RESPONSES[404],
            "description": "No such election, or its published outcome is not stored",
        },
        422: {"description": "Unknown rule or tie-break key, or a threshold the rule does not take"},
        **COMPUTING_RESPONSE,
    },
)
async def get_outcome(
    session: SessionDep,
    read: ReadSessionDep,
    request: Request,
    election_id: ElectionId,
    identity: OptionalIdentity,
    rule: Annotated[
        RuleName | None, Query(description="The rule to decide by; the election's own rule if omitted.")
    ] = None,
    threshold: Annotated[
        Decimal | None,
        Query(ge=0, description="greedy-threshold: the fewest votes (or points) a winner needs."),
    ] = None,
    tie_break: Annotated[
        str | None,
        Query(description="Comma-separated keys, e.g. score_desc,cost_asc; the rule's default if omitted."),
    ] = None,
    if_none_match: Annotated[
        str | None,
        Header(
            alias="If-None-Match", description="The published outcome's ETag as read: 304 if it still is."
        ),
    ] = None,
) -> Response:
    keys = [key.strip() for key in tie_break.split(",") if key.strip()] if tie_break else None
    try:
        answer = await outcomes.outcome(
            session,
            outcome_computations(request.app.state),
            read=read,
            bodies=_published_bodies(request),
            election_id=election_id,
            rule=rule,
            threshold=threshold,
            tie_break=keys,
            identity=identity,
            if_none_match=if_none_match,
        )
    except StillComputing as still:
        return _computing(request, still)
    headers = {}
    if answer.published:
        headers = {"ETag": published_etag(answer.record_id), "Cache-Control": PUBLISHED_CACHE_CONTROL}
    if answer.body is None:
        return Response(status_code=304, headers=headers)
    # Already JSON (OutcomeOut's): a large election's outcome is not validated and encoded again per read.
    return Response(answer.body, media_type="application/json", headers=headers)


def _published_bodies(request: Request, name: str = "published_outcomes") -> PublishedBodies:
    state = request.app.state
    if not hasattr(state, name):
        setattr(state, name, PublishedBodies())
    bodies: PublishedBodies = getattr(state, name)
    return bodies


class SvgResponse(Response):
    media_type = "image/svg+xml"


OUTCOME_SVG_DESCRIPTION = """The outcome as a picture to embed (`<img src=…>`): every project's votes (and
score where it differs), its cost and whether it was selected, the budget line against every project's cost,
and the rule used, labelled in Korean. 400 units wide in its `viewBox` and `width="100%"`, so it scales to
a phone's width.

The same outcome and the same answers as `GET /budget/elections/{election_id}/outcome` without parameters:
the published outcome for everyone (with a strong `ETag` of its own and `Cache-Control: public, max-age=60`;
`If-None-Match` naming it is **304**), before publication **403** `results-not-published` except for city
officers, auditors and admins, who see the outcome of the election's own rule.
"""


@router.get(
    "/elections/{election_id}/outcome.svg",
    summary="Get an election's outcome as an SVG chart",
    description=OUTCOME_SVG_DESCRIPTION,
    response_class=SvgResponse,
    responses={
        200: {
            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
            "description": "The outcome chart (SVG, UTF-8)",
        },
        304: {"description": "The published outcome's chart named by If-None-Match has not changed"},
        403: {"description": "Results not published yet"},
        404: {
            **PROBLEM_RESPONSES[404],
            "description": "No such election, or its published outcome is not stored",
        },
        202: {"content": COMPUTING_JSON, **COMPUTING},
    },
)
async def get_outcome_svg(
    session: SessionDep,
    read: ReadSessionDep,
    request: Request,
    election_id: ElectionId,
    identity: OptionalIdentity,
    if_none_match: Annotated[
        str | None,
        Header(alias="If-None-Match", description="The chart's ETag as read: 304 if it still is."),
    ] = None,
) -> Response:
    try:
        answer = await chart.outcome_svg(
            session,
            outcome_computations(request.app.state),
            read=read,
            bodies=_published_bodies(request),
            charts=_published_bodies(request, "published_charts"),
            election_id=election_id,
            identity=identity,
            if_none_match=if_none_match,
        )
    except StillComputing as still:
        return _computing(request, still)
    headers = {}
    if answer.published:
        headers = {"ETag": chart.chart_etag(answer.record_id), "Cache-Control": PUBLISHED_CACHE_CONTROL}
    if answer.body is None:
        return Response(status_code=304, headers=headers)
    return SvgResponse(answer.body, headers=headers)


@router.get(
    "/elections/{election_id}/export.pb",
    summary="Export an election as a Pabulib file",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "A .pb file"}},
)
async def export_pb(
    session: SessionDep, election_id: ElectionId, identity: OptionalIdentity
) -> StreamingResponse:
    """The election as a .pb file (META, PROJECTS, VOTES) with voters renumbered 1..n."""
    chunks = await pb_export.export_pb(session, election_id, identity)

    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk.encode()

    return StreamingResponse(
        body(),
        media_type="text/plain; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="election-{election_id}.pb"'},
    )


hot_published_reads = [
    published_read(
        router,
        get_outcome,
        bodies=_published_bodies,
        etag=published_etag,
        media_type="application/json",
        cache_control=PUBLISHED_CACHE_CONTROL,
    ),
    published_read(
        router,
        get_outcome_svg,
        bodies=partial(_published_bodies, name="published_charts"),
        etag=chart.chart_etag,
        media_type=SvgResponse.media_type,
        cache_control=PUBLISHED_CACHE_CONTROL,
    ),
]
