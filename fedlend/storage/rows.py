"""Frozen dataclass rows <-> SQLite rows: the one codec, every value type-checked on the way back.

A row type is a frozen dataclass naming its table (`TABLE`). SQLite stores any value in any column,
so a hand-edited or damaged file can hold text where an integer belongs: `decode` checks each field
against its annotation and raises DamagedRecordError (saying which table, column and value) instead
of handing the caller a value of the wrong type. Wei amounts are kept as decimal TEXT (they exceed
SQLite's 64-bit integers); a `dict[str, float]` field is kept as bounded JSON text.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
from collections.abc import Mapping
from dataclasses import Field
from typing import Any, ClassVar, Protocol, TypeVar, Union, get_args, get_origin, get_type_hints

from fedlend.errors import DamagedRecordError
from fedlend_core.bounded_json import finite_number, loads_bounded
from fedlend_core.units import Wei

MAX_JSON_BYTES = 64 * 1024  # a metrics dict is a few hundred bytes
_MAX_WEI_DIGITS = 78  # 2**256 has 78 decimal digits


class Row(Protocol):
    """What a row type is: a dataclass that names its table."""

    TABLE: ClassVar[str]
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]


R = TypeVar("R", bound=Row)


@functools.cache
def columns(kind: type[Row]) -> dict[str, tuple[Any, bool]]:
    """Each field of `kind`: (its type without None, whether NULL is allowed)."""
    hints = get_type_hints(kind)
    out: dict[str, tuple[Any, bool]] = {}
    for f in dataclasses.fields(kind):
        hint = hints[f.name]
        if get_origin(hint) in (Union, types.UnionType):
            inner = [a for a in get_args(hint) if a is not type(None)]
            out[f.name] = (inner[0], len(inner) < len(get_args(hint)))
        else:
            out[f.name] = (hint, False)
    return out


def encode(row: Row) -> dict[str, object]:
    """The row as SQLite column values (wei as decimal text, dicts as JSON)."""
    out: dict[str, object] = {}
    for name, (kind, _) in columns(type(row)).items():
        value = getattr(row, name)
        if value is not None and kind is Wei:
            value = str(int(value))
        elif isinstance(value, dict):
            value = json.dumps(value, sort_keys=True)
        out[name] = value
    return out


def decode(kind: type[R], stored: Mapping[str, object]) -> R:
    """A row of `kind` from a stored row; DamagedRecordError naming the first bad value."""
    values: dict[str, object] = {}
    for name, (want, nullable) in columns(kind).items():
        if name not in stored:
            raise _damaged(kind, stored, name, "missing")
        value = stored[name]
        if value is None and nullable:
            values[name] = None
            continue
        try:
            values[name] = _checked(want, value)
        except (TypeError, ValueError) as exc:
            raise _damaged(kind, stored, name, f"{value!r:.60} ({exc})") from None
    return kind(**values)


def _checked(want: Any, value: object) -> object:
    """`value` as the field type `want`; TypeError/ValueError saying what was expected."""
    if want is Wei:
        if not isinstance(value, str) or not value.isdigit() or len(value) > _MAX_WEI_DIGITS:
            raise ValueError("expected a wei amount as decimal text")
        return Wei(int(value))
    if want is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("expected an integer")
        return value
    if want is float:
        if not isinstance(value, int | float) or not finite_number(value):
            raise TypeError("expected a finite number")
        return float(value)
    if want is str:
        if not isinstance(value, str):
            raise TypeError("expected text")
        return value
    if get_origin(want) is dict:
        return _number_map(value)
    raise TypeError(f"no codec for {want!r}")  # a row type this module cannot store: a bug


def _number_map(value: object) -> dict[str, float]:
    if not isinstance(value, str):
        raise TypeError("expected JSON text")
    try:
        parsed = loads_bounded(
            value, error=DamagedRecordError, what="the JSON", max_bytes=MAX_JSON_BYTES
        )
    except DamagedRecordError as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(parsed, dict):
        raise TypeError("expected a JSON object")
    if not all(finite_number(v) for v in parsed.values()):
        raise TypeError("expected a JSON object of numbers")
    return {str(k): float(v) for k, v in parsed.items()}


def _damaged(
    kind: type[Row], stored: Mapping[str, object], column: str, what: str
) -> DamagedRecordError:
    key = stored.get(next(iter(columns(kind))))  # a row type's first field is its table's key
    return DamagedRecordError(
        f"the local {kind.TABLE} record {key!r:.80} is damaged: its {column} is {what}. "
        "Delete that row or move the file aside (records are rebuilt from the chain; "
        "a dataset is added again from its CSV)"
    )
