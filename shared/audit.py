"""Who acts, for the database's audit triggers: every service records its history the same way.

Each service's audited tables carry an AFTER INSERT OR UPDATE OR DELETE trigger that writes the row images to
the service's append-only history table, in the same transaction as the change, whatever wrote it. The trigger
reads who acts from transaction-local settings (`<schema>.actor`, `.actor_role`, `.reason`, `.request_id`),
which the service sets here from the authenticated identity at the start of each write transaction; a write
with none set (a migration, an operator's psql) is recorded as `system`.
"""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Identity
from shared.logging import request_id_var
from shared.service_auth import SERVICE_ROLE, ServiceIdentity

_SET_ACTOR = text(
    "SELECT set_config(:actor_key, :actor, true), set_config(:role_key, :role, true),"
    " set_config(:reason_key, :reason, true), set_config(:request_key, :request_id, true)"
)


async def set_actor(
    session: AsyncSession, schema: str, actor: Identity | ServiceIdentity, reason: str | None = None
) -> None:
    """Tell `schema`'s audit triggers who acts (a service as itself, role `service`), why, and in which
    request, until the transaction ends."""
    role = SERVICE_ROLE if isinstance(actor, ServiceIdentity) else actor.role.value
    await session.execute(
        _SET_ACTOR,
        {
            "actor_key": f"{schema}.actor",
            "actor": actor.subject,
            "role_key": f"{schema}.actor_role",
            "role": role,
            "reason_key": f"{schema}.reason",
            "reason": reason or "",
            "request_key": f"{schema}.request_id",
            "request_id": request_id_var.get() or "",
        },
    )
