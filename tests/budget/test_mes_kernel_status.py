"""The MES kernel's presence shows in /readyz and /metrics; without it MES outcomes still answer."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.budget.outcomes.mes_kernel import PATH_VARIABLE, reload_kernel
from tests.budget.conftest import Auth, Budget, create_election

GAUGE = "budget_mes_kernel_loaded"


@pytest.fixture
def broken_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    corrupt = tmp_path / "_mes_kernel.so"
    corrupt.write_bytes(b"corrupt" * 100)
    monkeypatch.setenv(PATH_VARIABLE, str(corrupt))
    reload_kernel()
    yield
    monkeypatch.delenv(PATH_VARIABLE)
    reload_kernel()


def _gauge(metrics_text: str) -> float:
    (line,) = [line for line in metrics_text.splitlines() if line.startswith(GAUGE + " ")]
    return float(line.split()[1])


async def test_a_loaded_kernel_is_reported(api: Budget) -> None:
    assert reload_kernel() is not None
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "mes_kernel": "loaded"}
    assert _gauge((await api.client.get("/metrics")).text) == 1.0


@pytest.mark.usefixtures("broken_kernel")
async def test_a_kernel_that_does_not_load_is_reported_and_mes_still_answers(api: Budget, auth: Auth) -> None:
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "mes_kernel": "unavailable"}
    assert _gauge((await api.client.get("/metrics")).text) == 0.0

    election = await create_election(api, ballot={"type": "approval", "max_length": 2})
    url = f"/budget/elections/{election['id']}"
    for i, choice in enumerate([["A", "D"], ["B"], ["C", "D"], ["C"]]):
        voter = auth("citizen", subject=f"kernel-voter-{i}")
        await api.ok("PUT", f"{url}/ballot", voter, json={"project_ids": choice})
    outcome = await api.ok("GET", f"{url}/outcome?rule=mes-add1", api.city)
    assert outcome["selected"], outcome
