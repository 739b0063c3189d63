"""The adapters the routes use, built once per cold start (the composition root's product)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config

from plot_palette.api.idempotency import IdempotentSubmissions
from plot_palette.api.settings import ApiSettings
from plot_palette.jobs.admission import Admission
from plot_palette.jobs.dashboard import DashboardReader
from plot_palette.jobs.quotas import QuotaLimits, QuotaStore
from plot_palette.jobs.store import ConfigStore, JobsStore, QueueStore
from plot_palette.jobs.submit import Stores
from plot_palette.models import ModelRegistry
from plot_palette.notifications import (
    EmailSender,
    Notifier,
    PreferencesStore,
    UrlPolicy,
    WebhookSender,
)
from plot_palette.templates.gallery import GalleryStore
from plot_palette.templates.store import TemplatesStore

# Presigned URLs must be SigV4 (SigV2 URLs are refused by newer regions and by KMS objects).
S3_CONFIG = Config(signature_version="s3v4")


@dataclass(frozen=True)
class ApiServices:
    """Stores and clients shared by every route."""

    settings: ApiSettings
    s3: Any
    dynamodb: Any
    sfn: Any
    ecs: Any
    registry: ModelRegistry
    lambda_: Any = None
    # Where webhooks may go; tests pass a policy that admits their local receiver.
    webhook_policy: UrlPolicy = field(default_factory=UrlPolicy)
    webhook_tls: ssl.SSLContext | None = None

    @classmethod
    def build(cls, settings: ApiSettings, session: Any) -> ApiServices:
        """Clients from a boto3 session (the handler passes the default one)."""
        return cls(
            settings=settings,
            s3=session.client("s3", config=S3_CONFIG),
            dynamodb=session.client("dynamodb"),
            sfn=session.client("stepfunctions"),
            ecs=session.client("ecs"),
            registry=ModelRegistry.load(),
            lambda_=session.client("lambda"),
        )

    @property
    def notification_preferences(self) -> PreferencesStore:
        return PreferencesStore(self.dynamodb, self.settings.notification_preferences_table_name)

    @property
    def notifier(self) -> Notifier:
        """For the test send: one attempt (its deadline is 10 s), so the request ends well
        within API Gateway's 29 s, mail included; the notify function retries, this does not."""
        webhooks = WebhookSender(policy=self.webhook_policy, attempts=1)
        if self.webhook_tls is not None:
            webhooks.context = self.webhook_tls
        return Notifier(
            dynamodb=self.dynamodb,
            jobs_table=self.settings.jobs_table_name,
            preferences=self.notification_preferences,
            webhooks=webhooks,
            email=EmailSender(
                ses=boto3.client("ses"),
                cognito=boto3.client("cognito-idp"),
                user_pool_id=self.settings.user_pool_id,
                sender=self.settings.notification_sender,
            ),
        )

    @cached_property
    def submissions(self) -> IdempotentSubmissions:
        """Built once: its persistence layers are configured once and reused by every request."""
        return IdempotentSubmissions(self.dynamodb, self.settings.idempotency_table_name)

    @property
    def jobs(self) -> JobsStore:
        return JobsStore(self.dynamodb, self.settings.jobs_table_name)

    @property
    def templates(self) -> TemplatesStore:
        return TemplatesStore(self.dynamodb, self.settings.templates_table_name, self.registry)

    @property
    def gallery(self) -> GalleryStore:
        return GalleryStore(self.dynamodb, self.settings.templates_table_name, self.templates)

    @cached_property
    def quotas(self) -> QuotaStore:
        """Built once: the limits are the deployment's, read at the cold start."""
        return QuotaStore(
            self.dynamodb,
            self.settings.quotas_table_name,
            self.settings.jobs_table_name,
            QuotaLimits.from_env(),
        )

    @property
    def stores(self) -> Stores:
        return Stores(
            s3=self.s3,
            bucket=self.settings.bucket_name,
            jobs=self.jobs,
            queue=QueueStore(self.dynamodb, self.settings.queue_table_name),
            configs=ConfigStore(self.s3, self.settings.bucket_name),
            quotas=self.quotas,
        )

    @property
    def admission(self) -> Admission:
        # Cancelling only ends a wait; it never grants a slot, so no limit applies.
        return Admission(
            dynamodb=self.dynamodb,
            sfn=self.sfn,
            queue_table=self.settings.queue_table_name,
            limit=0,
        )

    @property
    def dashboard(self) -> DashboardReader:
        return DashboardReader(
            s3=self.s3,
            dynamodb=self.dynamodb,
            bucket=self.settings.bucket_name,
            cost_table=self.settings.cost_tracking_table_name,
        )
