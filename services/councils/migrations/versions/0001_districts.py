"""Districts and region groupings, seeded from the city's records.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "councils"

# ../shared/data/districts.csv: code, name_ko, name_en, planning region (생활권)
DISTRICTS = [
    ("11110", "종로구", "Jongno-gu", "downtown"),
    ("11140", "중구", "Jung-gu", "downtown"),
    ("11170", "용산구", "Yongsan-gu", "downtown"),
    ("11200", "성동구", "Seongdong-gu", "northeast"),
    ("11215", "광진구", "Gwangjin-gu", "northeast"),
    ("11230", "동대문구", "Dongdaemun-gu", "northeast"),
    ("11260", "중랑구", "Jungnang-gu", "northeast"),
    ("11290", "성북구", "Seongbuk-gu", "northeast"),
    ("11305", "강북구", "Gangbuk-gu", "northeast"),
    ("11320", "도봉구", "Dobong-gu", "northeast"),
    ("11350", "노원구", "Nowon-gu", "northeast"),
    ("11380", "은평구", "Eunpyeong-gu", "northwest"),
    ("11410", "서대문구", "Seodaemun-gu", "northwest"),
    ("11440", "마포구", "Mapo-gu", "northwest"),
    ("11470", "양천구", "Yangcheon-gu", "southwest"),
    ("11500", "강서구", "Gangseo-gu", "southwest"),
    ("11530", "구로구", "Guro-gu", "southwest"),
    ("11545", "금천구", "Geumcheon-gu", "southwest"),
    ("11560", "영등포구", "Yeongdeungpo-gu", "southwest"),
    ("11590", "동작구", "Dongjak-gu", "southwest"),
    ("11620", "관악구", "Gwanak-gu", "southwest"),
    ("11650", "서초구", "Seocho-gu", "southeast"),
    ("11680", "강남구", "Gangnam-gu", "southeast"),
    ("11710", "송파구", "Songpa-gu", "southeast"),
    ("11740", "강동구", "Gangdong-gu", "southeast"),
]

PLANNING_REGIONS = [
    ("downtown", "도심권", "Downtown"),
    ("northeast", "동북권", "Northeast"),
    ("northwest", "서북권", "Northwest"),
    ("southwest", "서남권", "Southwest"),
    ("southeast", "동남권", "Southeast"),
]

# Source 004 (2017-06, innovation-plan table): the city support officer (지역 협치지원관) of
# each of the nine districts then in the Community Innovation Plan. Source 003 says 25 districts
# in 4 regions, one officer each; that table names five officers for nine districts, so the
# grouping is kept as recorded.
SUPPORT_OFFICERS_2017 = [
    ("김종동", ["11290", "11560"]),
    ("김영빈", ["11410", "11620"]),
    ("최윤정", ["11200"]),
    ("양희은", ["11320", "11380", "11545"]),
    ("김영남", ["11230"]),
]


def upgrade() -> None:
    districts = op.create_table(
        "districts",
        sa.Column("code", sa.String(5), primary_key=True),
        sa.Column("name_ko", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
        sa.CheckConstraint("code ~ '^[0-9]{5}$'", name="code_is_5_digits"),
        schema=SCHEMA,
    )
    groupings = op.create_table(
        "region_groupings",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("name_ko", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
        sa.Column("source", sa.Text()),
        schema=SCHEMA,
    )
    regions = op.create_table(
        "regions",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column(
            "grouping_code", sa.String(40), sa.ForeignKey(f"{SCHEMA}.region_groupings.code"), nullable=False
        ),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name_ko", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
        sa.Column("support_officer", sa.Text()),
        sa.UniqueConstraint("grouping_code", "code", name="uq_regions_grouping_code_code"),
        schema=SCHEMA,
    )
    members = op.create_table(
        "region_members",
        sa.Column("region_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.regions.id"), primary_key=True),
        sa.Column("district_code", sa.String(5), sa.ForeignKey(f"{SCHEMA}.districts.code"), primary_key=True),
        sa.Column(
            "grouping_code", sa.String(40), sa.ForeignKey(f"{SCHEMA}.region_groupings.code"), nullable=False
        ),
        sa.Column("source", sa.Text()),
        sa.UniqueConstraint(
            "grouping_code", "district_code", name="uq_region_members_grouping_code_district_code"
        ),
        schema=SCHEMA,
    )
    op.bulk_insert(districts, [dict(code=c, name_ko=ko, name_en=en) for c, ko, en, _ in DISTRICTS])
    op.bulk_insert(
        groupings,
        [
            dict(code="planning", name_ko="생활권", name_en="Planning regions", source="data/districts.csv"),
            dict(
                code="support_officer_2017",
                name_ko="지역 협치지원관 담당 (2017.6.)",
                name_en="City support officer assignments, June 2017",
                source="seed 004, innovation-plan table",
            ),
        ],
    )
    region_rows = [
        dict(id=i, grouping_code="planning", code=code, name_ko=ko, name_en=en, support_officer=None)
        for i, (code, ko, en) in enumerate(PLANNING_REGIONS, start=1)
    ]
    base = len(region_rows)
    region_rows += [
        dict(
            id=base + i,
            grouping_code="support_officer_2017",
            code=f"officer-{i}",
            name_ko=f"{name} 담당",
            name_en=None,
            support_officer=name,
        )
        for i, (name, _) in enumerate(SUPPORT_OFFICERS_2017, start=1)
    ]
    op.bulk_insert(regions, region_rows)
    op.execute(f"SELECT setval(pg_get_serial_sequence('{SCHEMA}.regions', 'id'), {len(region_rows)})")
    planning_ids = {code: i for i, (code, _, _) in enumerate(PLANNING_REGIONS, start=1)}
    member_rows = [
        dict(
            region_id=planning_ids[region],
            district_code=code,
            grouping_code="planning",
            source="data/districts.csv",
        )
        for code, _, _, region in DISTRICTS
    ]
    member_rows += [
        dict(region_id=base + i, district_code=code, grouping_code="support_officer_2017", source="seed 004")
        for i, (_, codes) in enumerate(SUPPORT_OFFICERS_2017, start=1)
        for code in codes
    ]
    op.bulk_insert(members, member_rows)


def downgrade() -> None:
    for table in ("region_members", "regions", "region_groupings", "districts"):
        op.drop_table(table, schema=SCHEMA)
