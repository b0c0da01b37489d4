"""The SQL text the Snowflake adapter sends, built by pure functions.

Kept apart from the connection handling so every statement can be unit-tested without a
server, including the paths fakesnow cannot run (``COPY … FILES=(…)`` on an internal stage,
``DATE_FORMAT``/``ENCODING`` options). Names go through :mod:`identifiers`; values are bind
parameters, except where Snowflake's grammar has no place for one (PUT paths, stage paths,
FILE_FORMAT options) — those are either validated against a strict pattern or quoted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snowetl_tui.warehouse.base import (
    ColumnDef,
    CopyFileResult,
    FileFormatSpec,
    PartToCopy,
    StagedFile,
    TableRef,
    WarehouseError,
)
from snowetl_tui.warehouse.identifiers import normalize, quote, quote_table, string_literal

#: One named internal stage per target schema; every load lives under ``@SNOWETL_STAGE/<id>/``.
STAGE = "SNOWETL_STAGE"
#: Snowflake accepts at most 1000 names in ``FILES=(…)``.
MAX_FILES_PER_COPY = 1000

# Load ids and part names end up inside stage paths and FILES literals; a narrow alphabet
# means no quoting question can arise there.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$")

_ENCODINGS = {
    "utf-8": None,  # Snowflake's default; omitted (fakesnow rejects any ENCODING option)
    "ascii": None,
    "iso8859-1": "ISO-8859-1",
    "latin-1": "ISO-8859-1",
    "cp1252": "WINDOWS1252",
    "iso8859-15": "ISO-8859-15",
    "cp1250": "WINDOWS1250",
    "cp1251": "WINDOWS1251",
}
_STRFTIME_TO_SNOWFLAKE = [
    ("%Y", "YYYY"),
    ("%y", "YY"),
    ("%m", "MM"),
    ("%b", "MON"),
    ("%d", "DD"),
    ("%H", "HH24"),
    ("%M", "MI"),
    ("%S", "SS"),
    ("%f", "FF"),
]


def check_safe_name(kind: str, name: str) -> str:
    """A load id or part name that can be placed in a stage path verbatim."""
    if not _SAFE_NAME.match(name) or ".." in name:
        raise WarehouseError(
            f"invalid {kind} {name!r}: use letters, digits, '_', '-' and '.' only"
        )
    return name


def stage_path(load_id: str, part: str | None = None) -> str:
    """``@SNOWETL_STAGE/<load_id>/`` or ``@SNOWETL_STAGE/<load_id>/<part>``."""
    path = f"@{STAGE}/{check_safe_name('load id', load_id)}/"
    return path + check_safe_name("part name", part) if part else path


def sql_literal(text: str) -> str:
    """A string literal for FILE_FORMAT options: control characters as Snowflake escapes."""
    escapes = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
    if text in escapes:
        return f"'{escapes[text]}'"
    return string_literal(text)


# -- DDL and types -----------------------------------------------------------------------------
def snowflake_type(canonical: str) -> str:
    """Snowflake column type of a canonical config type (see ``config.types``)."""
    t = canonical.strip().upper()
    if t == "INTEGER":
        return "NUMBER(38,0)"
    if t == "TIMESTAMP":
        return "TIMESTAMP_NTZ"
    if t in ("FLOAT", "BOOLEAN", "DATE", "VARCHAR"):
        return t
    if re.fullmatch(r"NUMBER\(\d{1,2},\d{1,2}\)|VARCHAR\(\d{1,8}\)", t):
        return t
    raise WarehouseError(f"column type {canonical!r} is not a canonical type")


def canonical_type(
    data_type: str,
    precision: int | None,
    scale: int | None,
    char_length: int | None,
) -> str:
    """Canonical type of an ``information_schema.columns`` row (round-trips ``snowflake_type``).

    Types outside the canonical set come back as Snowflake names (``TIMESTAMP_TZ``,
    ``VARIANT`` …), so a comparison with a config shows the real difference.
    """
    t = data_type.upper()
    if t in ("NUMBER", "DECIMAL", "NUMERIC"):
        p = 38 if precision is None else int(precision)
        s = 0 if scale is None else int(scale)
        return "INTEGER" if (p, s) == (38, 0) else f"NUMBER({p},{s})"
    if t in ("TEXT", "VARCHAR", "STRING", "CHAR", "CHARACTER"):
        if char_length is None or int(char_length) >= 16_777_216:
            return "VARCHAR"
        return f"VARCHAR({int(char_length)})"
    if t in ("FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8", "DOUBLE PRECISION"):
        return "FLOAT"
    if t in ("TIMESTAMP_NTZ", "TIMESTAMP", "DATETIME"):
        return "TIMESTAMP"
    return t


def create_table_sql(table: TableRef, columns: list[ColumnDef]) -> str:
    """``CREATE TABLE IF NOT EXISTS`` — idempotent, so a retried call is harmless."""
    if not columns:
        raise WarehouseError(f"cannot create table {table.name}: no columns given")
    cols = ", ".join(
        f"{quote(c.name)} {snowflake_type(c.type)}{'' if c.nullable else ' NOT NULL'}"
        for c in columns
    )
    return f"CREATE TABLE IF NOT EXISTS {quote_table(table)} ({cols})"


def table_columns_sql(table: TableRef) -> tuple[str, tuple[Any, ...]]:
    """Query of a table's columns; database/schema default to the session's current ones."""
    parts = table.parts
    name = parts[-1].upper()
    schema = parts[-2].upper() if len(parts) >= 2 else None
    source = "INFORMATION_SCHEMA.COLUMNS"
    if len(parts) == 3:
        source = f"{quote(parts[0])}.INFORMATION_SCHEMA.COLUMNS"
    sql = (
        "SELECT COLUMN_NAME AS COLUMN_NAME, DATA_TYPE AS DATA_TYPE, "
        "NUMERIC_PRECISION AS NUMERIC_PRECISION, NUMERIC_SCALE AS NUMERIC_SCALE, "
        "CHARACTER_MAXIMUM_LENGTH AS CHARACTER_MAXIMUM_LENGTH, IS_NULLABLE AS IS_NULLABLE "
        f"FROM {source} "
        "WHERE TABLE_SCHEMA = COALESCE(%s, CURRENT_SCHEMA()) AND TABLE_NAME = %s "
        "ORDER BY ORDINAL_POSITION"
    )
    return sql, (schema, name)


# -- staging -----------------------------------------------------------------------------------
def put_sql(load_id: str, part: PartToCopy) -> str:
    """PUT of one already-compressed part under its deterministic stage path.

    ``AUTO_COMPRESS=FALSE``: our parts are zstd/gzip already (the connector detects which);
    ``OVERWRITE=FALSE``: Snowflake itself skips a part that is already there.
    """
    check_safe_name("part name", part.name)
    if part.path.name != part.name:
        raise WarehouseError(
            f"part {part.name!r} is stored as {part.path.name!r}: PUT keeps the local file "
            "name, so the part must be written under its own name"
        )
    local = "file://" + str(Path(part.path).resolve())
    return (
        f"PUT {string_literal(local)} {stage_path(load_id)} "
        "AUTO_COMPRESS=FALSE OVERWRITE=FALSE PARALLEL=4"
    )


def staged_parts(rows: Iterable[tuple[str, int]], load_id: str) -> dict[str, int]:
    """Part names (and sizes) of one load among ``LIST @SNOWETL_STAGE`` rows.

    LIST names look like ``snowetl_stage/<load_id>/<part>`` (stage name in lower case);
    only direct children of the load's folder count.
    """
    prefix = load_id + "/"
    found: dict[str, int] = {}
    for name, size in rows:
        _, _, path = str(name).partition("/")
        if path.startswith(prefix):
            part = path[len(prefix) :]
            if part and "/" not in part:
                found[part] = int(size or 0)
    return found


# -- COPY --------------------------------------------------------------------------------------
def file_format_sql(fmt: FileFormatSpec) -> str:
    """``FILE_FORMAT=(…)`` for a CSV/TSV part.

    Stays inside the option subset fakesnow implements (TYPE, FIELD_DELIMITER, SKIP_HEADER,
    FIELD_OPTIONALLY_ENCLOSED_BY, NULL_IF, EMPTY_FIELD_AS_NULL, ESCAPE_UNENCLOSED_FIELD,
    COMPRESSION) unless the file really needs more: a non-UTF-8 encoding or a non-ISO date
    format add ENCODING / DATE_FORMAT, which only a real account understands.

    ``ESCAPE_UNENCLOSED_FIELD=NONE``: Snowflake's default treats ``\\`` as an escape in
    unquoted fields, which would silently alter values (Windows paths, regexes) that our
    validator read literally. ``""`` among the null values means EMPTY_FIELD_AS_NULL.
    """
    nulls = [v for v in fmt.null_values if v != ""]
    empty_as_null = "" in fmt.null_values
    opts = [
        "TYPE=CSV",
        f"FIELD_DELIMITER={sql_literal(fmt.delimiter)}",
        f"SKIP_HEADER={int(fmt.skip_header)}",
        "FIELD_OPTIONALLY_ENCLOSED_BY="
        + (sql_literal(fmt.quote) if fmt.quote else "NONE"),
        "NULL_IF=(" + ", ".join(sql_literal(v) for v in nulls) + ")",
        f"EMPTY_FIELD_AS_NULL={'TRUE' if empty_as_null else 'FALSE'}",
        "ESCAPE_UNENCLOSED_FIELD=NONE",
        "COMPRESSION=AUTO",
    ]
    encoding = _snowflake_encoding(fmt.encoding)
    if encoding:
        opts.append(f"ENCODING={sql_literal(encoding)}")
    if fmt.date_format and fmt.date_format != "%Y-%m-%d":
        opts.append(f"DATE_FORMAT={sql_literal(snowflake_date_format(fmt.date_format))}")
    return "FILE_FORMAT=(" + " ".join(opts) + ")"


def _snowflake_encoding(encoding: str) -> str | None:
    import codecs

    try:
        key = codecs.lookup(encoding).name
    except LookupError:
        raise WarehouseError(f"unknown encoding {encoding!r}") from None
    key = {"latin-1": "iso8859-1"}.get(key, key)
    if key not in _ENCODINGS:
        raise WarehouseError(
            f"encoding {encoding!r} has no Snowflake equivalent here; convert the file to UTF-8"
        )
    return _ENCODINGS[key]


def snowflake_date_format(fmt: str) -> str:
    """Snowflake's spelling of a strptime date format (``%d.%m.%Y`` → ``DD.MM.YYYY``)."""
    out = fmt
    for directive, token in _STRFTIME_TO_SNOWFLAKE:
        out = out.replace(directive, token)
    if "%" in out:
        raise WarehouseError(f"date format {fmt!r} cannot be expressed for Snowflake COPY")
    return out


def copy_sql(
    table: TableRef,
    columns: list[ColumnDef],
    fmt: FileFormatSpec,
    source: str,
    files: list[str] | None,
    *,
    force: bool = False,
) -> str:
    """One ``COPY INTO`` statement from ``source`` (a stage folder with FILES, or one file).

    Columns load by position, without a column list: the pipeline has already checked that the
    table's columns are the file's, in the same order (it never alters a table). A column list
    would add nothing, and fakesnow mis-binds one on tables of ten or more columns.
    """
    if not columns:
        raise WarehouseError(f"COPY into {table.name}: no columns given")
    sql = f"COPY INTO {quote_table(table)} FROM {source}"
    if files is not None:
        if not 1 <= len(files) <= MAX_FILES_PER_COPY:
            raise WarehouseError(f"a COPY takes 1..{MAX_FILES_PER_COPY} files, not {len(files)}")
        names = ", ".join("'" + check_safe_name("part name", f) + "'" for f in files)
        sql += f" FILES=({names})"
    sql += f" {file_format_sql(fmt)} ON_ERROR=ABORT_STATEMENT"
    if force:
        sql += " FORCE=TRUE"
    return sql


def copy_statements(
    table: TableRef,
    load_id: str,
    parts: list[PartToCopy],
    fmt: FileFormatSpec,
    columns: list[ColumnDef],
    *,
    files_list: bool,
    force: bool = False,
) -> list[str]:
    """The COPY statements of a load.

    ``files_list``: one statement per 1000 parts with an explicit ``FILES=(…)`` list (what a
    real account runs); otherwise one statement per part from its full stage path (what
    fakesnow supports). Either way the explicit names mean nothing else in the folder loads.
    """
    if not parts:
        raise WarehouseError(f"COPY into {table.name}: no parts to copy")
    names = [check_safe_name("part name", p.name) for p in parts]
    if len(set(names)) != len(names):
        raise WarehouseError(f"COPY into {table.name}: duplicate part names")
    if files_list:
        return [
            copy_sql(table, columns, fmt, stage_path(load_id),
                     names[i : i + MAX_FILES_PER_COPY], force=force)
            for i in range(0, len(names), MAX_FILES_PER_COPY)
        ]
    return [
        copy_sql(table, columns, fmt, stage_path(load_id, n), None, force=force) for n in names
    ]


def copy_file_results(description: list[str], rows: list[tuple[Any, ...]]) -> list[CopyFileResult]:
    """Per-file results of a COPY from its result set (Snowflake's 10 columns).

    The single-row ``Copy executed with 0 files processed.`` answer yields no file at all.
    ``name`` is the part name (the last path segment), so results match ``PartToCopy.name``.
    """
    cols = [d.lower() for d in description]
    if "file" not in cols:
        return []
    out: list[CopyFileResult] = []
    for row in rows:
        r = dict(zip(cols, row, strict=False))
        first_line = r.get("first_error_line")
        out.append(
            CopyFileResult(
                name=str(r["file"]).rstrip("/").rsplit("/", 1)[-1],
                status=str(r.get("status") or ""),
                rows_parsed=int(r.get("rows_parsed") or 0),
                rows_loaded=int(r.get("rows_loaded") or 0),
                first_error=r.get("first_error") or None,
                first_error_line=int(first_line) if first_line is not None else None,
                first_error_column=r.get("first_error_column_name") or None,
            )
        )
    return out


# -- checks ------------------------------------------------------------------------------------
def count_per_day_sql(table: TableRef, date_column: str) -> str:
    col = quote(date_column)
    return (
        f"SELECT {col} AS D, COUNT(*) AS N FROM {quote_table(table)} "
        f"WHERE {col} BETWEEN %s AND %s GROUP BY {col} ORDER BY {col}"
    )


def count_period_sql(table: TableRef, date_column: str) -> str:
    col = quote(date_column)
    return f"SELECT COUNT(*) AS N FROM {quote_table(table)} WHERE {col} BETWEEN %s AND %s"


def duplicate_keys_sql(table: TableRef, keys: list[str], date_column: str) -> str:
    if not keys:
        raise WarehouseError("duplicate check needs at least one key column")
    cols = ", ".join(quote(k) for k in keys)
    return (
        "SELECT COUNT(*) AS N FROM (SELECT 1 AS X FROM "
        f"{quote_table(table)} WHERE {quote(date_column)} BETWEEN %s AND %s "
        f"GROUP BY {cols} HAVING COUNT(*) > 1) AS DUPS"
    )


def delete_period_sql(table: TableRef, date_column: str) -> str:
    col = quote(date_column)
    return f"DELETE FROM {quote_table(table)} WHERE {col} BETWEEN %s AND %s"


# -- errors ------------------------------------------------------------------------------------
_SF_PREFIX = re.compile(r"^\s*\d{6} \([0-9A-Z]{5}\): ")
_SF_FILE = re.compile(r"File '([^']*)', line (\d+), character (\d+)")
_SF_COLUMN = re.compile(r'column "[^"]*"\["((?:[^"]|"")*)":(\d+)\]')
_DUCK_LINE = re.compile(r"CSV Error on Line: (\d+)")
_DUCK_COLUMN = re.compile(r'converting column "([^"]*)"')
_DUCK_FILE = re.compile(r"^\s*file = (.+)$", re.MULTILINE)


def describe_copy_error(message: str, columns: list[ColumnDef]) -> str:
    """One line with Snowflake's first error and, when known, its part, line and column.

    Understands Snowflake's COPY error text (``File '…', line N, character C`` and
    ``Row R, column "T"["COL":k]``) and fakesnow's DuckDB text (``CSV Error on Line: N``,
    ``converting column "column3"`` — a 0-based file column, mapped to our column name).
    """
    text = _SF_PREFIX.sub("", message.strip())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    head = lines[0] if lines else "unknown error"
    where: list[str] = []
    if m := _SF_FILE.search(text):
        where += [f"part {m[1].rsplit('/', 1)[-1]}", f"line {m[2]}", f"character {m[3]}"]
        if c := _SF_COLUMN.search(text):
            where.append("column " + c[1].replace('""', '"'))
    elif m := _DUCK_LINE.search(text):
        cause = next(
            (ln for ln in lines[1:] if "Could not convert" in ln or ln.startswith("Error")),
            None,
        )
        if cause:
            idx = cause.find("Could not convert")
            head = head.split(": CSV Error")[0] + ": " + (cause[idx:] if idx >= 0 else cause)
        if f := _DUCK_FILE.search(text):
            where.append(f"part {f[1].strip().rsplit('/', 1)[-1]}")
        where.append(f"line {m[1]}")
        if c := _DUCK_COLUMN.search(text):
            where.append(f"column {_duck_column_name(c[1], columns)}")
    if len(head) > 300:
        head = head[:297] + "..."
    return f"{head} ({', '.join(where)})" if where else head


def _duck_column_name(name: str, columns: list[ColumnDef]) -> str:
    m = re.fullmatch(r"column(\d+)", name)
    if m and int(m[1]) < len(columns):
        return normalize(columns[int(m[1])].name)
    return name


# -- stages holding source files: list, query in place, COPY with explicit files -----------------
#: Stage sub-paths and staged file names: a narrow alphabet, so no quoting question arises in
#: stage references, FILES lists or PATTERN regexes.
_SEGMENT = r"[A-Za-z0-9_=\-][A-Za-z0-9_.=\-]*"
_STAGED_FILE = re.compile(rf"^(?:{_SEGMENT}/)*{_SEGMENT}$")
_STAGE_PATH = re.compile(rf"^(?:{_SEGMENT}/)*$")


@dataclass(frozen=True)
class StageLocation:
    """``@NAME/path/``: a (possibly qualified) stage name and a folder inside it."""

    name: TableRef  # validated like a table name: 1–3 plain identifiers
    path: str  # "" or "a/b/" (always ends with "/")

    @property
    def sql(self) -> str:
        """``@"DB"."SCHEMA"."STAGE"/a/b/`` — the reference LIST, SELECT and COPY take."""
        return f"@{quote_table(self.name)}/{self.path}"

    @property
    def display(self) -> str:
        return f"@{self.name.name}/{self.path}"


def parse_stage_location(location: str) -> StageLocation:
    """``STAGE/path/`` (``@`` optional) → a validated :class:`StageLocation`."""
    text = location.strip().removeprefix("@")
    name, _, path = text.partition("/")
    try:
        quote_table(TableRef(name))
    except WarehouseError:
        raise WarehouseError(
            f"invalid stage @{text}: the stage name must be STAGE, SCHEMA.STAGE or "
            "DB.SCHEMA.STAGE made of letters, digits, '_' and '$'"
        ) from None
    if path and not path.endswith("/"):
        path += "/"
    if not _STAGE_PATH.match(path) or any(p in (".", "..") for p in path.split("/")):
        raise WarehouseError(
            f"invalid stage path @{text}: use letters, digits, '_', '-', '=', '.' and '/' only"
        )
    return StageLocation(TableRef(name), path)


def check_staged_file(name: str) -> str:
    """A staged file name relative to the stage location, safe in FILES and PATTERN."""
    if (len(name) > 1024 or not _STAGED_FILE.match(name)
            or any(p in (".", "..") for p in name.split("/"))):
        raise WarehouseError(
            f"staged file {name!r} cannot be loaded by name: use letters, digits, '_', '-', "
            "'=', '.' and '/' only"
        )
    return name


def list_stage_sql(loc: StageLocation) -> str:
    return f"LIST {loc.sql}"


def describe_stage_sql(loc: StageLocation) -> str:
    return f"DESC STAGE {quote_table(loc.name)}"


def stage_url(desc_rows: Iterable[tuple[Any, ...]]) -> str | None:
    """The URL of an external stage from ``DESC STAGE`` rows (None for an internal stage)."""
    import json

    for row in desc_rows:
        if len(row) >= 4 and str(row[1]).upper() == "URL" and row[3]:
            value = str(row[3])
            try:
                parsed = json.loads(value)
                value = parsed[0] if isinstance(parsed, list) and parsed else str(parsed)
            except ValueError:
                pass
            value = value.strip()
            if value:
                return value if value.endswith("/") else value + "/"
    return None


def staged_files(rows: Iterable[dict[str, Any]], loc: StageLocation, url: str | None
                 ) -> list[StagedFile]:
    """Files under ``loc`` from LIST rows, named relative to ``loc`` (what FILES takes).

    LIST names an internal stage's files ``<stage>/<path>`` (stage in lower case) and an
    external stage's by full URL (``s3://bucket/prefix/<path>``), which ``url`` strips.
    """
    out: list[StagedFile] = []
    for r in rows:
        name = str(r.get("name") or "")
        if not name or name.endswith("/"):
            continue
        if url is not None and "://" in name:
            if not name.lower().startswith(url.lower()):
                continue
            rel = name[len(url):]
        else:
            rel = name.partition("/")[2]
        if not rel.startswith(loc.path):
            continue
        rel = rel[len(loc.path):]
        if rel:
            out.append(StagedFile(rel, int(r.get("size") or 0),
                                  str(r["last_modified"]) if r.get("last_modified") else None,
                                  str(r["md5"]) if r.get("md5") else None))
    return sorted(out, key=lambda f: f.name)


def named_format(name: str) -> str:
    """A named FILE FORMAT as the text ``FILE_FORMAT => '…'`` and ``FORMAT_NAME='…'`` take."""
    try:
        quote_table(TableRef(name))
    except WarehouseError:
        raise WarehouseError(
            f"invalid file format name {name!r}: use FORMAT, SCHEMA.FORMAT or DB.SCHEMA.FORMAT"
        ) from None
    return ".".join(normalize(p) for p in name.split("."))


def temp_format_name(fmt: FileFormatSpec) -> str:
    """A deterministic name for the session's temporary file format built from ``fmt``."""
    import hashlib

    digest = hashlib.sha256(file_format_sql(fmt).encode()).hexdigest()[:12].upper()
    return f"SNOWETL_FMT_{digest}"


def create_temp_format_sql(fmt: FileFormatSpec) -> str:
    """``CREATE TEMPORARY FILE FORMAT`` with the options our own COPY uses for ``fmt``."""
    options = file_format_sql(fmt).removeprefix("FILE_FORMAT=(").removesuffix(")")
    return (f"CREATE TEMPORARY FILE FORMAT IF NOT EXISTS {quote(temp_format_name(fmt))} "
            f"{options}")


def staged_pattern(files: Iterable[str]) -> str:
    """A PATTERN matching exactly ``files`` (names relative to the listed location)."""
    names = [check_staged_file(f).replace(".", "[.]") for f in files]
    if not names:
        raise WarehouseError("no staged files given")
    return "(.*/)?(" + "|".join(names) + ")"


def staged_select_sql(loc: StageLocation, files: Iterable[str], format_name: str,
                      ncols: int) -> str:
    """The staged files as text rows: ``"__FILE"`` and ``"C0"`` … ``"C<n-1>"``."""
    cols = ", ".join(f'${i + 1} AS "C{i}"' for i in range(ncols))
    return (
        f'SELECT METADATA$FILENAME AS "__FILE", {cols} FROM {loc.sql} '
        f"(FILE_FORMAT => {string_literal(named_format(format_name))}, "
        f"PATTERN => {string_literal(staged_pattern(files))})"
    )


def _is_null(raw: str, fmt: FileFormatSpec) -> str:
    values = ", ".join(string_literal(v) for v in fmt.null_values)
    return f"({raw} IS NULL OR {raw} IN ({values}))" if values else f"({raw} IS NULL)"


def _date_expr(raw: str, fmt: FileFormatSpec) -> str:
    pattern = snowflake_date_format(fmt.date_format or "%Y-%m-%d")
    return (f"CASE WHEN {_is_null(raw, fmt)} THEN NULL "
            f"ELSE TRY_TO_DATE({raw}, {string_literal(pattern)}) END")


def typed_column_sql(raw: str, col: ColumnDef, fmt: FileFormatSpec) -> str:
    """A text column as its declared type (NULL where it is not of that type)."""
    if col.name == fmt.date_column:
        return _date_expr(raw, fmt)
    return (f"CASE WHEN {_is_null(raw, fmt)} THEN NULL "
            f"ELSE TRY_CAST({raw} AS {snowflake_type(col.type)}) END")


def _type_error(raw: str, col: ColumnDef, fmt: FileFormatSpec) -> str:
    t = col.type.upper()
    if col.name == fmt.date_column or t == "VARCHAR":
        return "0"
    if t.startswith("VARCHAR("):
        bad = f"LENGTH({raw}) > {int(t[8:-1])}"
    else:
        bad = f"TRY_CAST({raw} AS {snowflake_type(col.type)}) IS NULL"
    return f"CASE WHEN NOT {_is_null(raw, fmt)} AND {bad} THEN 1 ELSE 0 END"


def staged_profile_sql(staged: str, columns: list[ColumnDef], fmt: FileFormatSpec) -> str:
    """One pass over the staged rows ``staged`` (from :func:`staged_select_sql`): per file and
    day the rows, unparseable dates, and per column type errors and NULL violations."""
    names = [c.name for c in columns]
    d = f'"C{names.index(fmt.date_column)}"' if fmt.date_column in names else None
    bad_date = f"NOT {_is_null(d, fmt)} AND {_date_expr(d, fmt)} IS NULL" if d else "FALSE"
    exprs = ['"__FILE" AS F', f"{_date_expr(d, fmt) if d else 'NULL'} AS D",
             f"CASE WHEN {bad_date} THEN 1 ELSE 0 END AS BD"]
    sums = ["COUNT(*) AS N", "SUM(BD) AS BD"]
    for i, c in enumerate(columns):
        raw = f'"C{i}"'
        exprs.append(f"{_type_error(raw, c, fmt)} AS TE{i}")
        exprs.append(f"CASE WHEN {_is_null(raw, fmt)} THEN 1 ELSE 0 END AS NN{i}"
                     if not c.nullable else f"0 AS NN{i}")
        sums += [f"SUM(TE{i}) AS TE{i}", f"SUM(NN{i}) AS NN{i}"]
    return (f"SELECT F, D, {', '.join(sums)} FROM (SELECT {', '.join(exprs)} FROM ({staged}) "
            "AS R) AS G GROUP BY F, D ORDER BY F, D")


def bad_dates_sql(staged: str, columns: list[ColumnDef], fmt: FileFormatSpec,
                  limit: int = 20) -> str | None:
    """Distinct date values that do not parse (examples for the report)."""
    names = [c.name for c in columns]
    if fmt.date_column not in names:
        return None
    d = f'"C{names.index(fmt.date_column)}"'
    return (f"SELECT DISTINCT {d} AS V FROM ({staged}) AS R WHERE NOT {_is_null(d, fmt)} AND "
            f"{_date_expr(d, fmt)} IS NULL ORDER BY 1 LIMIT {int(limit)}")


def staged_data_sql(staged: str, columns: list[ColumnDef], fmt: FileFormatSpec, *,
                    typed: bool) -> str:
    """The staged rows with the configured column names: typed (the ``data`` of rules) or
    as text (duplicate keys, compared as written in the files)."""
    exprs = []
    for i, c in enumerate(columns):
        raw = f'"C{i}"'
        exprs.append(f"{typed_column_sql(raw, c, fmt) if typed else raw} AS {quote(c.name)}")
    return f"SELECT {', '.join(exprs)} FROM ({staged}) AS R"


def table_period_sql(table: TableRef, date_column: str) -> str:
    """The rows of one period of a table (bounds bound as ``%s`` parameters)."""
    return (f"SELECT * FROM {quote_table(table)} "
            f"WHERE {quote(date_column)} BETWEEN %s AND %s")


def stage_copy_statements(table: TableRef, loc: StageLocation, files: list[str],
                          format_name: str, *, force: bool = False) -> list[str]:
    """COPY of staged files by explicit name, at most 1000 per statement, so nothing else in
    the folder (a file staged later, a marker) is ever loaded."""
    if not files:
        raise WarehouseError(f"COPY into {table.name}: no staged files to copy")
    names = [check_staged_file(f) for f in files]
    if len(set(names)) != len(names):
        raise WarehouseError(f"COPY into {table.name}: duplicate staged file names")
    fmt = f"FILE_FORMAT=(FORMAT_NAME={string_literal(named_format(format_name))})"
    out = []
    for i in range(0, len(names), MAX_FILES_PER_COPY):
        listed = ", ".join(string_literal(n) for n in names[i:i + MAX_FILES_PER_COPY])
        sql = (f"COPY INTO {quote_table(table)} FROM {loc.sql} FILES=({listed}) {fmt} "
               "ON_ERROR=ABORT_STATEMENT")
        out.append(sql + (" FORCE=TRUE" if force else ""))
    return out
