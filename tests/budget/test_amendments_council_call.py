"""How budget calls councils about an amendment's decision: through the app's one ServiceClient
(amendments/councils_client.py), with no project lock held and the trace context sent along.
"""

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from services.budget.amendments.councils_client import close_councils_client, councils_client
from services.budget.projects.models import Project
from tests.budget.conftest import Budget
from tests.budget.test_amendments import amend, councils_down, councils_up, decision, running_a


class LockProbe:
    """A councils stand-in that, while answering, tries to lock the project from another connection."""

    def __init__(self, app: Any, project_id: int) -> None:
        self.app = app
        self.project_id = project_id
        self.calls: list[tuple[bool, httpx.Headers]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        lockable = True
        try:
            async with self.app.state.sessionmaker() as session, session.begin():
                query = select(Project.id).where(Project.id == self.project_id).with_for_update(nowait=True)
                await session.execute(query)
        except DBAPIError:  # lock_not_available: the request still holds the project
            lockable = False
        self.calls.append((lockable, request.headers))
        return councils_up(request)


async def test_councils_is_asked_with_no_project_lock_held(committing: Budget) -> None:
    api = committing
    app = api.client._transport.app  # type: ignore[attr-defined]
    decision(8, "pass")
    pid, line = await running_a(api)
    probe = LockProbe(app, pid)
    app.state.councils_transport = httpx.MockTransport(probe)
    try:
        first = await amend(api, pid, [{"line_id": line, "amount_krw": 630_000}], council_decision_id=8)
        assert first.status_code == 201, first.text
        assert first.json()["status"] == "council_approved"
        app.state.councils_transport = httpx.MockTransport(councils_down)
        pending = (
            await amend(api, pid, [{"line_id": line, "amount_krw": 650_000}], council_decision_id=8)
        ).json()
        assert pending["status"] == "pending_council"
        app.state.councils_transport = httpx.MockTransport(probe)
        url = f"/budget/amendments/{pending['id']}/council-check"
        checked = await api.ok("POST", url, api.officer)
        assert checked["status"] == "council_approved"
    finally:
        del app.state.councils_transport
    assert [lockable for lockable, _ in probe.calls] == [True, True]
    for _, headers in probe.calls:
        assert "traceparent" in headers and "x-request-id" in headers
    assert (await api.client.get(f"/budget/projects/{pid}")).json()["budget_krw"] == 650_000


async def test_the_app_holds_one_councils_client_and_closes_it(committing: Budget) -> None:
    app = committing.client._transport.app  # type: ignore[attr-defined]
    shared = councils_client(app)
    assert councils_client(app) is shared and shared.policy.retries == 1
    app.state.councils_transport = httpx.MockTransport(councils_up)
    hooked = councils_client(app)
    assert hooked is not shared and councils_client(app) is hooked
    app.state.councils_transport = httpx.MockTransport(councils_up)
    assert councils_client(app) is not hooked  # another test transport: another client, a fresh breaker
    del app.state.councils_transport
    assert councils_client(app) is shared
    await close_councils_client(app)
    assert shared.client.is_closed
    assert councils_client(app) is not shared
    await close_councils_client(app)
