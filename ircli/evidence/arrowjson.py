"""JSON pages parsed straight into Arrow columns (C++, without holding the GIL).

The fast road for clean pages: no Python object per record. The schema given to the
parser is the one the mapping expects, so a value of the wrong type, bad JSON or invalid
UTF-8 makes the parser fail — and the caller then takes the careful road (Python parsing,
record by record), which finds each bad record and says why. Nothing is decided here.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

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


R = TypeVar("R")


class RecordReader:
    """Parses one source's pages into Arrow columns, typed as its mapping expects.

    A field the schema names but a page never sends still costs the parser work on every
    record (it fills in a null each time), so each page is first parsed with only the
    fields the source is known to send (learned from earlier pages and from the page's
    first records), letting any other field through as it is. If a mapped field the
    narrow parse left out turns up after all, it is learned and the page is parsed again
    with every field: narrowing never changes what a page yields, only how fast.
    """

    def __init__(self, mapping: Mapping) -> None:
        self.record = native_struct(mapping)
        self._leaves = frozenset(f.name for f in self.record)
        self._needles = {name: json.dumps(name).encode() for name in self._leaves}
        self._sent: frozenset[str] = frozenset()
        self._narrowing = True
        self._types: dict[frozenset[str], pa.StructType] = {self._leaves: self.record}
        self._schemas: dict[tuple[frozenset[str], str, tuple[str, ...]], pa.Schema] = {}

    def page(
        self, body: bytes, path: str, extra: dict[str, pa.DataType]
    ) -> tuple[pa.StructArray, dict[str, Any]] | None:
        """A JSON document's record list (at dotted ``path``) as a struct array, plus the
        ``extra`` top-level values (e.g. the cursor); ``None`` if anything is unexpected."""

        def read(
            fields: frozenset[str], infer: bool
        ) -> tuple[tuple[pa.StructArray, dict[str, Any]] | None, Any]:
            # One page schema per set of fields, path and extra names (hashing an Arrow
            # struct type instead would walk all its fields on every page).
            key = (fields, path, tuple(extra))
            schema = self._schemas.get(key)
            if schema is None:
                schema = self._schemas[key] = _page_schema(self._type(fields), path, extra)
            got = _read_page(body, schema, path, extra, infer=infer)
            return got, got[0].type if got is not None else None

        return self._parse(body, read)

    def lines(self, body: bytes, lines: int) -> pa.StructArray | None:
        """Newline-delimited JSON records as a struct array; ``None`` if any line is
        unexpected (including a line holding two objects: there must be ``lines`` records)."""
        if not lines:
            return None

        def read(fields: frozenset[str], infer: bool) -> tuple[pa.StructArray | None, Any]:
            got = _read_lines(body, self._type(fields), lines, infer=infer)
            return got, got.type if got is not None else None

        return self._parse(body, read)

    def _parse(
        self, body: bytes, read: Callable[[frozenset[str], bool], tuple[R | None, Any]]
    ) -> R | None:
        """``read`` the page narrow first when some fields are known not to be sent, then
        in full if the narrow parse failed or met a field it left out."""
        if not self.record.num_fields or not _valid_text(body):
            return None
        narrow = self._narrowed(body)
        typ: Any = None
        if narrow is not None:
            got, typ = read(narrow, True)
            if typ is not None and self._complete(typ, narrow):
                return got
        full, _ = read(self._leaves, False)
        if narrow is not None and typ is None and full is not None:
            # The full parse takes what the narrow one did not (an unmapped field whose
            # type changes between records cannot be let through): stop narrowing this
            # source rather than parse every page twice.
            self._narrowing = False
        return full

    def _type(self, fields: frozenset[str]) -> pa.StructType:
        """The record type cut to ``fields`` (built once per set)."""
        typ = self._types.get(fields)
        if typ is None:
            import pyarrow as pa

            typ = self._types[fields] = pa.struct([f for f in self.record if f.name in fields])
        return typ

    def _narrowed(self, body: bytes) -> frozenset[str] | None:
        """The fields known to be sent, when that is not all of them."""
        if not self._narrowing:
            return None
        head = body[:HEAD_BYTES]
        self._sent |= {n for n in self._leaves - self._sent if self._needles[n] in head}
        return None if self._sent == self._leaves else self._sent

    def _complete(self, got: pa.StructType, narrow: frozenset[str]) -> bool:
        """Whether a narrow parse left out no mapped field; else the field is learned."""
        if got.num_fields == len(narrow):
            return True  # nothing was let through
        surfaced = {f.name for f in got if f.name in self._leaves} - narrow
        self._sent |= surfaced
        return not surfaced


HEAD_BYTES = 8192
"""How much of a page is searched for the names of the fields it sends (its first
records); a field first seen further on is learned from the narrow parse itself."""


def _valid_text(body: bytes) -> bool:
    # Arrow's parser replaces invalid UTF-8 silently; such a page takes the careful road.
    # An ASCII page (the usual one: JSON escapes the rest) is valid UTF-8 without decoding.
    if body.isascii():
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_page(
    body: bytes, schema: pa.Schema, path: str, extra: dict[str, pa.DataType], *, infer: bool
) -> tuple[pa.StructArray, dict[str, Any]] | None:
    import pyarrow as pa

    parts = [p for p in path.split(".") if p]
    if not parts:
        return None
    table = _read(body, schema, newlines=True, infer=infer)
    if table is None or table.num_rows != 1:
        return None
    chunks = table.column(parts[0])
    # One block, one chunk: taken as it is (combining would copy every record).
    column: Any = chunks.chunk(0) if chunks.num_chunks == 1 else chunks.combine_chunks()
    for part in parts[1:]:
        if not pa.types.is_struct(column.type):
            return None  # a level the narrow parse let through with another shape
        column = column.field(part)
    if column.null_count or not pa.types.is_list(column.type):
        return None
    records = column.flatten()
    if records.null_count or not pa.types.is_struct(records.type):
        return None
    return records, {k: table.column(k)[0].as_py() for k in extra}


def _page_schema(record: pa.StructType, path: str, extra: dict[str, pa.DataType]) -> pa.Schema:
    """The schema of a whole page: ``record`` items in a list at dotted ``path``."""
    import pyarrow as pa

    parts = [p for p in path.split(".") if p]
    typ: pa.DataType = pa.list_(record)
    for part in reversed(parts[1:]):
        typ = pa.struct([(part, typ)])
    fields = [(parts[0], typ)] + [(k, v) for k, v in extra.items() if k != parts[0]]
    return pa.schema(fields)


def _read_lines(
    body: bytes, record: pa.StructType, lines: int, *, infer: bool
) -> pa.StructArray | None:
    import pyarrow as pa

    table = _read(body, pa.schema(list(record)), newlines=False, infer=infer)
    if table is None or table.num_rows != lines:
        return None
    chunks = table.to_struct_array()
    return chunks.chunk(0) if chunks.num_chunks == 1 else chunks.combine_chunks()


def _read(body: bytes, schema: pa.Schema, *, newlines: bool, infer: bool) -> pa.Table | None:
    import pyarrow as pa
    import pyarrow.json as pj

    try:
        return pj.read_json(
            io.BytesIO(body),
            read_options=pj.ReadOptions(use_threads=False, block_size=max(len(body) + 1, 1 << 16)),
            parse_options=pj.ParseOptions(
                explicit_schema=schema,
                # A narrow parse lets unknown fields through, so a mapped one it left out
                # shows (see RecordReader); the full parse skips them.
                unexpected_field_behavior="infer" if infer else "ignore",
                # A page on one line is parsed without looking for values across lines.
                newlines_in_values=newlines and (b"\n" in body or b"\r" in body),
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
