"""A membership search page's JSON, straight from its rows."""

from collections.abc import Sequence
from typing import Any

import pydantic_core

from services.councils.memberships.repository import PAGE_COLUMNS
from shared.pagination import encode_cursor

_TAIL = PAGE_COLUMNS[7:]


def page_json(rows: Sequence[Sequence[Any]], limit: int) -> bytes:
    """`Page[MembershipOut]`'s JSON, byte for byte, from up to limit+1 rows of `PAGE_COLUMNS`.

    Plain dicts in `MembershipOut`'s field order, serialised by pydantic-core as the model is (the same
    datetime and string encoding): building and validating 20 models was ~15 % of a page's CPU, twice
    what serialising them took. The values are the database's, whose check constraints keep them within
    the vocabularies the model's enums would check."""
    items = []
    for row in rows[:limit]:
        (
            membership_id,
            organization_id,
            organization_name,
            person_id,
            person_name,
            member_organization_id,
            member_organization_name,
            *tail,
        ) = row
        item = {
            "id": membership_id,
            "organization_id": organization_id,
            "organization": {"id": organization_id, "name_ko": organization_name},
            "person_id": person_id,
            "person": {"id": person_id, "name_ko": person_name} if person_id and person_name else None,
            "member_organization_id": member_organization_id,
            "member_organization": (
                {"id": member_organization_id, "name_ko": member_organization_name}
                if member_organization_id and member_organization_name
                else None
            ),
        }
        item.update(zip(_TAIL, tail, strict=True))
        items.append(item)
    next_cursor = encode_cursor([items[-1]["id"]]) if len(rows) > limit and items else None
    return pydantic_core.to_json({"items": items, "next_cursor": next_cursor})
