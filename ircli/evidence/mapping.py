"""From a source's native records to the canonical schema: field mapping, transforms and
the validation that decides what goes to quarantine.

A :class:`Mapping` names, for each canonical field, the native field it comes from and
an optional transform (``epoch_s``/``epoch_ms``/``epoch_us`` → timestamp, ``int`` for a
string holding an integer). Every canonical field not named maps from the same name.

Normalising a page has two paths with the same result: a vectorised one (pyarrow) for
pages where every record is clean, and a per-record one that finds out which records
are bad and why. A page goes to the second path only when the first one meets anything
unexpected, so clean data pays no per-record Python cost beyond reading dict keys.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import sys
from collections.abc import Callable, Sequence
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from ircli.evidence.schema import TABLES, Field

if TYPE_CHECKING:
    import pyarrow as pa

Transform = Literal["epoch_s", "epoch_ms", "epoch_us", "int", "iso"]
TRANSFORMS: tuple[str, ...] = ("epoch_s", "epoch_ms", "epoch_us", "int", "iso")

DEFAULT_MAX_TEXT = 256 * 1024
"""Longest prompt (characters) kept; longer ones are quarantined as oversize."""

_EPOCH_SCALE = {"epoch_s": 1_000_000, "epoch_ms": 1_000, "epoch_us": 1}
_MIN_US = -62_135_596_800_000_000  # 0001-01-01
_MAX_US = 253_402_300_799_000_000  # 9999-12-31


class RecordProblem(ValueError):
    """Why one record cannot be kept; the text goes into the quarantine file."""


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Where one canonical field comes from."""

    field: Field
    native: str
    """The native field; empty when the source lacks it (mapped to ``false``)."""
    transform: str | None = None

    def getter(self) -> Callable[[AnyMapping[str, Any]], Any]:
        """A function reading the native value from a record (dotted names go deeper)."""
        parts = self.native.split(".")
        if not self.native:
            return lambda rec: None
        if len(parts) == 1:
            name = parts[0]
            return lambda rec: rec.get(name)

        def deep(rec: AnyMapping[str, Any]) -> Any:
            value: Any = rec
            for part in parts:
                if not isinstance(value, dict):
                    return None
                value = value.get(part)
            return value

        return deep


@dataclass(frozen=True)
class Mapping:
    """How a source's records become rows of one canonical table."""

    table: str
    fields: tuple[FieldMap, ...]
    max_text: int = DEFAULT_MAX_TEXT
    strings_as_numbers: bool = False
    """Accept digit strings for integer fields (CSV has no types)."""
    _getters: tuple[Callable[[AnyMapping[str, Any]], Any], ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_getters", tuple(f.getter() for f in self.fields))

    @classmethod
    def build(
        cls,
        table: str,
        spec: AnyMapping[str, Any] | None = None,
        *,
        max_text: int = DEFAULT_MAX_TEXT,
        strings_as_numbers: bool = False,
    ) -> Mapping:
        """A mapping from config: ``{canonical: native}`` or ``{canonical: {field, transform}}``.

        Raises ``ValueError`` with a readable message on an unknown field or transform.
        """
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r} (one of {', '.join(TABLES)})")
        spec = dict(spec or {})
        known = {f.name: f for f in TABLES[table]}
        unknown = sorted(set(spec) - set(known))
        if unknown:
            raise ValueError(
                f"mapping names unknown canonical field(s) {', '.join(unknown)} of table {table}"
            )
        out: list[FieldMap] = []
        for name, fld in known.items():
            entry = spec.get(name, name)
            transform: str | None = None
            if isinstance(entry, dict):
                extra = set(entry) - {"field", "transform"}
                if extra or not isinstance(entry.get("field", name), str):
                    raise ValueError(
                        f"mapping.{name}: use a native field name or {{field = ..., transform = ...}}"
                    )
                native = entry.get("field", name)
                transform = entry.get("transform")
            elif entry is False and not fld.required:
                native = ""  # the source has no such field: always null
            elif isinstance(entry, str):
                native = entry
            else:
                raise ValueError(f"mapping.{name}: expected a native field name")
            if not native and entry is not False:
                raise ValueError(f"mapping.{name}: the native field name is empty")
            if transform is not None:
                if transform not in TRANSFORMS:
                    raise ValueError(
                        f"mapping.{name}: unknown transform {transform!r} "
                        f"(one of {', '.join(TRANSFORMS)})"
                    )
                if transform.startswith("epoch") or transform == "iso":
                    if fld.kind != "timestamp":
                        raise ValueError(f"mapping.{name}: {transform} applies to timestamps only")
                elif fld.kind != "int":
                    raise ValueError(f"mapping.{name}: 'int' applies to integer fields only")
            out.append(FieldMap(fld, native, transform))
        return cls(table, tuple(out), max_text, strings_as_numbers)

    def native_name(self, canonical: str) -> str:
        """The native field that feeds ``canonical``."""
        for fm in self.fields:
            if fm.field.name == canonical:
                return fm.native
        raise KeyError(canonical)

    def transform_of(self, canonical: str) -> str | None:
        """The transform applied to ``canonical`` (None when the value is taken as is)."""
        for fm in self.fields:
            if fm.field.name == canonical:
                return fm.transform
        raise KeyError(canonical)

    # -- normalising --------------------------------------------------------------

    def normalize(self, records: Sequence[Any]) -> tuple[pa.RecordBatch, list[tuple[int, str]]]:
        """Normalise a page: the good rows as a canonical batch, and ``(index, reason)``
        for every record that must go to quarantine."""
        batch = self._fast(records)
        if batch is not None:
            return batch, []
        rows: list[dict[str, Any]] = []
        bad: list[tuple[int, str]] = []
        for index, record in enumerate(records):
            try:
                rows.append(self.normalize_one(record))
            except RecordProblem as exc:
                bad.append((index, str(exc)))
        return self._from_rows(rows), bad

    def normalize_one(self, record: Any) -> dict[str, Any]:
        """One record as canonical values (timestamps as µs since the epoch)."""
        if not isinstance(record, dict):
            raise RecordProblem(f"not a JSON object ({type(record).__name__})")
        out: dict[str, Any] = {}
        for fm, get in zip(self.fields, self._getters, strict=True):
            value = get(record)
            if value is None:
                if fm.field.required:
                    raise RecordProblem(f"missing required field {fm.field.name} ({fm.native})")
                out[fm.field.name] = None
                continue
            out[fm.field.name] = self._convert(fm, value)
        text = out.get("prompt_text")
        if "prompt_hash" in out and out["prompt_hash"] is None and text is not None:
            out["prompt_hash"] = hashlib.sha256(text.encode()).hexdigest()
        return out

    def _convert(self, fm: FieldMap, value: Any) -> Any:
        kind, name = fm.field.kind, fm.field.name
        if kind == "string":
            if not isinstance(value, str):
                raise RecordProblem(f"field {name}: expected a string, got {_kind(value)}")
            _check_text(name, value)
            if name == "prompt_text" and len(value) > self.max_text:
                raise RecordProblem(
                    f"field {name}: {len(value)} characters, over the limit of {self.max_text}"
                )
            return value
        if kind == "int":
            return _to_int(name, value, fm.transform == "int" or self.strings_as_numbers)
        if kind == "timestamp":
            return _to_us(name, value, fm.transform)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if self.strings_as_numbers and value in ("true", "false"):
                return value == "true"
            raise RecordProblem(f"field {name}: expected true/false, got {_kind(value)}")
        if kind == "string_list":
            if isinstance(value, str) and self.strings_as_numbers:
                value = [v for v in value.split("|") if v]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RecordProblem(f"field {name}: expected a list of strings")
            for v in value:
                _check_text(name, v)
            return value
        raise AssertionError(kind)  # pragma: no cover - the schema has no other kinds

    def normalize_columns(self, struct: pa.StructArray) -> pa.RecordBatch | None:
        """Normalise records already parsed into Arrow columns (see :mod:`arrowjson`);
        ``None`` when some record needs the careful, per-record path."""
        return self._fast([], struct)

    def _fast(
        self, records: Sequence[Any], struct: pa.StructArray | None = None
    ) -> pa.RecordBatch | None:
        """The vectorised path; ``None`` when any record needs a closer look."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from ircli.evidence.schema import arrow_schema

        if struct is None:
            if not records:
                return self._from_rows([])
            if not all(type(r) is dict for r in records):
                return None
            struct = _as_struct(records)
        size = len(struct) if struct is not None else len(records)
        schema = arrow_schema(self.table)
        columns: list[pa.Array] = []
        try:
            for fm, get in zip(self.fields, self._getters, strict=True):
                array = _column(struct, records, size, fm, get)
                kind, transform = fm.field.kind, fm.transform
                if kind == "string":
                    if pa.types.is_large_string(array.type) or pa.types.is_string_view(array.type):
                        array = array.cast(pa.string())  # typed sources (DuckDB, Parquet)
                    if array.type not in (pa.string(), pa.null()):
                        return None
                    if array.null_count < len(array):
                        if (
                            _may_hold_nul(array)
                            and pc.any(pc.match_substring(array, "\x00")).as_py()
                        ):
                            return None
                        if (
                            fm.field.name == "prompt_text"
                            and pc.max(pc.utf8_length(array)).as_py() > self.max_text
                        ):
                            return None
                elif kind == "int":
                    if array.type != pa.int64() and (
                        pa.types.is_integer(array.type) and array.type != pa.uint64()
                    ):
                        array = array.cast(pa.int64())
                    if array.type not in (pa.int64(), pa.null()):
                        return None
                elif kind == "timestamp":
                    if transform in _EPOCH_SCALE:
                        if array.type not in (pa.int64(), pa.null()):
                            return None
                        array = pc.multiply_checked(array, _EPOCH_SCALE[transform])
                        array = array.cast(pa.timestamp("us", tz="UTC"))
                    elif pa.types.is_timestamp(array.type):
                        # Typed sources (Parquet): a zone-less timestamp means UTC.
                        array = array.cast(pa.timestamp(array.type.unit)).cast(
                            pa.timestamp("us", tz="UTC")
                        )
                    else:
                        if array.type not in (pa.string(), pa.null()):
                            return None
                        array = array.cast(pa.timestamp("us", tz="UTC"))
                elif kind == "bool":
                    if array.type not in (pa.bool_(), pa.null()):
                        return None
                else:
                    return None  # lists: the per-record path checks their items
                target = schema.field(fm.field.name).type
                if array.type != target:
                    array = array.cast(target)
                if fm.field.required and array.null_count:
                    return None
                columns.append(array)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, UnicodeError, ValueError):
            return None
        names = [fm.field.name for fm in self.fields]
        if "prompt_hash" in names and "prompt_text" in names:
            ih, it = names.index("prompt_hash"), names.index("prompt_text")
            hashes, texts = columns[ih], columns[it]
            missing = pc.and_(pc.is_null(hashes), pc.is_valid(texts))
            if pc.any(missing).as_py():
                columns[ih] = pc.coalesce(
                    hashes, _sha256_column(pc.filter(texts, missing), missing)
                )
        return pa.RecordBatch.from_arrays(columns, schema=schema)

    def _from_rows(self, rows: list[dict[str, Any]]) -> pa.RecordBatch:
        import pyarrow as pa

        from ircli.evidence.schema import arrow_schema

        schema = arrow_schema(self.table)
        arrays = []
        for fm in self.fields:
            values = [row[fm.field.name] for row in rows]
            target = schema.field(fm.field.name).type
            if fm.field.kind == "timestamp":
                arrays.append(pa.array(values, pa.int64()).cast(target))
            else:
                arrays.append(pa.array(values, target))
        return pa.RecordBatch.from_arrays(arrays, schema=schema)


@cache
def _settle_optional_imports() -> None:
    """pyarrow's type inference tries ``import dateutil`` on every call when
    they are not installed, and each failed import scans ``sys.path`` — several ms per
    page. Their absence is recorded once, the way Python itself caches a failed import."""
    for name in ("dateutil",):
        if name not in sys.modules and importlib.util.find_spec(name) is None:
            sys.modules[name] = None  # type: ignore[assignment]


def _as_struct(records: Sequence[dict[str, Any]]) -> pa.StructArray | None:
    """All records as one Arrow struct array (types inferred in C++), or ``None`` when some
    field the mapping may not even use has mixed types."""
    import pyarrow as pa

    _settle_optional_imports()
    try:
        array = pa.array(records)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, UnicodeError):
        return None
    return array if pa.types.is_struct(array.type) else None


def _column(
    struct: pa.StructArray | None,
    records: Sequence[dict[str, Any]],
    size: int,
    fm: FieldMap,
    get: Callable[[AnyMapping[str, Any]], Any],
) -> pa.Array:
    """The native column feeding ``fm``, types inferred: a wrong type stays visible."""
    import pyarrow as pa

    if not fm.native:
        return pa.nulls(size)
    if struct is not None:
        column: Any = struct
        for part in fm.native.split("."):
            if not pa.types.is_struct(column.type):
                return pa.nulls(size)
            index = column.type.get_field_index(part)
            if index < 0:
                return pa.nulls(size)
            # flatten() folds a parent's nulls into its children; field() would not.
            column = column.flatten()[index] if column.null_count else column.field(index)
        return column
    return pa.array([get(r) for r in records])


_SHA256 = hashlib.sha256()
"""An empty sha256 state: copying it is cheaper than starting a new hash for each value."""


def _sha256_column(texts: pa.Array, where: pa.Array) -> pa.Array:
    """sha256 hex of ``texts``, placed at the rows ``where`` marks (null elsewhere)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # The one Python loop of the fast road: kept to the bare calls.
    start = _SHA256.copy
    hexes: list[str] = []
    add = hexes.append
    for text in texts.to_pylist():
        digest = start()
        digest.update(text.encode())
        add(digest.hexdigest())
    digests = pa.array(hexes, pa.string())
    return pc.replace_with_mask(pa.nulls(len(where), pa.string()), where, digests)


def _may_hold_nul(array: pa.Array) -> bool:
    """Whether any byte behind a string array is NUL: ``False`` proves that no value holds
    one, so the exact (per-value) search runs only when a NUL is somewhere in the page."""
    _, offsets, data = array.buffers()
    if data is None:
        return False
    # One memchr over the bytes the values use, instead of a substring search per value
    # (an array sliced from a bigger batch shares its buffer: only its range is read).
    bounds = memoryview(offsets).cast("i")
    start, end = bounds[array.offset], bounds[array.offset + len(array)]
    return memoryview(data)[start:end].tobytes().find(b"\x00") >= 0


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _check_text(name: str, value: str) -> None:
    if "\x00" in value:
        raise RecordProblem(f"field {name}: contains a NUL byte")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # Sources decode with surrogateescape, so invalid bytes arrive as lone surrogates.
        raise RecordProblem(f"field {name}: invalid UTF-8") from None


def _to_int(name: str, value: Any, from_string: bool) -> int:
    if isinstance(value, bool):
        raise RecordProblem(f"field {name}: expected an integer, got a boolean")
    if isinstance(value, int):
        result = value
    elif isinstance(value, str) and from_string:
        text = value.strip()
        if not text or not (text.lstrip("-").isdigit() and text.isascii()):
            raise RecordProblem(f"field {name}: {value[:40]!r} is not an integer")
        result = int(text)
    else:
        raise RecordProblem(f"field {name}: expected an integer, got {_kind(value)}")
    if not -(2**63) <= result < 2**63:
        raise RecordProblem(f"field {name}: integer out of range")
    return result


def _to_us(name: str, value: Any, transform: str | None) -> int:
    """A timestamp as microseconds since the epoch (UTC)."""
    if transform in _EPOCH_SCALE:
        if isinstance(value, str):
            try:
                value = float(value) if "." in value else int(value)
            except ValueError:
                raise RecordProblem(
                    f"field {name}: {value[:40]!r} is not an epoch number"
                ) from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RecordProblem(f"field {name}: expected an epoch number, got {_kind(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise RecordProblem(f"field {name}: not a finite number")
        scale = _EPOCH_SCALE[transform]
        us = value * scale if isinstance(value, int) else round(value * scale)
    else:
        if isinstance(value, datetime):
            moment = value
        elif not isinstance(value, str):
            raise RecordProblem(f"field {name}: expected an ISO 8601 string, got {_kind(value)}")
        else:
            try:
                moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                raise RecordProblem(
                    f"field {name}: {value[:40]!r} is not an ISO 8601 time"
                ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)  # the schema says UTC; naive means UTC
        delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
        us = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if not _MIN_US <= us <= _MAX_US:
        raise RecordProblem(f"field {name}: time out of range")
    return int(us)


def raw_of(record: Any) -> bytes:
    """Bytes to keep in quarantine for a record that arrived already parsed."""
    return json.dumps(record, ensure_ascii=False, default=str).encode("utf-8", "surrogateescape")
