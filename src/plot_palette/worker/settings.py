"""The worker's configuration: the task definition's environment plus the execution's overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from plot_palette.errors import ConfigurationError


class WorkerSettings(BaseModel):
    """Names match the template's environment variables (upper-cased)."""

    model_config = ConfigDict(frozen=True)

    job_id: str = Field(min_length=1)
    task_token: str | None = None
    bucket_name: str
    jobs_table_name: str
    cost_tracking_table_name: str
    checkpoint_interval: int = Field(default=50, ge=1)
    heartbeat_seconds: float = Field(default=300, gt=0)
    worker_concurrency: int = Field(default=16, ge=1, le=512)
    drain_seconds: float = Field(default=60.0, gt=0, le=110)
    # Nothing settled for this long: the worker is stuck; it names the record and exits so the
    # state machine relaunches it (worker/watchdog.py).
    stall_seconds: float = Field(default=900, ge=5)
    record_attempts: int = Field(default=2, ge=1, le=5)
    # Records failing one after another fail the job (0: never).
    failure_streak: int = Field(default=25, ge=0)
    budget_topic_arn: str | None = None
    bedrock_profile: str | None = None
    worker_vcpu: int = Field(default=1024, ge=256)
    worker_memory_mib: int = Field(default=2048, ge=512)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WorkerSettings:
        environ = os.environ if environ is None else environ
        values = {
            name: environ[name.upper()] for name in cls.model_fields if name.upper() in environ
        }
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            first = error.errors()[0]
            raise ConfigurationError(
                f"worker environment: {str(first['loc'][0]).upper()}: {first['msg']}"
            ) from None
