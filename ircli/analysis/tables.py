"""Loading the canonical tables into DuckDB for analysis.

Inputs are Parquet, JSONL or CSV files (or Arrow tables already in memory). Each becomes a
view with *every* canonical column, absent optional ones as typed NULLs, so indicator SQL
never has to ask which columns a source happened to export.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ircli.errors import NotFoundError, ValidationError
from ircli.evidence.schema import TABLES, Field

if TYPE_CHECKING:
    import duckdb

_SQL_TYPES = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "int": "BIGINT",
    "bool": "BOOLEAN",
    "string_list": "VARCHAR[]",
}

Source = Path | str | list[Path] | Any  # a file path, several Parquet files, or an Arrow table


def spill_directory() -> Path:
    """The folder DuckDB spills to (``$TMPDIR/ircli-duckdb-UID``, private to the user)."""
    import os
    import tempfile

    uid = os.getuid() if hasattr(os, "getuid") else 0
    folder = Path(tempfile.gettempdir()) / f"ircli-duckdb-{uid}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def connect(memory_limit: str = "3GB", threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection sized for analysis (spills to a temp dir past the limit)."""
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    # Spill past the limit into a private folder of the system's temp dir, not into a
    # `.tmp` folder of whatever directory the responder happens to run ircli from.
    con.execute("SET temp_directory = ?", [str(spill_directory())])
    con.execute("SET preserve_insertion_order = false")
    # Days and hours are UTC days and hours, whatever the machine's zone is.
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _reader(path: Path) -> str:
    name = path.name.lower()
    quoted = "'" + str(path).replace("'", "''") + "'"
    if name.endswith(".parquet") or name.endswith(".pq"):
        return f"read_parquet({quoted})"
    if name.endswith((".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz")):
        return f"read_json_auto({quoted}, format='newline_delimited')"
    if name.endswith((".csv", ".csv.gz")):
        return f"read_csv_auto({quoted}, header=true)"
    raise ValidationError(
        f"cannot tell the format of {path.name}",
        hint="use a .parquet, .jsonl or .csv file in the canonical schema",
    )


def _cast(f: Field, present: bool) -> str:
    sql_type = _SQL_TYPES[f.kind]
    if not present:
        return f"CAST(NULL AS {sql_type}) AS {f.name}"
    if f.kind == "string_list":
        # CSV exports carry lists as text; accept "a|b", "a,b" or a JSON array.
        return (
            f"CASE WHEN typeof({f.name}) LIKE '%[]' THEN CAST({f.name} AS VARCHAR[]) "
            f"ELSE string_split(regexp_replace(CAST({f.name} AS VARCHAR), '[\\[\\]\" ]', '', 'g'), ',') "
            f"END AS {f.name}"
        )
    return f"TRY_CAST({f.name} AS {sql_type}) AS {f.name}"


def register(con: duckdb.DuckDBPyConnection, table: str, source: Source) -> int:
    """Expose ``source`` as the view ``table`` with all canonical columns; returns its row count."""
    fields = TABLES[table]
    if isinstance(source, list):
        for path in source:
            if not Path(path).exists():
                raise NotFoundError(f"evidence file missing: {path}", hint="run: ircli verify")
        listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in source)
        relation = f"read_parquet([{listed}], union_by_name=true)"
    elif isinstance(source, str | Path):
        path = Path(source)
        if not path.exists():
            raise NotFoundError(f"no such file: {path}", hint=f"pass the {table} export")
        relation = _reader(path)
    else:
        con.register(f"_raw_{table}", source)
        relation = f"_raw_{table}"
    try:
        columns = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
    except Exception as exc:  # duckdb raises many kinds; all mean "unreadable input"
        raise ValidationError(
            f"cannot read the {table} file: {str(exc).splitlines()[0]}",
            hint="check it is a canonical-schema export (Parquet, JSONL or CSV)",
        ) from exc
    missing = [f.name for f in fields if f.required and f.name not in columns]
    if missing:
        raise ValidationError(
            f"the {table} input lacks required column(s): {', '.join(missing)}",
            hint="map the source's fields onto the canonical schema (DESIGN §6)",
        )
    select = ", ".join(_cast(f, f.name in columns) for f in fields)
    con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT {select} FROM {relation}")
    count = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return int(count)


def has_values(con: duckdb.DuckDBPyConnection, table: str, column: str) -> float:
    """Share of rows of ``table`` where ``column`` is not NULL, over its first 100,000 rows.

    The first rows in the source's order, not whichever rows the threads reach first: the
    share is part of the result, so a sample that changed from run to run changed the
    analysis id of the same evidence.
    """
    kept = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = true")
    try:
        row = con.execute(
            f"SELECT avg(CASE WHEN {column} IS NULL THEN 0.0 ELSE 1.0 END) "
            f"FROM (SELECT {column} FROM {table} LIMIT 100000)"
        ).fetchall()[0]
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if kept else 'false'}")
    return float(row[0] or 0.0)
