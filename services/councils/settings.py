from pydantic import Field, SecretStr

from shared.settings import DEV_DB_PASSWORD, ServiceSettings, dev_service_url


class CouncilsSettings(ServiceSettings):
    service_name: str = "councils"
    database_url: str = Field(default=dev_service_url("councils"), validation_alias="COUNCILS_DATABASE_URL")
    db_password: SecretStr = Field(
        default=SecretStr(DEV_DB_PASSWORD), validation_alias="COUNCILS_DB_PASSWORD"
    )
    port: int = Field(default=8001, validation_alias="COUNCILS_PORT")
    read_cache_bytes: int = Field(
        default=16 * 2**20,
        ge=0,
        validation_alias="COUNCILS_READ_CACHE_BYTES",
        description="Bytes of hot reads' answers each process keeps (common/read_cache.py); 0: none.",
    )
