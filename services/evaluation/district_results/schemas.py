from pydantic import BaseModel, Field

from services.evaluation.aggregation.bands import Category
from services.evaluation.common import SeoulDatetime


class LatestResult(BaseModel):
    """One evaluated organisation's most recent published result: what a citizen may see of it."""

    organization_id: int = Field(description="The councils organisation the target concerns.")
    target_id: int
    cycle_id: int
    cycle_name_ko: str
    year: int
    review_version: int = Field(description="2 when the result came out of a re-review after an appeal.")
    total_display: str = Field(description="The total rounded half up to 2 decimals.")
    category: Category | None
    category_ko: str | None
    published_at: SeoulDatetime
