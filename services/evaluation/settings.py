from pydantic import Field, SecretStr

from shared.settings import DEV_DB_PASSWORD, ServiceSettings, dev_service_url


class EvaluationSettings(ServiceSettings):
    service_name: str = "evaluation"
    database_url: str = Field(
        default=dev_service_url("evaluation"), validation_alias="EVALUATION_DATABASE_URL"
    )
    db_password: SecretStr = Field(
        default=SecretStr(DEV_DB_PASSWORD), validation_alias="EVALUATION_DB_PASSWORD"
    )
    port: int = Field(default=8003, validation_alias="EVALUATION_PORT")
    councils_url: str = Field(default="http://127.0.0.1:8001", validation_alias="EVALUATION_COUNCILS_URL")
    councils_timeout: float = Field(
        default=2.0,
        gt=0,
        validation_alias="EVALUATION_COUNCILS_TIMEOUT",
        description="Seconds one reference check may wait for councils (tried 3 times with backoff).",
    )
    budget_url: str = Field(default="http://127.0.0.1:8002", validation_alias="EVALUATION_BUDGET_URL")
    # The outbox relay (shared/outbox.py): delivers confirmed results to budget until acknowledged.
    relay_enabled: bool = Field(default=True, validation_alias="EVALUATION_RELAY_ENABLED")
    relay_poll_seconds: float = Field(default=0.2, gt=0, validation_alias="EVALUATION_RELAY_POLL_SECONDS")
    relay_batch: int = Field(default=20, ge=1, le=1000, validation_alias="EVALUATION_RELAY_BATCH")
    relay_timeout: float = Field(
        default=5.0,
        gt=0,
        validation_alias="EVALUATION_RELAY_TIMEOUT",
        description="Seconds one send may take.",
    )
    relay_backoff_base: float = Field(default=0.5, gt=0, validation_alias="EVALUATION_RELAY_BACKOFF_BASE")
    relay_backoff_max: float = Field(default=30.0, gt=0, validation_alias="EVALUATION_RELAY_BACKOFF_MAX")
    relay_listen: bool = Field(
        default=True,
        validation_alias="EVALUATION_RELAY_LISTEN",
        description="Wake the relay on each new event (LISTEN/NOTIFY); off, it finds them by polling only.",
    )
    outbox_retention_hours: float = Field(
        default=720,
        ge=0,
        validation_alias="EVALUATION_OUTBOX_RETENTION_HOURS",
        description="Delivered outbox events are deleted once older than this; others are kept.",
    )
