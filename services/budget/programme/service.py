"""The programme budget: a tree whose every parent is the sum of its children, per fiscal year.

Checked here with the arithmetic in the answer, and again at COMMIT by the deferred constraint trigger
`programme_sum_guard` (migration 0007), which no writer can bypass.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.common import record_actor
from services.budget.programme import repository
from services.budget.programme.errors import (
    InvalidTree,
    NodeNotFound,
    ProgrammeExists,
    ProgrammeNotFound,
    SumMismatch,
)
from services.budget.programme.schemas import NodeOut, ProgrammeChanges, ProgrammeCreate, ProgrammeOut
from shared.auth import Identity


@dataclass
class Node:
    code: str
    parent_code: str | None
    name_ko: str
    amount_krw: int


def _children(nodes: Sequence[Node]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {node.code: [] for node in nodes}
    for node in nodes:
        if node.parent_code is not None:
            children[node.parent_code].append(node.code)
    return children


def first_mismatch(nodes: Sequence[Node]) -> tuple[Node, int] | None:
    """The first parent (depth-first order of `nodes`) whose children do not sum to it, with their sum."""
    amounts = {node.code: node.amount_krw for node in nodes}
    children = _children(nodes)
    for node in nodes:
        kids = children[node.code]
        if kids and sum(amounts[kid] for kid in kids) != node.amount_krw:
            return node, sum(amounts[kid] for kid in kids)
    return None


def _mismatch_detail(fiscal_year: int, node: Node, total: int) -> tuple[str, str]:
    gap = node.amount_krw - total
    return (
        f"programme {fiscal_year} node {node.code}: {node.amount_krw:,} KRW, but its children sum to"
        f" {total:,} KRW (a difference of {gap:+,} KRW)",
        f"{fiscal_year}년 사업예산 {node.code}: {node.amount_krw:,}원이지만"
        f" 하위 항목의 합은 {total:,}원입니다"
        f" (차이 {gap:+,}원)",
    )


def depth_first(nodes: Sequence[Node]) -> list[tuple[Node, int]]:
    by_code = {node.code: node for node in nodes}
    children = _children(nodes)
    roots = [node for node in nodes if node.parent_code is None]
    ordered: list[tuple[Node, int]] = []
    stack = [(root, 0) for root in reversed(roots)]
    while stack:
        node, depth = stack.pop()
        ordered.append((node, depth))
        stack.extend((by_code[kid], depth + 1) for kid in reversed(children[node.code]))
    return ordered


def _check_tree(nodes: Sequence[Node]) -> list[tuple[Node, int]]:
    """The nodes depth-first, or a 422 naming the first node that breaks the tree."""
    index: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if node.code in index:
            raise InvalidTree(
                f"code {node.code} appears twice",
                detail_ko=f"코드 {node.code}가 두 번 있습니다",
                field=f"body.nodes.{i}.code",
            )
        index[node.code] = i
    roots = [i for i, node in enumerate(nodes) if node.parent_code is None]
    if len(roots) != 1:
        field = f"body.nodes.{roots[1]}.parent_code" if roots else "body.nodes"
        raise InvalidTree(
            f"a programme has exactly one root (a node without parent_code); this one has {len(roots)}",
            detail_ko=f"사업예산의 최상위 항목은 하나여야 합니다 (현재 {len(roots)}개)",
            field=field,
        )
    for i, node in enumerate(nodes):
        if node.parent_code is not None and node.parent_code not in index:
            raise InvalidTree(
                f"node {node.code} names parent {node.parent_code}, which is not in the batch",
                detail_ko=f"{node.code}의 상위 항목 {node.parent_code}가 없습니다",
                field=f"body.nodes.{i}.parent_code",
            )
    ordered = depth_first(nodes)
    if len(ordered) != len(nodes):
        reached = {node.code for node, _ in ordered}
        i = next(i for i, node in enumerate(nodes) if node.code not in reached)
        raise InvalidTree(
            f"node {nodes[i].code} is in a cycle, not below the root",
            detail_ko=f"{nodes[i].code}가 순환 구조에 있습니다",
            field=f"body.nodes.{i}.parent_code",
        )
    return ordered


def _out(fiscal_year: int, ordered: list[tuple[Node, int]], source: str | None) -> ProgrammeOut:
    children = _children([node for node, _ in ordered])
    return ProgrammeOut(
        fiscal_year=fiscal_year,
        total_krw=ordered[0][0].amount_krw,
        source=source,
        nodes=[
            NodeOut(
                code=node.code,
                parent_code=node.parent_code,
                name_ko=node.name_ko,
                amount_krw=node.amount_krw,
                depth=depth,
                children=children[node.code],
            )
            for node, depth in ordered
        ],
    )


def _nodes(rows: Sequence[RowMapping]) -> list[Node]:
    return [Node(str(r["code"]), r["parent_code"], str(r["name_ko"]), int(r["amount_krw"])) for r in rows]


async def get_programme(session: AsyncSession, fiscal_year: int) -> ProgrammeOut:
    rows = await repository.list_nodes(session, fiscal_year)
    if not rows:
        raise ProgrammeNotFound(fiscal_year)
    return _out(fiscal_year, depth_first(_nodes(rows)), rows[0]["source"])


async def create_programme(
    session: AsyncSession, *, fiscal_year: int, data: ProgrammeCreate, actor: Identity
) -> ProgrammeOut:
    nodes = [Node(n.code, n.parent_code, n.name_ko, n.amount_krw) for n in data.nodes]
    ordered = _check_tree(nodes)
    mismatch = first_mismatch([node for node, _ in ordered])
    if mismatch is not None:
        detail, detail_ko = _mismatch_detail(fiscal_year, *mismatch)
        i = nodes.index(mismatch[0])
        raise SumMismatch(detail, detail_ko=detail_ko, field=f"body.nodes.{i}.amount_krw")
    if await repository.list_nodes(session, fiscal_year):
        raise ProgrammeExists(fiscal_year)
    await record_actor(session, actor, data.source)
    await repository.insert_nodes(
        session,
        [
            {
                "fiscal_year": fiscal_year,
                "code": node.code,
                "parent_code": node.parent_code,
                "name_ko": node.name_ko,
                "amount_krw": node.amount_krw,
                "position": position,
                "source": data.source,
                "created_by": actor.subject,
            }
            for position, (node, _) in enumerate(ordered)
        ],
    )
    return _out(fiscal_year, ordered, data.source)


async def change_programme(
    session: AsyncSession, *, fiscal_year: int, data: ProgrammeChanges, actor: Identity
) -> ProgrammeOut:
    """Apply every change together; refused whole, with the arithmetic, unless every parent still sums."""
    rows = await repository.list_nodes(session, fiscal_year, lock=True)
    if not rows:
        raise ProgrammeNotFound(fiscal_year)
    nodes = _nodes(rows)
    by_code = {node.code: node for node in nodes}
    changed: dict[str, int] = {}
    for i, change in enumerate(data.changes):
        if change.code not in by_code:
            raise NodeNotFound(
                f"programme {fiscal_year} has no node {change.code}",
                detail_ko=f"{fiscal_year}년 사업예산에 {change.code} 항목이 없습니다",
                field=f"body.changes.{i}.code",
            )
        if change.code in changed:
            raise InvalidTree(
                f"node {change.code} is changed twice in one batch",
                detail_ko=f"{change.code} 항목이 한 번에 두 번 변경됩니다",
                field=f"body.changes.{i}.code",
            )
        changed[change.code] = i
        by_code[change.code].amount_krw = change.amount_krw
    ordered = depth_first(nodes)
    mismatch = first_mismatch([node for node, _ in ordered])
    if mismatch is not None:
        parent = mismatch[0]
        # name the change that broke this parent: its own, or one of its children's
        culprits = [parent.code, *_children(nodes)[parent.code]]
        i = min((changed[code] for code in culprits if code in changed), default=0)
        detail, detail_ko = _mismatch_detail(fiscal_year, *mismatch)
        raise SumMismatch(detail, detail_ko=detail_ko, field=f"body.changes.{i}.amount_krw")
    await record_actor(session, actor, data.reason)
    await repository.update_amounts(
        session, fiscal_year, {code: by_code[code].amount_krw for code in changed}
    )
    return _out(fiscal_year, ordered, rows[0]["source"])
