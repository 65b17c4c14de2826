"""JSON pages parsed straight into Arrow columns (C++, without holding the GIL).

The fast road for clean pages: no Python object per record. The schema given to the
parser is the one the mapping expects, so a value of the wrong type, bad JSON or invalid
UTF-8 makes the parser fail — and the caller then takes the careful road (Python parsing,
record by record), which finds each bad record and says why. Nothing is decided here.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from ircli.evidence.mapping import Mapping


def native_struct(mapping: Mapping) -> pa.StructType:
    """The Arrow type of one native record, as the mapping expects it."""
    import pyarrow as pa

    tree: dict[str, Any] = {}
    for fm in mapping.fields:
        if not fm.native:
            continue
        kind, transform = fm.field.kind, fm.transform
        if kind == "string" or (kind == "timestamp" and transform in (None, "iso")):
            typ = pa.string()
        elif (kind == "int" and transform == "int") or mapping.strings_as_numbers:
            return pa.struct([])  # strings holding numbers: only the careful road knows them
        elif kind in ("int", "timestamp"):
            typ = pa.int64()
        elif kind == "bool":
            typ = pa.bool_()
        else:
            typ = pa.list_(pa.string())
        node = tree
        parts = fm.native.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                return pa.struct([])  # a name used both as a leaf and a parent
        node[parts[-1]] = typ
    return _struct(tree)


def _struct(tree: dict[str, Any]) -> pa.StructType:
    import pyarrow as pa

    return pa.struct([(k, _struct(v) if isinstance(v, dict) else v) for k, v in tree.items()])


def read_page(
    body: bytes, record: pa.StructType, path: str, extra: dict[str, pa.DataType]
) -> tuple[pa.StructArray, dict[str, Any]] | None:
    """A JSON document's record list (at dotted ``path``) as a struct array, plus the
    ``extra`` top-level values (e.g. the cursor); ``None`` if anything is unexpected."""
    import pyarrow as pa

    if not record.num_fields:
        return None
    parts = [p for p in path.split(".") if p]
    if not parts:
        return None
    typ: pa.DataType = pa.list_(record)
    for part in reversed(parts[1:]):
        typ = pa.struct([(part, typ)])
    fields = [(parts[0], typ)] + [(k, v) for k, v in extra.items() if k != parts[0]]
    table = _read(body, pa.schema(fields), newlines=True)
    if table is None or table.num_rows != 1:
        return None
    column: Any = table.column(parts[0]).combine_chunks()
    for part in parts[1:]:
        column = column.field(part)
    if column.null_count:
        return None
    records = column.flatten()
    if records.null_count:
        return None
    return records, {k: table.column(k)[0].as_py() for k in extra}


def read_lines(body: bytes, record: pa.StructType, lines: int) -> pa.StructArray | None:
    """Newline-delimited JSON records as a struct array; ``None`` if any line is unexpected
    (including a line holding two objects: there must be exactly ``lines`` records)."""
    import pyarrow as pa

    if not record.num_fields or not lines:
        return None
    table = _read(body, pa.schema(list(record)), newlines=False)
    if table is None or table.num_rows != lines:
        return None
    return table.to_struct_array().combine_chunks()


def _read(body: bytes, schema: pa.Schema, *, newlines: bool) -> pa.Table | None:
    import pyarrow as pa
    import pyarrow.json as pj

    # Arrow's parser replaces invalid UTF-8 silently; such a page takes the careful road.
    # An ASCII page (the usual one: JSON escapes the rest) is valid UTF-8 without decoding.
    if not body.isascii():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        return pj.read_json(
            io.BytesIO(body),
            read_options=pj.ReadOptions(use_threads=False, block_size=max(len(body) + 1, 1 << 16)),
            parse_options=pj.ParseOptions(
                explicit_schema=schema,
                unexpected_field_behavior="ignore",
                # A page on one line is parsed without looking for values across lines.
                newlines_in_values=newlines and (b"\n" in body or b"\r" in body),
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
