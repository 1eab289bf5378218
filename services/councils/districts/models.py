from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.councils.models import Base


class District(Base):
    """One of Seoul's 25 autonomous districts (자치구), keyed by its 5-digit administrative code."""

    __tablename__ = "districts"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name_ko: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    region_memberships: Mapped[list["RegionMember"]] = relationship(back_populates="district", lazy="raise")


class RegionGrouping(Base):
    """A way of grouping districts into regions (the 5 planning regions, the governance office's 4…)."""

    __tablename__ = "region_groupings"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_ko: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    regions: Mapped[list["Region"]] = relationship(
        back_populates="grouping", lazy="raise", order_by="Region.code"
    )


class Region(Base):
    __tablename__ = "regions"
    __table_args__ = (UniqueConstraint("grouping_code", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grouping_code: Mapped[str] = mapped_column(ForeignKey("region_groupings.code"))
    code: Mapped[str] = mapped_column(String(40))
    name_ko: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    support_officer: Mapped[str | None] = mapped_column(Text)
    grouping: Mapped[RegionGrouping] = relationship(back_populates="regions", lazy="raise")
    members: Mapped[list["RegionMember"]] = relationship(back_populates="region", lazy="raise")


class RegionMember(Base):
    """A district's place in a region of one grouping (at most one region per grouping)."""

    __tablename__ = "region_members"
    __table_args__ = (UniqueConstraint("grouping_code", "district_code"),)

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), primary_key=True)
    grouping_code: Mapped[str] = mapped_column(ForeignKey("region_groupings.code"))
    source: Mapped[str | None] = mapped_column(Text)
    region: Mapped[Region] = relationship(back_populates="members", lazy="raise")
    district: Mapped[District] = relationship(back_populates="region_memberships", lazy="raise")
