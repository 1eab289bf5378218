"""The route table: one canonical spelling of a path, and only the services' public paths."""

import pytest

from gateway.routes import PathNotCanonical, PathTable, canonical_path, match

REFUSED = [
    b"/budget/../metrics",
    b"/budget/./cycles",
    b"/budget/cycles/..",
    b"/budget/cycles/.",
    b"/budget/%2e%2e/metrics",
    b"/budget/%2E%2E/metrics",
    b"/budget/%2e%2E/metrics",
    b"/budget/.%2e/metrics",
    b"/budget/%2e./metrics",
    b"/budget/%2e/cycles",
    b"/budget/%252e%252e/metrics",  # double encoding
    b"/budget/%25",
    b"/budget/..%2fmetrics",
    b"/budget/..%2Fmetrics",
    b"/budget/cycles%2f1",
    b"/budget/..%5cmetrics",
    b"/budget/..%5Cmetrics",
    b"/budget/..\\metrics",
    b"/budget/cycles%00",
    b"/budget/cycles%0a",
    b"/budget/%c0%ae%c0%ae/metrics",  # overlong UTF-8 for "..": not UTF-8 at all
    b"/budget/%ff",
]


@pytest.mark.parametrize("raw", [*REFUSED, b"/budget/" + b"a" * 300 + b"/../metrics"])
def test_every_spelling_of_a_walk_is_refused(raw: bytes) -> None:
    for _ in range(2):  # accepted paths are remembered; a refusal is refused again
        with pytest.raises(PathNotCanonical) as refused:
            canonical_path(raw)
        assert refused.value.status == 400 and refused.value.code == "path-not-canonical"


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b"/budget/cycles", "/budget/cycles"),
        (b"/budget/cycles/12/proposals", "/budget/cycles/12/proposals"),
        (b"/budget/%63ycles", "/budget/cycles"),  # an unreserved character, needlessly escaped
        (b"/councils/people/%ED%95%9C", "/councils/people/한"),
        (b"/budget/a.b/..c/c..", "/budget/a.b/..c/c.."),  # dots inside a segment are not dot segments
    ],
)
def test_a_plain_path_passes_decoded(raw: bytes, path: str) -> None:
    assert canonical_path(raw) == path
    assert canonical_path(raw) == path
    assert canonical_path(raw + b"/" + b"x" * 300) == path + "/" + "x" * 300  # too long to be remembered


def test_prefixes_route_to_their_service() -> None:
    assert match("/budget/cycles").upstream == "budget"  # type: ignore[union-attr]
    assert match("/councils/districts").upstream == "councils"  # type: ignore[union-attr]
    assert match("/budgetary") is None and match("/metrics") is None


SPEC = {
    "paths": {
        "/budget/cycles": {"get": {}, "post": {}, "parameters": []},
        "/budget/cycles/{cycle_id}": {"get": {}, "patch": {}},
        "/budget/cycles/current": {"delete": {}},
        "/metrics": {"get": {}},
        "/openapi.json": {"get": {}},
        "/councils/districts": {"get": {}},
    }
}


@pytest.fixture
def table() -> PathTable:
    return PathTable.from_openapi(SPEC, "/budget/")


def test_only_the_services_paths_under_its_prefix_are_public(table: PathTable) -> None:
    for internal in ("/metrics", "/openapi.json", "/councils/districts", "/budget/metrics"):
        assert table.methods(internal) is None


def test_methods_are_the_ones_the_spec_declares(table: PathTable) -> None:
    assert table.methods("/budget/cycles") == {"GET", "POST"}
    assert table.methods("/budget/cycles/7") == {"GET", "PATCH"}


def test_a_path_matching_two_templates_allows_both_sets(table: PathTable) -> None:
    assert table.methods("/budget/cycles/current") == {"GET", "PATCH", "DELETE"}


@pytest.mark.parametrize(
    "path", ["/budget/cycles/", "/budget//cycles", "/budget/cycles/7/extra", "/budget", "/budget/"]
)
def test_a_template_parameter_is_one_non_empty_segment(table: PathTable, path: str) -> None:
    assert table.methods(path) is None


def test_a_remembered_answer_is_the_same_and_the_memory_is_bounded(table: PathTable) -> None:
    from gateway import routes

    paths = ["/budget/cycles", "/budget/cycles/7", "/budget/cycles/current", "/metrics", "/budget/cycles/"]
    first = [table.methods(path) for path in paths]
    assert [table.methods(path) for path in paths] == first  # now remembered, None included
    for n in range(routes._REMEMBERED_PATHS + 10):
        assert table.methods(f"/budget/cycles/{n}") == {"GET", "PATCH"}
    long_path = "/budget/cycles/" + "7" * routes._REMEMBERED_LENGTH
    assert table.methods(long_path) == {"GET", "PATCH"}
    assert len(table._remembered) <= routes._REMEMBERED_PATHS and long_path not in table._remembered
