"""The job's durable spend record: budget leased on the Jobs item before calls, settled after.

Why: spend derived from committed records misses every call paid for a record that never got
committed (a killed batch, a record abandoned between steps, records behind a gap), so a
relaunched worker, the judge and the dashboard under-counted. Here spend is recorded as calls
settle, and written *ahead* of them, so the recorded figure is never below what the model
endpoint has billed, even if the process is killed at any instruction.

The Jobs item carries:

- ``cost_usd``: the job's recorded spend, what the API, dashboard, judge, relaunches and
  analytics read. It is settled spend **plus every open lease**, so it is never below real
  spend; when a run closes its lease it is exactly the settled spend (generation and judge).
- ``spend_leases``: ``{run_id: {"usd": N, "seq": N}}``, one lease per live run (a worker or the
  judge). A run's lease covers its open reservations and its settled but not yet flushed spend.
- ``spend_reserved_usd``: the sum of the open leases (the part of ``cost_usd`` not settled).
- ``spend_unsettled_usd``: leases of dead runs that a later run counted as spent (conservative:
  the calls they covered may have cost less); recorded minus real spend is at most this.
- ``cost_by_model``: settled spend by model (analytics); ``quality_cost_usd``: the judge's.

Writes (each a conditional ``UpdateItem`` on the run's lease ``seq``, so a retry after a lost
response is recognised instead of applied twice): ``open`` is two writes and a read per run;
a call needs a write only when its reservation does not fit in the lease, which then grows by
``lease_calls`` (8) worst cases at once (flushing settled spend in the same write), so a worker
makes at most one write per ``lease_calls * worst / mean cost`` calls: 16 calls at a time that
cost 65% of their worst case make one write per 17 calls, a third of it one per 31; plus one
flush per committed batch and one ``close``.
Near the end of the budget the lease cannot grow past what is left, and calls write one by one.

A relaunch (``open``) takes over every other run's lease: its amount stays in ``cost_usd`` as
spent, the lease entry is removed. A zombie whose lease was taken can start no call (its next
lease write fails its condition: ``SpendLeaseLostError``) and its late settlements are dropped:
the takeover already counted everything its lease covered, so the books never go below real
spend.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from plot_palette.errors import NotFoundError, PlotPaletteError
from plot_palette.jobs.dynamo import from_item, to_item

LOGGER = logging.getLogger(__name__)

CENT_FRACTION = Decimal("1e-10")  # costs are kept to 10 decimal places, as in record provenance
ZERO = Decimal(0)
WRITE_ATTEMPTS = 5
OPEN_ATTEMPTS = 10


class SpendLedgerError(PlotPaletteError):
    """The spend record could not be written: no call may start without it."""


class SpendLeaseLostError(SpendLedgerError):
    """Another run took this run's lease over (it was presumed dead): this run must stop."""


def _number(value: Decimal | int) -> dict[str, str]:
    """A DynamoDB number in plain notation (``0E-10`` is refused by some parsers)."""
    return {"N": format(value, "f")}


def _money(value: float | Decimal, *, up: bool = False) -> Decimal:
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    return amount.quantize(CENT_FRACTION, rounding=ROUND_CEILING) if up else amount


class SpendLedger:
    """One run's lease of a job's budget on the Jobs item, and its settled spend.

    Thread-safe: the guard calls ``cover`` from worker threads and ``settled`` from the event
    loop; state changes are quick and under one lock, writes are serialised by another, and the
    loop is never blocked on a write it does not need.

    ``also_add`` names attributes that get each flushed settled amount too (the judge's
    ``quality_cost_usd``); ``by_model`` writes settled spend into ``cost_by_model`` by label.
    """

    def __init__(
        self,
        dynamodb: Any,
        table: str,
        job_id: str,
        *,
        role: str = "worker",
        also_add: Iterable[str] = (),
        by_model: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = dynamodb
        self._table = table
        self.job_id = job_id
        self.run_id = f"{role}-{uuid.uuid4().hex[:12]}"
        self._also_add = tuple(also_add)
        self._by_model = by_model
        self._sleep = sleep
        self._state = threading.Lock()
        self._io = threading.Lock()
        self._seq = 0
        self._lease = ZERO
        self._pending: dict[str, Decimal] = {}
        self._opened = False
        self.lost = False
        self.closed = False
        self.recorded_usd = 0.0
        self.taken_over_usd = 0.0
        self.writes = 0

    # -- the guard's side ------------------------------------------------------------------------

    @property
    def lease_usd(self) -> float:
        """What this run's lease durably holds now."""
        return float(self._lease)

    @property
    def pending_usd(self) -> float:
        """Settled spend not yet flushed to ``cost_by_model`` (covered by the lease)."""
        with self._state:
            return float(sum(self._pending.values(), ZERO))

    def covers(self, reserved: float) -> bool:
        """Whether the lease covers ``reserved`` (open reservations) plus unflushed spend."""
        with self._state:
            return _money(reserved) + sum(self._pending.values(), ZERO) <= self._lease

    def cover(self, reserved: float, spare: float = 0.0) -> None:
        """Make the lease cover ``reserved`` and unflushed spend before a call starts.

        ``spare`` is how much more the budget allows: the lease takes up to that much beyond
        what is needed now, so the next calls need no write. Unflushed spend is flushed in the
        same write. Raises ``SpendLeaseLostError`` once the lease was taken over.
        """
        with self._io:
            if self.lost:
                raise SpendLeaseLostError(f"run {self.run_id} lost its lease of {self.job_id}")
            if not self._opened:
                raise SpendLedgerError("open the spend ledger before reserving through it")
            if self.covers(reserved):
                return
            # what is open rounds up, the headroom down: never short, never past the budget
            headroom = _money(max(spare, 0.0)).quantize(CENT_FRACTION, rounding=ROUND_FLOOR)
            self._write(lease_floor=_money(reserved, up=True) + headroom, close=False)

    def settled(self, cost: float, label: str | None = None) -> None:
        """A call's true cost (no write: the lease covers it until the next flush)."""
        key = label if self._by_model and label else ""
        with self._state:
            self._pending[key] = self._pending.get(key, ZERO) + _money(cost)

    def flush(self, reserved: float = 0.0) -> float:
        """Move settled spend out of the lease into ``cost_by_model`` (and ``also_add``).

        ``cost_usd`` already counts it (as lease); this keeps the split by model current and
        the lease small. Best effort: a failed flush leaves the spend covered by the lease.
        Returns the recorded spend.
        """
        if self.lost or self.closed or not self._opened:
            return self.recorded_usd
        with self._io:
            if not any(self._pending.values()):
                return self.recorded_usd
            try:
                self._write(lease_floor=_money(reserved), close=False)
            except SpendLeaseLostError:
                pass
            except Exception as error:  # best effort: the lease still covers what is settled
                LOGGER.warning("spend flush failed; the lease still covers it", exc_info=error)
        return self.recorded_usd

    def close(self, reserved: float = 0.0) -> float:
        """Flush and give the lease back (kept for calls still open, if any); returns the
        recorded spend. Best effort: a lease left open stays counted as spent."""
        if self.lost or self.closed or not self._opened:
            return self.recorded_usd
        with self._io:
            try:
                self._write(lease_floor=_money(reserved), close=True)
            except Exception as error:  # best effort: an open lease stays counted as spent
                LOGGER.warning("closing the spend lease failed", exc_info=error)
        return self.recorded_usd

    # -- opening: take over leases left by dead runs ---------------------------------------------

    def open(self) -> float:
        """Register this run and count every other run's lease as spent; return ``cost_usd``.

        Two writes (make sure the maps exist; register and take over in one conditional
        write) and a consistent read. A lost response is recognised by re-reading.
        """
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression=(
                    "SET spend_leases = if_not_exists(spend_leases, :empty), "
                    "cost_by_model = if_not_exists(cost_by_model, :empty)"
                ),
                ConditionExpression="attribute_exists(job_id)",
                ExpressionAttributeValues={":empty": {"M": {}}},
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                raise NotFoundError(f"job {self.job_id} not found") from None
            raise
        for _ in range(OPEN_ATTEMPTS):
            item = self._read()
            leases: dict[str, Any] = item.get("spend_leases") or {}
            if self.run_id in leases:  # our registration applied; its response was lost
                return self._opened_with(item, taken=0.0)
            try:
                response = self._client.update_item(**self._register(leases))
            except ClientError as error:
                if _code(error) != "ConditionalCheckFailedException":
                    raise
                continue  # a lease changed since the read (or our write applied): read again
            taken = sum(float(lease.get("usd", 0)) for lease in leases.values())
            return self._opened_with(from_item(response["Attributes"]), taken=taken)
        raise SpendLedgerError(f"could not register on job {self.job_id}: leases keep changing")

    def _register(self, leases: dict[str, Any]) -> dict[str, Any]:
        names = {"#me": self.run_id}
        values: dict[str, Any] = {":entry": {"M": {"usd": {"N": "0"}, "seq": {"N": "0"}}}}
        conditions = ["attribute_not_exists(spend_leases.#me)"]
        removes = []
        taken = ZERO
        for index, (run, lease) in enumerate(sorted(leases.items())):
            names[f"#o{index}"] = run
            values[f":s{index}"] = _number(lease.get("seq", 0))
            conditions.append(f"spend_leases.#o{index}.seq = :s{index}")
            removes.append(f"spend_leases.#o{index}")
            taken += _money(lease.get("usd", 0))
        expression = "SET spend_leases.#me = :entry"
        if taken:
            values[":taken"] = _number(taken)
            values[":untaken"] = _number(-taken)
            expression += " ADD spend_unsettled_usd :taken, spend_reserved_usd :untaken"
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        return {
            "TableName": self._table,
            "Key": self._key,
            "UpdateExpression": expression,
            "ConditionExpression": " AND ".join(conditions),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ReturnValues": "ALL_NEW",
        }

    def _opened_with(self, item: dict[str, Any], *, taken: float) -> float:
        self._opened = True
        self.taken_over_usd = taken
        self.recorded_usd = float(item.get("cost_usd") or 0.0)
        if taken:
            LOGGER.info(
                "counted leases of earlier runs as spent",
                extra={"job_id": self.job_id, "usd": round(taken, 10)},
            )
        return self.recorded_usd

    # -- one lease write ------------------------------------------------------------------------

    def _write(self, *, lease_floor: Decimal, close: bool) -> None:
        """Flush what is settled and set the lease; exactly once, retried until it is known.

        The lease never shrinks below what it held minus the spend flushed out of it: a call
        that found itself covered while this write was under way stays covered after it. Only
        ``close`` (no call can start any more) gives the headroom back.
        """
        with self._state:
            flushed = {
                label: amount.quantize(CENT_FRACTION)
                for label, amount in self._pending.items()
                if amount
            }
            total = sum(flushed.values(), ZERO)
            lease = lease_floor if close else max(lease_floor, self._lease - total)
        lease = _money(max(lease, ZERO), up=True)
        remove = close and not lease
        self._apply(self._lease_update(lease, flushed, total, remove=remove))
        with self._state:
            for label, amount in flushed.items():
                self._pending[label] -= amount
            self._lease = lease
            self._seq += 1
        self.closed = remove

    def _lease_update(
        self, lease: Decimal, flushed: dict[str, Decimal], total: Decimal, *, remove: bool
    ) -> dict[str, Any]:
        # cost_usd = settled + leases: it changes by the flushed spend plus the lease's change.
        grown = lease - self._lease
        names: dict[str, str] = {"#me": self.run_id}
        values: dict[str, Any] = {
            ":seq": _number(self._seq),
            ":cost": _number(total + grown),
            ":reserved": _number(grown),
        }
        sets: list[str] = []
        adds = ["cost_usd :cost", "spend_reserved_usd :reserved"]
        if not remove:
            values[":entry"] = {"M": {"usd": _number(lease), "seq": _number(self._seq + 1)}}
            sets.append("spend_leases.#me = :entry")
        if total and self._also_add:
            values[":flushed"] = _number(total)
            adds += [f"{attribute} :flushed" for attribute in self._also_add]
        if self._by_model:
            for index, (label, amount) in enumerate(sorted(flushed.items())):
                if not label:
                    continue
                values[":zero"] = {"N": "0"}
                names[f"#m{index}"] = label
                values[f":m{index}"] = _number(amount)
                sets.append(
                    f"cost_by_model.#m{index} = if_not_exists(cost_by_model.#m{index}, :zero)"
                    f" + :m{index}"
                )
        expression = ""
        if sets:
            expression += "SET " + ", ".join(sets) + " "
        expression += "ADD " + ", ".join(adds)
        if remove:
            expression += " REMOVE spend_leases.#me"
        return {
            "TableName": self._table,
            "Key": self._key,
            "UpdateExpression": expression,
            "ConditionExpression": "spend_leases.#me.seq = :seq",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ReturnValues": "UPDATED_NEW",
        }

    def _apply(self, request: dict[str, Any]) -> None:
        """Send one lease write; a failed condition means it applied already (a retry after a
        lost response) or the lease was taken over; other errors are retried, which the seq
        condition makes safe."""
        remove = "REMOVE spend_leases.#me" in request["UpdateExpression"]
        for attempt in range(WRITE_ATTEMPTS):
            try:
                response = self._client.update_item(**request)
            except ClientError as error:
                if _code(error) == "ConditionalCheckFailedException":
                    self._after_failed_condition(remove)
                    return
                if not _transient(error):
                    raise SpendLedgerError(
                        f"the spend record of job {self.job_id} was refused: {error}"
                    ) from error
                problem: Exception = error
            except BotoCoreError as error:
                problem = error
            else:
                self.writes += 1
                cost = response.get("Attributes", {}).get("cost_usd")
                if cost is not None:
                    self.recorded_usd = float(from_item({"c": cost})["c"])
                return
            if attempt + 1 < WRITE_ATTEMPTS:
                self._sleep(0.2 * 2**attempt)
        raise SpendLedgerError(
            f"the spend record of job {self.job_id} could not be written: {problem}"
        )

    def _after_failed_condition(self, remove: bool) -> None:
        item = self._read()
        self.recorded_usd = float(item.get("cost_usd") or 0.0)
        lease = (item.get("spend_leases") or {}).get(self.run_id)
        if lease is not None and int(lease.get("seq", -1)) == self._seq + 1:
            self.writes += 1
            return  # our write applied; the SDK's retry found it done
        if lease is None and remove:
            self.writes += 1
            return  # closed (or taken over, which counted all of it): nothing left to do
        self.lost = True
        raise SpendLeaseLostError(f"run {self.run_id} lost its lease of job {self.job_id}")

    def _read(self) -> dict[str, Any]:
        item = self._client.get_item(TableName=self._table, Key=self._key, ConsistentRead=True).get(
            "Item"
        )
        if item is None:
            raise NotFoundError(f"job {self.job_id} not found")
        return from_item(item)

    @property
    def _key(self) -> dict[str, Any]:
        return to_item({"job_id": self.job_id})


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


_TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


def _transient(error: ClientError) -> bool:
    """Worth retrying: throttling, a conflict with another write, or AWS's own failure."""
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return _code(error) in _TRANSIENT_CODES or status >= 500
