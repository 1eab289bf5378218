import json
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def add_result(
    session: AsyncSession, *, event_id: UUID, target_id: int, payload: Mapping[str, Any]
) -> None:
    await session.execute(
        text(
            "INSERT INTO budget.delivered_results (event_id, target_id, payload)"
            " VALUES (:event_id, :target_id, CAST(:payload AS jsonb))"
        ),
        {"event_id": event_id, "target_id": target_id, "payload": json.dumps(payload, ensure_ascii=False)},
    )
