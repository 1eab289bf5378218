from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_ko: str = Field(min_length=1, max_length=200, examples=["민성환"])
    name_en: str | None = Field(default=None, max_length=200)
    district_code: str | None = Field(
        default=None, pattern=r"^\d{5}$", description="The district whose records register this person."
    )
    email: str | None = Field(default=None, max_length=320, description="Not public.")
    phone: str | None = Field(default=None, max_length=50, description="Not public.")
    note: str | None = Field(default=None, max_length=4000)
    source: str | None = Field(default=None, max_length=1000)


class PersonUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_ko: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=50)
    note: str | None = Field(default=None, max_length=4000)
    source: str | None = Field(default=None, max_length=1000)


class Contact(BaseModel):
    email: str | None
    phone: str | None


class PersonOut(BaseModel):
    id: int
    name_ko: str
    name_en: str | None
    district_code: str | None
    contact: Contact | None = Field(description="Shown to officials only; null for the public.")
    note: str | None
    source: str | None
    created_at: datetime
    updated_at: datetime
