"""The local EventBridge Pipe runner: polls a DynamoDB stream, filters, and calls the target.

Pipes are not emulated by moto. This runner reads the queue table's stream with the
DynamoDB Streams API (which moto does emulate), applies the pipe's filter patterns with
EventBridge's matching rules, and hands matching records to the target in batches: a Lambda
function (through the local Lambda runner) or a state machine (StartExecution).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from moto.events.models import EventPattern

from plot_palette.local.iam_enforcement import LocalIam, authorize

if TYPE_CHECKING:
    from collections.abc import Iterator

    from plot_palette.local.lambda_runner import LambdaRunner
    from plot_palette.local.provision import PipeSpec

LOGGER = logging.getLogger(__name__)


def matches(patterns: list[dict[str, Any]], record: dict[str, Any]) -> bool:
    """True when a record passes a pipe's filters (no filter lets everything through)."""
    if not patterns:
        return True
    return any(_pattern(pattern).matches_event(record) for pattern in patterns)  # type: ignore[arg-type]


def _pattern(pattern: dict[str, Any]) -> EventPattern:
    return EventPattern(json.dumps(pattern), pattern)


class PipeRunner:
    """One polling thread per pipe, until ``stop``."""

    def __init__(
        self,
        *,
        streams_client: Any,
        sfn_client: Any,
        lambdas: LambdaRunner,
        region: str,
        poll_seconds: float = 0.2,
        max_attempts: int = 10,
        iam: LocalIam | None = None,
    ) -> None:
        self._iam = iam
        self._streams = streams_client
        self._sfn = sfn_client
        self._lambdas = lambdas
        self._region = region
        self._poll = poll_seconds
        self._max_attempts = max_attempts
        self._pipes: list[PipeSpec] = []
        self._stop = threading.Event()
        self._polling = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.delivered: list[dict[str, Any]] = []

    def register_pipe(self, spec: PipeSpec) -> None:
        """Remember a pipe; it starts polling with ``start``."""
        self._pipes.append(spec)

    def start(self) -> None:
        """Start polling every registered pipe from the beginning of its stream."""
        for spec in self._pipes:
            thread = threading.Thread(
                target=self._run, args=(spec,), name=f"pipe-{spec.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop polling and wait for the threads."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Deliver nothing while the block runs; records wait in the stream, none is lost.

        Fault tests queue jobs inside it and arm each job's faults before any job can start.
        """
        with self._polling:
            yield

    def _run(self, spec: PipeSpec) -> None:
        iterators: dict[str, str | None] = {}
        while not self._stop.is_set():
            try:
                with self._polling:
                    self._poll_once(spec, iterators)
            except Exception:  # keep polling, like the managed service: log and go on
                LOGGER.exception("pipe %s: polling failed", spec.name)
            self._stop.wait(self._poll)

    def check_role(self, spec: PipeSpec) -> None:
        """What the pipe's role must allow, as Pipes asks it: reading the stream, then
        invoking the target (checked here; the reads themselves use the cloud's client)."""
        principal = self._iam.principal(spec.role_arn) if self._iam is not None else None
        if principal is None:
            return
        for operation in ("DescribeStream", "GetShardIterator", "GetRecords"):
            authorize(principal, "dynamodb", operation, {"StreamArn": spec.source_arn})
        if ":states:" in spec.target_arn:
            authorize(principal, "states", "StartExecution", {"stateMachineArn": spec.target_arn})
        else:
            authorize(principal, "lambda", "Invoke", {"FunctionName": spec.target_arn})

    def _poll_once(self, spec: PipeSpec, iterators: dict[str, str | None]) -> None:
        self.check_role(spec)
        shards = self._streams.describe_stream(StreamArn=spec.source_arn)["StreamDescription"][
            "Shards"
        ]
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id not in iterators:
                iterators[shard_id] = self._streams.get_shard_iterator(
                    StreamArn=spec.source_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            iterator = iterators[shard_id]
            if iterator is None:
                continue
            response = self._streams.get_records(ShardIterator=iterator, Limit=100)
            iterators[shard_id] = response.get("NextShardIterator")
            records = [self._as_pipe_record(spec, record) for record in response["Records"]]
            selected = [record for record in records if matches(spec.filters, record)]
            for start in range(0, len(selected), spec.batch_size):
                self._deliver(spec, selected[start : start + spec.batch_size])

    def _as_pipe_record(self, spec: PipeSpec, record: dict[str, Any]) -> dict[str, Any]:
        record = json.loads(json.dumps(record, default=str))
        record.setdefault("eventSource", "aws:dynamodb")
        record.setdefault("awsRegion", self._region)
        record["eventSourceARN"] = spec.source_arn
        return record

    def _deliver(self, spec: PipeSpec, batch: list[dict[str, Any]]) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                if ":states:" in spec.target_arn:
                    for record in batch:
                        self._sfn.start_execution(
                            stateMachineArn=spec.target_arn, input=json.dumps(record)
                        )
                else:
                    self._lambdas.invoke_arn(spec.target_arn, batch)
                self.delivered.extend(batch)
                return
            except Exception:
                LOGGER.warning(
                    "pipe %s: target failed (attempt %d)", spec.name, attempt, exc_info=True
                )
                time.sleep(min(2.0, 0.1 * 2**attempt))
        LOGGER.error("pipe %s: dropped a batch of %d records after retries", spec.name, len(batch))
