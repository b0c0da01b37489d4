"""The period checks of file validation, computed by the warehouse, reported the same way.

A file too big to pull to this box (an external stage on S3, a month already in a table) is
still checked before anyone relies on it: the warehouse counts rows per day, finds duplicate
keys and evaluates the custom rules with SQL, and this module turns those few numbers into the
same :class:`~snowetl_tui.validate.report.Report` that file validation writes — same check
names, same wording, same verdict rules — so an operator, a script reading ``--json`` or the
TUI need not know where the checks ran.

The checks, by source:

* rows already in a table (one period): ``rows``, ``dates``, ``period``, ``calendar``,
  ``unexpected_days``, ``anomalies``, ``duplicates``, ``rule:*``;
* staged files read through a file format: the same plus ``types`` and ``not_null``, and
  ``field_count`` where the warehouse can count rows with the wrong number of fields (the local
  target can; Snowflake's queries pad or cut such rows, and its COPY stops on them instead).

Byte-level checks (encoding, BOM, NUL bytes, line endings, header) need the bytes and stay with
file validation. Nothing here talks to a warehouse: ``load.stage_load`` collects the
:class:`WarehouseFacts` through the adapters and calls :func:`build_report` (validate and
warehouse do not know each other). ``load.period_check`` is the TUI's quick look at a loaded
period against the ledger; this is the full report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from snowetl_tui.config.loader import Entry
from snowetl_tui.config.patterns import Period
from snowetl_tui.errors import InputError
from snowetl_tui.validate.kernel import KernelSpec
from snowetl_tui.validate.report import Check, Example, Report
from snowetl_tui.validate.rules import check_rule_sql
from snowetl_tui.validate.runner import (
    MAX_EXAMPLES,
    aggregate_rule_check,
    period_checks,
    row_rule_check,
)


@dataclass
class KeyDuplicates:
    """Duplicate keys as the warehouse counted them; ``groups`` = (key values, rows)."""

    keys: int
    excess_rows: int
    groups: list[tuple[tuple[str, ...], int]] = field(default_factory=list)


@dataclass
class WarehouseFacts:
    """The numbers a warehouse returned about one period's rows (or one set of staged files)."""

    source: str  # what was checked, shown as the report's "file": "TABLE on target", "@STAGE/p/"
    kind: Literal["table", "stage"]
    target: str
    per_day: dict[date, int]
    rows: int
    bytes: int = 0
    files: dict[str, int] = field(default_factory=dict)  # staged: rows per file
    bad_dates: int = 0
    bad_date_examples: list[str] = field(default_factory=list)
    type_errors: dict[str, int] = field(default_factory=dict)
    null_violations: dict[str, int] = field(default_factory=dict)
    rejected: int | None = None  # rows with the wrong number of fields; None = not countable
    rejected_examples: list[tuple[str, int, str]] = field(default_factory=list)
    duplicates: KeyDuplicates | None = None
    rule_values: dict[str, float | None] = field(default_factory=dict)
    rule_violations: dict[str, int] = field(default_factory=dict)
    file_format: str | None = None


def column_specs(entry: Entry, where: str) -> list[tuple[str, str, bool]]:
    """(name, canonical type, nullable) of the entry's columns; staged files cannot be sniffed
    from here, so a config without ``columns`` or ``expected_columns`` is an error."""
    spec = entry.spec
    if spec.columns is not None:
        return [(c.name, c.type, c.nullable) for c in spec.columns]
    if spec.expected_columns is not None:
        return [(n, "VARCHAR", True) for n in spec.expected_columns]
    raise InputError(f"{where}: {entry.json_path} has neither columns nor expected_columns; "
                     "checks inside the warehouse need the column list")


def kernel_spec(entry: Entry, where: str) -> KernelSpec:
    """A kernel spec of the entry's columns: only what compiling a rule needs."""
    cols = column_specs(entry, where)
    names = [c[0] for c in cols]
    spec = entry.spec
    return KernelSpec(
        delimiter=b"\t", quote=None, ncols=len(cols), column_names=tuple(names),
        column_types=tuple(c[1] for c in cols), nullable=tuple(c[2] for c in cols),
        null_values=tuple(v.encode() for v in (spec.null_values if spec.null_values is not None
                                              else [""])),
        date_index=names.index(spec.date_column) if spec.date_column in names else None,
        date_format=spec.date_format or "%Y-%m-%d", key_indices=(),
    )


def check_rules_compile(entry: Entry, where: str) -> None:
    """Rules are written for the kernel's DuckDB view ``data``; compile them first, so a typo
    is reported as the same one-line config error as in file validation, before any query."""
    if not entry.spec.rules:
        return
    kspec = kernel_spec(entry, where)
    for k, rule in enumerate(entry.spec.rules):
        error = check_rule_sql(kspec, rule.sql, rule.kind)
        if error:
            raise InputError(f"{where}: {entry.json_path}.rules[{k}].sql: rule '{rule.name}' "
                             f"does not compile: {error}")


def build_report(
    facts: WarehouseFacts,
    entry: Entry,
    period: Period | None,
    *,
    config_display: str | None,
    seconds: float,
) -> Report:
    """The report of a validation inside the warehouse, worded like file validation."""
    spec = entry.spec
    checks: list[Check] = []
    where = "in the staged files" if facts.kind == "stage" else (
        f"of {spec.table_name} for {period.label()}" if period else f"in {spec.table_name}")
    if facts.rows == 0:
        checks.append(Check("rows", "FAIL", 0, f"no data rows {where}"))
    else:
        checks.append(Check("rows", "PASS", facts.rows, f"{facts.rows:,} data rows {where}"))
    if facts.kind == "stage":
        checks.extend(_staged_structure(facts, spec.column_names or []))
    checks.extend(_date_checks(facts, entry, period))
    if spec.duplicate_key_columns and facts.duplicates is not None:
        checks.append(_duplicates(facts.duplicates, spec.duplicate_key_columns))
    for rule in spec.rules:
        if rule.kind == "row":
            checks.append(row_rule_check(rule.name, rule.sql, rule.severity,
                                         facts.rule_violations.get(rule.name, 0)))
        else:
            checks.append(aggregate_rule_check(rule.name, rule.sql, rule.severity, rule.min,
                                               rule.max, facts.rule_values.get(rule.name)))
    return Report(
        file=facts.source,
        config=config_display,
        table=spec.table_name,
        period_start=period.start.isoformat() if period else None,
        period_end=period.end.isoformat() if period else None,
        rows=facts.rows,
        bytes=facts.bytes,
        seconds=seconds,
        sha256="",
        checks=checks,
        per_day={d.isoformat(): n for d, n in sorted(facts.per_day.items())},
        format={
            "checked_in": "warehouse",
            "source": facts.kind,
            "target": facts.target,
            "files": len(facts.files) if facts.kind == "stage" else None,
            "file_format": facts.file_format,
        },
        columns=list(spec.column_names or []),
    )


def _staged_structure(facts: WarehouseFacts, names: list[str]) -> list[Check]:
    out: list[Check] = []
    if facts.rejected is not None:
        bad = facts.rejected
        out.append(Check(
            "field_count", "FAIL", bad,
            f"{bad:,} {'row does' if bad == 1 else 'rows do'} not have {len(names)} fields",
            [Example(line=line, value=file, detail=msg)
             for file, line, msg in facts.rejected_examples[:MAX_EXAMPLES]],
        ) if bad else Check("field_count", "PASS", 0, f"every row has {len(names)} fields"))
    types = {c: n for c, n in facts.type_errors.items() if n}
    if types:
        per_col = ", ".join(f"{c}: {n:,}" for c, n in types.items())
        out.append(Check("types", "FAIL", sum(types.values()),
                         f"values not of the declared type — {per_col}",
                         data={"per_column": types}))
    else:
        out.append(Check("types", "PASS", 0, "every value has its declared type"))
    nulls = {c: n for c, n in facts.null_violations.items() if n}
    if nulls:
        per_col = ", ".join(f"{c}: {n:,}" for c, n in nulls.items())
        out.append(Check("not_null", "FAIL", sum(nulls.values()),
                         f"NULL in NOT NULL columns — {per_col}", data={"per_column": nulls}))
    else:
        out.append(Check("not_null", "PASS", 0, "no NULL in NOT NULL columns"))
    return out


def _date_checks(facts: WarehouseFacts, entry: Entry, period: Period | None) -> list[Check]:
    spec = entry.spec
    col = spec.date_column
    if col is None:
        return [Check("dates", "PASS", 0, "no date column configured: period checks skipped")]
    out: list[Check] = []
    fmt = spec.date_format or "%Y-%m-%d"
    if facts.kind == "stage":
        bad = facts.bad_dates
        out.append(Check(
            "dates", "FAIL", bad, f"{bad:,} values of {col} do not parse as {fmt}",
            [Example(value=v) for v in facts.bad_date_examples[:MAX_EXAMPLES]],
        ) if bad else Check("dates", "PASS", 0, f"every {col} parses as {fmt}"))
    else:
        out.append(Check("dates", "PASS", 0, f"rows selected by {col} in {spec.table_name}"))
    checks = period_checks(period, entry, facts.per_day)
    if facts.kind == "table" and period is not None:
        # the table holds other periods too: only this period's rows were read
        checks = [Check("period", "PASS", 0, f"only rows of {period.label()} were checked")
                  if c.name == "period" else c for c in checks]
    out.extend(checks)
    return out


def _duplicates(dups: KeyDuplicates, key_columns: list[str]) -> Check:
    keycols = ", ".join(key_columns)
    if not dups.keys:
        return Check("duplicates", "PASS", 0, f"no duplicate keys ({keycols})")
    return Check(
        "duplicates", "FAIL", dups.excess_rows,
        f"{dups.keys:,} duplicate keys ({keycols}), {dups.excess_rows:,} excess rows",
        [Example(value=" | ".join(key), detail=f"{n} rows") for key, n in dups.groups],
        data={"duplicate_keys": dups.keys, "excess_rows": dups.excess_rows,
              "key_columns": list(key_columns)},
    )
