from pydantic import Field, SecretStr

from shared.settings import DEV_DB_PASSWORD, ServiceSettings, dev_service_url


class CouncilsSettings(ServiceSettings):
    service_name: str = "councils"
    database_url: str = Field(default=dev_service_url("councils"), validation_alias="COUNCILS_DATABASE_URL")
    db_password: SecretStr = Field(
        default=SecretStr(DEV_DB_PASSWORD), validation_alias="COUNCILS_DB_PASSWORD"
    )
    port: int = Field(default=8001, validation_alias="COUNCILS_PORT")
