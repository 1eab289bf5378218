"""A meeting's requesters are rows of their own: a change touches only those added and those removed."""

import asyncio

from tests.councils.extraordinary import association, extraordinary
from tests.councils.helpers import Api, unique


async def test_changing_the_requesters_records_only_those_added_and_removed(api: Api) -> None:
    _, steering, (staying, leaving, joining) = await association(api, 3)
    creation = await extraordinary(api, steering, requested_by=[staying["id"], leaving["id"]])
    created, created_request = await api.ok(creation), creation.headers["x-request-id"]
    changed = await api.client.patch(
        f"/councils/meetings/{created['id']}",
        json={"requested_by": [joining["id"], staying["id"]]},
        headers=api.city,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["requested_by"] == sorted([staying["id"], joining["id"]])
    entries = await api.history("meeting_requester", created["id"])
    by_change = [
        (e["action"], (e["after"] or e["before"])["person_id"])
        for e in entries
        if e["request_id"] == changed.headers["x-request-id"]
    ]
    assert sorted(by_change) == sorted([("delete", leaving["id"]), ("create", joining["id"])])
    unchanged = await api.client.patch(
        f"/councils/meetings/{created['id']}",
        json={"requested_by": [staying["id"], joining["id"]]},
        headers=api.city,
    )
    assert unchanged.status_code == 200, unchanged.text
    after = await api.history("meeting_requester", created["id"])
    assert [e["id"] for e in after] == [e["id"] for e in entries]
    kept = [e for e in after if (e["after"] or e["before"])["person_id"] == staying["id"]]
    assert [(e["action"], e["request_id"]) for e in kept] == [("create", created_request)]


async def test_changes_at_once_leave_one_of_the_lists_asked_for(committed_api: Api) -> None:
    """Committed, concurrent changes: the stored requesters are one request's list, never a mix of two, and
    the history replayed gives the same list."""
    api = committed_api
    council = await api.body(classification="city_council", name_ko=unique("서울협치협의회"))
    people = [(await api.person())["id"] for _ in range(6)]
    created = await api.ok(await extraordinary(api, council, requested_by=people[:2]))
    lists = [[people[i], people[(i + 3) % 6]] for i in range(6)]
    changes = [
        api.client.patch(f"/councils/meetings/{created['id']}", json={"requested_by": ids}, headers=api.city)
        for ids in lists
    ]
    assert [response.status_code for response in await asyncio.gather(*changes)] == [200] * 6
    stored = (await api.client.get(f"/councils/meetings/{created['id']}")).json()["requested_by"]
    assert stored in [sorted(ids) for ids in lists]
    replayed: set[int] = set()
    for entry in await api.history("meeting_requester", created["id"]):
        if entry["action"] == "create":
            replayed.add(entry["after"]["person_id"])
        else:
            replayed.discard(entry["before"]["person_id"])
    assert sorted(replayed) == stored
