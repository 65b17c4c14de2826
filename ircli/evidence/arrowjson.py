"""JSON pages parsed straight into Arrow columns (C++, without holding the GIL).

The fast road for clean pages: no Python object per record. The schema given to the
parser is the one the mapping expects, so a value of the wrong type, bad JSON or invalid
UTF-8 makes the parser fail — and the caller then takes the careful road (Python parsing,
record by record), which finds each bad record and says why. Nothing is decided here.
"""

from __future__ import annotations

import io
import json
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
        self._narrow: dict[frozenset[str], pa.StructType] = {}
        self._narrowing = True
        self._schemas: dict[tuple[int, str, tuple[tuple[str, str], ...]], pa.Schema] = {}

    def page(
        self, body: bytes, path: str, extra: dict[str, pa.DataType]
    ) -> tuple[pa.StructArray, dict[str, Any]] | None:
        """A JSON document's record list (at dotted ``path``) as a struct array, plus the
        ``extra`` top-level values (e.g. the cursor); ``None`` if anything is unexpected."""
        if not self.record.num_fields or not _valid_text(body):
            return None
        narrow = self._narrowed(body)
        got: tuple[pa.StructArray, dict[str, Any]] | None = None
        if narrow is not None:
            got = _read_page(body, self._schema(narrow, path, extra), path, extra, infer=True)
            if got is not None and self._complete(got[0].type, narrow):
                return got
        full = _read_page(body, self._schema(self.record, path, extra), path, extra, infer=False)
        self._settle(narrow is not None and got is None and full is not None)
        return full

    def lines(self, body: bytes, lines: int) -> pa.StructArray | None:
        """Newline-delimited JSON records as a struct array; ``None`` if any line is
        unexpected (including a line holding two objects: there must be ``lines`` records)."""
        if not self.record.num_fields or not lines or not _valid_text(body):
            return None
        narrow = self._narrowed(body)
        got: pa.StructArray | None = None
        if narrow is not None:
            got = _read_lines(body, narrow, lines, infer=True)
            if got is not None and self._complete(got.type, narrow):
                return got
        full = _read_lines(body, self.record, lines, infer=False)
        self._settle(narrow is not None and got is None and full is not None)
        return full

    def _schema(self, record: pa.StructType, path: str, extra: dict[str, pa.DataType]) -> pa.Schema:
        """The whole page's schema, built once per record type (kept alive by this reader,
        so its id is a cheap key: hashing an Arrow struct type walks all its fields)."""
        key = (id(record), path, tuple((k, str(v)) for k, v in extra.items()))
        schema = self._schemas.get(key)
        if schema is None:
            schema = self._schemas[key] = _page_schema(record, path, extra)
        return schema

    def _settle(self, only_narrow_failed: bool) -> None:
        """A page the full parse takes but the narrow one did not (an unmapped field whose
        type changes between records cannot be let through): stop narrowing this source,
        rather than parse every page twice."""
        if only_narrow_failed:
            self._narrowing = False

    def _narrowed(self, body: bytes) -> pa.StructType | None:
        """The record type cut to the fields known to be sent (``None``: all of them)."""
        if not self._narrowing:
            return None
        head = body[:HEAD_BYTES]
        sent = self._sent | {n for n in self._leaves - self._sent if self._needles[n] in head}
        if sent == self._leaves:
            return None
        narrow = self._narrow.get(sent)
        if narrow is None:
            import pyarrow as pa

            narrow = pa.struct([f for f in self.record if f.name in sent])
            self._narrow[sent] = narrow
        self._sent = sent
        return narrow

    def _complete(self, got: pa.StructType, narrow: pa.StructType) -> bool:
        """Whether a narrow parse left out no mapped field; else the field is learned."""
        if got.num_fields == narrow.num_fields:
            return True  # nothing was let through
        surfaced = {f.name for f in got if f.name in self._leaves} - {f.name for f in narrow}
        if surfaced:
            self._sent = self._sent | surfaced
            return False
        return True


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
