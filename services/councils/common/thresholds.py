"""Decision thresholds — quorum, passing, amendment — and their arithmetic in integers.

One type for a body's configured rules (organizations) and for deciding a motion (meetings): a count must be
`more than` or `at least` numerator/denominator of a base.
"""

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.language import ValueErrorKo

Comparison = Literal["more_than", "at_least"]


class Threshold(BaseModel):
    """A decision threshold: the count must be more than (or at least) numerator/denominator of a base."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    numerator: int = Field(ge=0, le=1000)
    denominator: int = Field(ge=1, le=1000)
    comparison: Comparison

    @model_validator(mode="after")
    def _proper(self) -> Self:
        if self.numerator > self.denominator:
            raise ValueErrorKo("numerator must not exceed denominator", "분자는 분모보다 클 수 없습니다.")
        return self

    @classmethod
    def of(cls, numerator: int, denominator: int, strict: bool) -> "Threshold":
        """From the stored columns: `strict` means more than."""
        comparison: Comparison = "more_than" if strict else "at_least"
        return cls(numerator=numerator, denominator=denominator, comparison=comparison)

    def required(self, base: int) -> int:
        """The smallest count that meets the threshold for this base."""
        whole, remainder = divmod(base * self.numerator, self.denominator)
        if self.comparison == "more_than":
            return whole + 1
        return whole + (1 if remainder else 0)

    def words(self) -> str:
        comparison = "more than" if self.comparison == "more_than" else "at least"
        return f"{comparison} {self.numerator}/{self.denominator}"

    def describe(self, base: int, of: str) -> str:
        return f"{self.words()} of {base} {of}"
