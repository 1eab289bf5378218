from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.common import record_actor
from services.evaluation.cycles import service as cycles
from services.evaluation.rubrics import repository
from services.evaluation.rubrics.errors import InvalidRubric, RubricNotFound
from services.evaluation.rubrics.models import RubricLevel, RubricScale
from services.evaluation.rubrics.schemas import LevelIn, LevelOut, RubricCreate, RubricOut
from shared.auth import Identity
from shared.pagination import ID, Page, decode_cursor, page_of
from shared.problems import FieldError


def _problems(levels: list[LevelIn]) -> list[FieldError]:
    """Each level has a value or is the one N/A level; labels and values are distinct; two valued levels."""
    errors: list[FieldError] = []
    labels: set[str] = set()
    values: set[object] = set()
    seen_na = False
    for i, level in enumerate(levels):
        where = f"body.levels.{i}"
        if level.not_applicable:
            if level.value is not None:
                errors.append(
                    FieldError(
                        field=f"{where}.value",
                        message="the N/A level has no value",
                        message_ko="해당 없음(N/A) 등급에는 값이 없습니다.",
                    )
                )
            if seen_na:
                errors.append(
                    FieldError(
                        field=f"{where}.not_applicable",
                        message="a scale has one N/A level",
                        message_ko="척도에는 해당 없음(N/A) 등급이 하나만 있습니다.",
                    )
                )
            seen_na = True
        elif level.value is None:
            errors.append(
                FieldError(
                    field=f"{where}.value",
                    message="a level needs a value unless it is N/A",
                    message_ko="해당 없음(N/A)이 아닌 등급에는 값이 필요합니다.",
                )
            )
        elif level.value in values:
            errors.append(
                FieldError(
                    field=f"{where}.value",
                    message=f"value {level.value} is used twice",
                    message_ko=f"값 {level.value}이(가) 두 번 쓰였습니다.",
                )
            )
        else:
            values.add(level.value)
        if level.label_ko in labels:
            errors.append(
                FieldError(
                    field=f"{where}.label_ko",
                    message=f"label {level.label_ko!r} is used twice",
                    message_ko=f"명칭 {level.label_ko!r}이(가) 두 번 쓰였습니다.",
                )
            )
        labels.add(level.label_ko)
    if len(values) < 2 and not errors:
        errors.append(
            FieldError(
                field="body.levels",
                message="a scale needs at least two levels with values",
                message_ko="척도에는 값이 있는 등급이 두 개 이상 필요합니다.",
            )
        )
    return errors


async def _out(session: AsyncSession, scales: list[RubricScale]) -> list[RubricOut]:
    levels = await repository.levels_of(session, [s.id for s in scales])
    return [
        RubricOut(
            id=s.id,
            cycle_id=s.cycle_id,
            name_ko=s.name_ko,
            created_at=s.created_at,
            levels=[LevelOut.model_validate(level) for level in levels if level.scale_id == s.id],
        )
        for s in scales
    ]


async def get_scale(session: AsyncSession, rubric_id: int, *, field: str = "path.rubric_id") -> RubricScale:
    scale = await repository.get_scale(session, rubric_id)
    if scale is None:
        raise RubricNotFound(rubric_id, field=field)
    return scale


async def read_scale(session: AsyncSession, rubric_id: int) -> RubricOut:
    return (await _out(session, [await get_scale(session, rubric_id)]))[0]


async def list_scales(
    session: AsyncSession, *, cycle_id: int, cursor: str | None, limit: int
) -> Page[RubricOut]:
    key = decode_cursor(cursor, (ID,))  # a foreign cursor is a 400 whether or not the cycle exists
    await cycles.get_cycle(session, cycle_id)
    after = int(key[0]) if key else None
    rows = await repository.list_scales(session, cycle_id=cycle_id, after_id=after, limit=limit + 1)
    return page_of(await _out(session, list(rows)), limit, lambda item: [item.id])


async def create_scale(
    session: AsyncSession, *, cycle_id: int, data: RubricCreate, actor: Identity
) -> RubricOut:
    await cycles.get_cycle(session, cycle_id)
    errors = _problems(data.levels)
    if errors:
        raise InvalidRubric(
            f"the scale's levels are not valid: {errors[0].message}",
            detail_ko=f"척도의 등급이 올바르지 않습니다: {errors[0].message_ko}",
            errors=errors,
        )
    await record_actor(session, actor)
    levels = [
        RubricLevel(
            position=i + 1, label_ko=level.label_ko, value=level.value, not_applicable=level.not_applicable
        )
        for i, level in enumerate(data.levels)
    ]
    scale = RubricScale(cycle_id=cycle_id, name_ko=data.name_ko, created_by=actor.subject)
    return (await _out(session, [await repository.add_scale(session, scale, levels)]))[0]
