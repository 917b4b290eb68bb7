"""Column values to JSON and back, losslessly.

uuid → string, datetime → ISO 8601 with its offset (microseconds kept: the audit chain
hashes them), date and time → ISO, bytes → base64, Decimal → string, JSON columns as JSON.
Decoding goes by the column's type, never by guessing from the text.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Float,
    LargeBinary,
    Numeric,
    Table,
    Time,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.engine import RowMapping


def encode_value(value: Any) -> Any:
    """A JSON-able form of one column value."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value  # None, bool, int, float, str, and JSON columns' own values


def encode_row(table: Table, row: RowMapping | dict[str, Any]) -> dict[str, Any]:
    """One row as a JSON object keyed by column name, in the table's column order."""
    return {c.name: encode_value(row[c.name]) for c in table.columns}


def dumps(obj: Any) -> str:
    """Compact UTF-8 JSON; NaN and infinities are refused (they are not JSON)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _base_type(column: Column[Any]) -> Any:
    kind = column.type
    return kind.impl_instance if isinstance(kind, TypeDecorator) else kind


def decode_value(column: Column[Any], value: Any) -> Any:
    """The Python value ``encode_value`` made ``value`` from, for this column."""
    if value is None:
        return None
    kind = _base_type(column)
    if isinstance(kind, JSON):
        return value
    if isinstance(kind, Uuid):
        return uuid.UUID(value)
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, Time):
        return time.fromisoformat(value)
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value, validate=True)
    if isinstance(kind, Float):
        return float(value)
    if isinstance(kind, Numeric):
        return Decimal(value)
    return value


class RowInvalid(ValueError):
    """A row that does not fit its table: the message names the column."""


def decode_row(table: Table, obj: Any) -> dict[str, Any]:
    """A row for ``insert(table)``; the object must have exactly the table's columns.

    Raises:
        RowInvalid: not an object, a column missing or unknown, or a value of the wrong form.
    """
    if not isinstance(obj, dict):
        raise RowInvalid("not a JSON object")
    names = {c.name for c in table.columns}
    if missing := names - obj.keys():
        raise RowInvalid(f"missing column(s) {', '.join(sorted(missing))}")
    if unknown := obj.keys() - names:
        raise RowInvalid(f"unknown column(s) {', '.join(sorted(unknown))}")
    row: dict[str, Any] = {}
    for column in table.columns:
        try:
            row[column.name] = decode_value(column, obj[column.name])
        except (TypeError, ValueError) as exc:
            raise RowInvalid(f"column {column.name}: {exc}") from exc
    return row
