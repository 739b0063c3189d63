"""The api Lambda's configuration: the template's environment variables, checked at cold start."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict


class ApiSettings(BaseModel):
    """Names match the variables ``stacks/api.yaml`` sets."""

    model_config = ConfigDict(frozen=True)

    bucket_name: str
    jobs_table_name: str
    queue_table_name: str
    templates_table_name: str
    cost_tracking_table_name: str
    cluster_arn: str
    export_function_name: str
    # Parameter sweeps (a default only for the OpenAPI document; the stack sets it).
    batches_table_name: str = ""
    # Notifications (defaults only for the OpenAPI document; the stack sets all three).
    notification_preferences_table_name: str = ""
    user_pool_id: str = ""
    notification_sender: str = ""
    # Idempotency-Key records of POST /jobs and /batches (a default only for the OpenAPI
    # document; the stack sets it).
    idempotency_table_name: str = ""
    quotas_table_name: str = ""

    @classmethod
    def from_environment(cls) -> ApiSettings:
        """Read the variables; a missing one fails the cold start with its name."""
        return cls.model_validate({name: os.environ.get(name.upper()) for name in cls.model_fields})
