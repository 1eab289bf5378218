from pydantic import BaseModel, Field

from services.councils.district_status.schemas import DistrictStatusOut
from services.councils.districts.schemas import DistrictOut
from services.councils.memberships.schemas import Composition
from services.councils.organizations.schemas import BodyOut
from services.councils.platforms.schemas import PlatformOut


class CouncilsDistrictOverview(BaseModel):
    """What the gateway's district overview needs of councils, in one read."""

    district: DistrictOut
    governance_status: DistrictStatusOut | None = Field(description="The latest status record as of today.")
    bodies: list[BodyOut] = Field(description="The district's bodies in registration order (the first 200).")
    composition: list[Composition] = Field(description="Each governance body's seats today.")
    platforms: list[PlatformOut] = Field(description="The district's platforms (the first 200).")
