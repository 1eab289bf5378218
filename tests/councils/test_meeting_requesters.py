"""A meeting's requesters are rows of their own: a change touches only those added and those removed."""

from tests.councils.helpers import Api
from tests.councils.test_extraordinary import association, extraordinary


async def test_changing_the_requesters_records_only_those_added_and_removed(api: Api) -> None:
    _, steering, (staying, leaving, joining) = await association(api, 3)
    created = await api.ok(await extraordinary(api, steering, requested_by=[staying["id"], leaving["id"]]))
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
