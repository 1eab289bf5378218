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
