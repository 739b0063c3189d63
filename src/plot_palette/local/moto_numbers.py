"""Number arithmetic in moto's DynamoDB as AWS does it: exact decimals, any valid notation.

moto 5 adds numbers (``ADD n :v``, ``SET n = n + :v``) by parsing a stored number with ``int()``
unless it contains a ``.``, and stores the sum as ``str(Decimal)``. A sum that reaches zero
after decimals (``0E-10``) or a value below 1e-6 (``1.5E-7``) is stored in exponent notation,
and the next addition to it fails with a ``ValueError`` (an HTTP 500 on the local cloud). It
subtracts (``SET n = n - :v``) in binary floating point. DynamoDB accepts any number notation,
keeps 38 significant digits exactly, and trims leading and trailing zeros; the job's spend
ledger (``budget.ledger``) adds and subtracts small dollar amounts on the Jobs item and depends
on that. ``install`` makes moto do the same; it is idempotent.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

_lock = threading.Lock()
_installed = False


def plain(value: Decimal) -> str:
    """A number as DynamoDB writes it: no exponent, no leading or trailing zeros."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def install() -> None:
    """Patch moto's ``DynamoType`` addition and subtraction (once per process)."""
    global _installed
    with _lock:
        if _installed:
            return
        from moto.dynamodb.exceptions import IncorrectDataType
        from moto.dynamodb.models.dynamo_type import DDBType, DynamoType

        def add(self: Any, other: Any) -> Any:
            if self.type != other.type:
                raise TypeError("Different types of operandi is not allowed.")
            if not self.is_number():
                raise IncorrectDataType()
            return DynamoType({DDBType.NUMBER: plain(Decimal(self.value) + Decimal(other.value))})

        def subtract(self: Any, other: Any) -> Any:
            if self.type != other.type:
                raise TypeError("Different types of operandi is not allowed.")
            if self.type != DDBType.NUMBER:
                raise TypeError("Sum only supported for Numbers.")
            return DynamoType({DDBType.NUMBER: plain(Decimal(self.value) - Decimal(other.value))})

        DynamoType.__add__ = add  # type: ignore[method-assign]
        DynamoType.__sub__ = subtract  # type: ignore[method-assign]
        _installed = True
