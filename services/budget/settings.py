from pydantic import Field, SecretStr, model_validator

from shared.settings import DEV_DB_PASSWORD, DEV_VOTER_HASH_SECRET, ServiceSettings, dev_service_url

IMPORT_ENVELOPE_BYTES = 64 * 1024  # multipart boundaries, part headers and the small form fields


class BudgetSettings(ServiceSettings):
    service_name: str = "budget"
    database_url: str = Field(default=dev_service_url("budget"), validation_alias="BUDGET_DATABASE_URL")
    db_password: SecretStr = Field(default=SecretStr(DEV_DB_PASSWORD), validation_alias="BUDGET_DB_PASSWORD")
    port: int = Field(default=8002, validation_alias="BUDGET_PORT")
    voter_hash_secret: SecretStr = Field(
        default=SecretStr(DEV_VOTER_HASH_SECRET), validation_alias="VOTER_HASH_SECRET"
    )
    # DOMAIN.md §2: shortlist caps of the first (서면심사) and second (심층심사) screening, % of the envelope.
    first_screening_cap_percent: int = Field(default=170, ge=1, validation_alias="BUDGET_FIRST_SCREENING_CAP")
    second_screening_cap_percent: int = Field(
        default=130, ge=1, validation_alias="BUDGET_SECOND_SCREENING_CAP"
    )
    import_max_bytes: int = Field(default=64 << 20, ge=1, validation_alias="BUDGET_IMPORT_MAX_BYTES")
    import_batch_rows: int = Field(default=10_000, ge=1, validation_alias="BUDGET_IMPORT_BATCH_ROWS")
    # The import's transaction only: a city-wide file (a million ballots) takes longer than a request should.
    import_statement_timeout_ms: int = Field(
        default=600_000, ge=1, validation_alias="BUDGET_IMPORT_STATEMENT_TIMEOUT_MS"
    )
    # Where amendments' council decisions are checked (GET /councils/decisions/{id}), and how long to wait.
    councils_url: str = Field(default="http://127.0.0.1:8001", validation_alias="COUNCILS_URL")
    councils_timeout_seconds: float = Field(
        default=2.0, gt=0, le=30, validation_alias="BUDGET_COUNCILS_TIMEOUT"
    )
    # The re-check loop (amendments/recheck.py): pending amendments asked about again, every so many seconds.
    council_recheck_enabled: bool = Field(default=True, validation_alias="BUDGET_COUNCIL_RECHECK_ENABLED")
    council_recheck_seconds: float = Field(
        default=10.0, gt=0, le=3600, validation_alias="BUDGET_COUNCIL_RECHECK_SECONDS"
    )
    council_recheck_batch: int = Field(
        default=20, ge=1, le=1000, validation_alias="BUDGET_COUNCIL_RECHECK_BATCH"
    )
    # Outcomes computed apart from requests (elections/computations.py): how long a request waits for one
    # before answering 202; the claim's lease across replicas (renewed while computing; a dead one's expires).
    outcome_wait_seconds: float = Field(
        default=10.0, ge=0, le=60, validation_alias="BUDGET_OUTCOME_WAIT_SECONDS"
    )
    outcome_lease_seconds: float = Field(
        default=60.0, gt=0, le=3600, validation_alias="BUDGET_OUTCOME_LEASE_SECONDS"
    )
    outcome_renew_seconds: float = Field(
        default=20.0, gt=0, le=1200, validation_alias="BUDGET_OUTCOME_RENEW_SECONDS"
    )

    @model_validator(mode="after")
    def _renew_within_lease(self) -> "BudgetSettings":
        if self.outcome_renew_seconds >= self.outcome_lease_seconds:
            raise ValueError("BUDGET_OUTCOME_RENEW_SECONDS must be shorter than BUDGET_OUTCOME_LEASE_SECONDS")
        return self

    def body_limits(self) -> dict[str, int]:
        """The import route takes the whole file and its multipart envelope."""
        limits = super().body_limits()
        limits["upload"] = max(limits["upload"], self.import_max_bytes + IMPORT_ENVELOPE_BYTES)
        return limits
