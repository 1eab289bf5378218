from pydantic import Field, SecretStr

from shared.settings import DEV_DB_PASSWORD, DEV_VOTER_HASH_SECRET, ServiceSettings, dev_service_url


class BudgetSettings(ServiceSettings):
    service_name: str = "budget"
    database_url: str = Field(default=dev_service_url("budget"), validation_alias="BUDGET_DATABASE_URL")
    db_password: SecretStr = Field(default=SecretStr(DEV_DB_PASSWORD), validation_alias="BUDGET_DB_PASSWORD")
    port: int = Field(default=8002, validation_alias="BUDGET_PORT")
    voter_hash_secret: SecretStr = Field(
        default=SecretStr(DEV_VOTER_HASH_SECRET), validation_alias="VOTER_HASH_SECRET"
    )
