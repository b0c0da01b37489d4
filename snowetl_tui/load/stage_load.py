"""Validation inside the warehouse, and loading files that already sit in a stage.

Two things a file on this box does not cover:

* **rows already in a table** — ``validate --in-warehouse --table T --period P`` runs the
  period checks (row count, per-day counts against the calendar, anomalies, duplicate keys,
  custom rules) as SQL where the rows are;
* **files already staged** (an internal stage, or an external one on S3/GCS/Azure; locally, a
  directory read in place) — ``validate @STAGE/path/`` and ``load @STAGE/path/ --config C``:
  list them, match their names to the config (table and period), check them with SQL reading
  the staged files through a file format, and COPY them by explicit name (at most 1000 per
  statement), so nothing is pulled to this box. A file too big to download is still checked
  before COPY.

A stage load goes through the same ledger, the same exactly-once refusal, the same COPY polling
and re-attach and the same reconciliation (rows validated = parsed = loaded, per-day counts,
no duplicate keys after the load) as a file load: :class:`StageLoader` is a :class:`Loader`
that replaces only the read step (validation in the warehouse instead of the chunk pool) and
the clean-up (the staged files are the operator's and stay where they are). An entry with
``warehouse_checks: true`` gets :func:`check_table_period` on the loaded period at the reconcile
step, as a file load does (``Loader._finish_after_copy``), and an entry's ``stage_file_format``
names the Snowflake file format its staged files are read and copied through when
``--file-format`` is not given (:func:`stage_format_name`).

This module composes ``validate.in_warehouse`` (the report) with the warehouse adapters (the
queries); ``load.period_check`` is the Tables view's quick look at a loaded period against the
ledger (counts, missing days, duplicates), and this is the full report behind it.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snowetl_tui.config.loader import Entry
from snowetl_tui.config.patterns import Period, period_option
from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.data.sniff import sniff_file
from snowetl_tui.errors import InputError, SnowetlError
from snowetl_tui.load.pipeline import (
    Loader,
    LoadFailed,
    LoadOptions,
    LoadResult,
    Refused,
    default_warehouse_factory,
    require_period_for_warehouse_checks,
)
from snowetl_tui.validate.in_warehouse import (
    KeyDuplicates,
    WarehouseFacts,
    build_report,
    check_rules_compile,
    column_specs,
)
from snowetl_tui.validate.report import Report
from snowetl_tui.warehouse.base import (
    ColumnDef,
    FileFormatSpec,
    PartToCopy,
    RowSource,
    StagedFile,
    StagedRows,
    StageWarehouse,
    TableRef,
    TableRows,
    Warehouse,
    WarehouseError,
)
from snowetl_tui.workspace import Workspace

STAGE_MARK = "@"
#: ``Loader._finish_after_copy`` takes the file's plan but reads nothing of it after a COPY.
_NO_PLAN: Any = None


def is_stage(argument: str) -> bool:
    """``@STAGE/path/`` (or, on the local target, ``@DIRECTORY``) rather than a file."""
    return argument.startswith(STAGE_MARK)


@dataclass
class StageGroup:
    """Staged files that go to one table for one period: one load, one report."""

    entry: Entry
    period: Period | None
    files: list[StagedFile]
    config_display: str | None


@dataclass
class _StagePlan:
    """What :meth:`Loader._ensure_table` reads of a plan (no file was sniffed here)."""

    names: list[str]
    config_display: str | None


# -- resolving arguments ------------------------------------------------------------------------
def single_target(registry: ConfigRegistry, target: str | None, what: str) -> str:
    """``--target``, or the one target all entries share (a stage must be listed somewhere
    before its files can be matched to entries)."""
    if target:
        return target
    targets = sorted({e.target for e in registry.entries})
    if len(targets) != 1:
        raise InputError(f"{what}: the configs name {len(targets)} targets "
                         f"({', '.join(targets) or 'none'}); pass --target")
    return targets[0]


def table_entry(registry: ConfigRegistry, table: str, target: str | None) -> Entry:
    """The config entry that loads ``table`` (its calendar, keys and rules are the checks)."""
    found = registry.entries_for_table(table, target)
    if not found:
        on = f" on {target}" if target else ""
        raise InputError(f"--table {table}: no config loads this table{on}; the checks come "
                         "from its config entry (calendar, keys, rules)")
    return found[0]


def group_staged(registry: ConfigRegistry, files: list[StagedFile], shown: str,
                 period_text: str | None = None) -> list[StageGroup]:
    """Match staged file names to config entries and periods, one group per (entry, period).

    With ``period_text`` (files named ``part-0001.csv.gz`` carry no period), every file goes to
    that period of the only entry of the config. A file that matches nothing is an error
    naming it, never a silent skip.
    """
    if period_text is not None:
        period = period_option(period_text)
        if len(registry.entries) != 1:
            raise InputError(f"--period: the configs hold {len(registry.entries)} entries; "
                             "pass --config with the one entry these files belong to")
        entry = registry.entries[0]
        return [StageGroup(entry, period, list(files), registry.display(entry))]
    groups: dict[tuple[str, int, Period | None], StageGroup] = {}
    unmatched: list[str] = []
    for f in files:
        m = registry.match(f.name)
        if m.entry is None:
            unmatched.append(f.name)
            continue
        key = (str(m.entry.config_path), m.entry.index, m.period)
        groups.setdefault(key, StageGroup(m.entry, m.period, [], m.config_display))
        groups[key].files.append(f)
    if unmatched:
        shown_names = ", ".join(unmatched[:5]) + (f" and {len(unmatched) - 5} more"
                                                  if len(unmatched) > 5 else "")
        raise InputError(f"{shown}: {len(unmatched)} staged file(s) match no config entry: "
                         f"{shown_names}; pass --period for files whose names carry none")
    return list(groups.values())


def _stage_warehouse(wh: Warehouse, shown: str) -> StageWarehouse:
    if not isinstance(wh, StageWarehouse):
        raise InputError(f"{shown}: target {wh.name} cannot read staged files")
    return wh


def stage_location(wh: Warehouse, location: str) -> str:
    """What follows ``@``: kept for Snowflake, an absolute directory for the local target."""
    text = location.removeprefix(STAGE_MARK)
    if not wh.capabilities.needs_staging:
        return str(Path(text).expanduser().resolve())
    return text


# -- facts from the warehouse --------------------------------------------------------------------
def _columns(entry: Entry, where: str) -> list[ColumnDef]:
    return [ColumnDef(n, t, nullable) for n, t, nullable in column_specs(entry, where)]


def stage_format_name(wh: Warehouse, entry: Entry, file_format: str | None) -> str | None:
    """The named file format staged files of ``entry`` are read and copied through:
    ``--file-format``, else the entry's ``stage_file_format``, else None (a temporary format
    built from the entry). The config's name is a Snowflake object: the local target reads a
    directory in place and sniffs the files, so there it is not used."""
    if file_format is not None:
        return file_format
    return entry.spec.stage_file_format if wh.capabilities.needs_staging else None


def staged_format(wh: Warehouse, location: str, files: list[StagedFile], entry: Entry,
                  where: str, file_format: str | None) -> FileFormatSpec:
    """How the staged files are parsed: locally sniffed from the first file, like a file on
    disk; on Snowflake from the config (a remote file cannot be sniffed from here)."""
    spec = entry.spec
    nulls = tuple(spec.null_values if spec.null_values is not None else [""])
    if not wh.capabilities.needs_staging:
        sniffed = sniff_file(Path(location) / files[0].name, spec)
        return FileFormatSpec(sniffed.delimiter, sniffed.quote, 1 if sniffed.header else 0,
                              nulls, spec.date_format, sniffed.encoding, spec.date_column)
    if file_format is None and (spec.delimiter is None or spec.header is None):
        raise InputError(
            f"{where}: {entry.json_path} gives no delimiter or header, and staged files cannot "
            "be sniffed from here; set both (or stage_file_format) in the config, or pass "
            "--file-format NAME"
        )
    return FileFormatSpec(spec.delimiter or "\t", spec.effective_quote,
                          1 if spec.header in (True, None) else 0, nulls, spec.date_format,
                          spec.encoding or "utf-8", spec.date_column)


def _rules(wh: StageWarehouse, src: RowSource, columns: list[ColumnDef], entry: Entry,
           facts: WarehouseFacts) -> None:
    for rule in entry.spec.rules:
        if rule.kind == "row":
            facts.rule_violations[rule.name] = wh.rule_violations(src, columns, rule.sql)
        else:
            facts.rule_values[rule.name] = wh.rule_value(src, columns, rule.sql)


def _duplicates(wh: StageWarehouse, src: RowSource, columns: list[ColumnDef], entry: Entry
                ) -> KeyDuplicates | None:
    keys = entry.spec.duplicate_key_columns
    if not keys:
        return None
    found = wh.duplicate_facts(src, columns, keys)
    return KeyDuplicates(found.keys, found.excess_rows, found.groups)


def check_table_period(wh: Warehouse, entry: Entry, period: Period, *,
                       config_display: str | None) -> Report:
    """The period checks over the rows of ``period`` already in the entry's table."""
    started = time.monotonic()
    sw = _stage_warehouse(wh, entry.table)
    where = config_display or str(entry.config_path)
    date_column = entry.spec.date_column
    if date_column is None:
        raise InputError(f"{where}: {entry.json_path} has no date_column: a period of "
                         f"{entry.table} cannot be selected")
    check_rules_compile(entry, where)
    table = TableRef(entry.table)
    if sw.table_columns(table) is None:
        raise InputError(f"table {entry.table} does not exist on {wh.name}")
    per_day = sw.count_per_day(table, date_column, period.start, period.end)
    src = TableRows(table, date_column, period.start, period.end)
    columns = _columns(entry, where)
    facts = WarehouseFacts(f"{entry.table} on {wh.name}", "table", wh.name, per_day,
                           sum(per_day.values()))
    facts.duplicates = _duplicates(sw, src, columns, entry)
    _rules(sw, src, columns, entry, facts)
    return build_report(facts, entry, period, config_display=config_display,
                        seconds=time.monotonic() - started)


def check_staged(wh: Warehouse, location: str, group: StageGroup, *, file_format: str | None
                 ) -> tuple[Report, StagedRows, dict[str, int]]:
    """The checks over staged files, read in place by the warehouse; also returns the row
    source (for the COPY, which reads through the same file format) and the rows of each file
    (for reconciliation). ``file_format`` is ``--file-format``; without it the entry's
    ``stage_file_format`` applies (:func:`stage_format_name`)."""
    started = time.monotonic()
    sw = _stage_warehouse(wh, f"@{location}")
    entry = group.entry
    where = group.config_display or str(entry.config_path)
    check_rules_compile(entry, where)
    columns = _columns(entry, where)
    file_format = stage_format_name(wh, entry, file_format)
    fmt = staged_format(wh, location, group.files, entry, where, file_format)
    src = StagedRows(location, tuple(f.name for f in group.files), fmt, file_format)
    profile = sw.profile_staged(src, columns)
    names = [c.name for c in columns]
    per_day: dict = defaultdict(int)
    per_file: dict[str, int] = {f.name: 0 for f in group.files}
    types: dict[str, int] = defaultdict(int)
    nulls: dict[str, int] = defaultdict(int)
    bad_dates = 0
    for g in profile.groups:
        per_file[g.file] = per_file.get(g.file, 0) + g.rows
        if g.day is not None:
            per_day[g.day] += g.rows
        bad_dates += g.bad_dates
        for name, te, nn in zip(names, g.type_errors, g.nulls, strict=True):
            types[name] += te
            nulls[name] += nn
    facts = WarehouseFacts(
        f"{STAGE_MARK}{location}", "stage", wh.name, dict(per_day), sum(per_file.values()),
        bytes=sum(f.size for f in group.files), files=per_file, bad_dates=bad_dates,
        bad_date_examples=profile.bad_date_examples, type_errors=dict(types),
        null_violations=dict(nulls), rejected=profile.rejected,
        rejected_examples=profile.rejected_examples, file_format=file_format,
    )
    facts.duplicates = _duplicates(sw, src, columns, entry)
    _rules(sw, src, columns, entry, facts)
    report = build_report(facts, entry, group.period, config_display=group.config_display,
                          seconds=time.monotonic() - started)
    return report, src, per_file


def list_staged_files(wh: Warehouse, location: str, shown: str) -> list[StagedFile]:
    """The stage's files; a stage that does not exist (or is empty) is an input error."""
    try:
        files = _stage_warehouse(wh, shown).list_stage(location)
    except WarehouseError as exc:
        if exc.transient:
            raise
        raise InputError(str(exc)) from None
    if not files:
        raise InputError(f"{shown}: no files in the stage")
    return files


def validate_stage(ws: Workspace, registry: ConfigRegistry, argument: str, *,
                   target: str | None, file_format: str | None = None,
                   period_text: str | None = None) -> list[Report]:
    """``validate @STAGE/path/``: one report per (table, period) group of staged files."""
    target = single_target(registry, target, argument)
    wh = default_warehouse_factory(ws, registry)(target, registry.entries[0])
    try:
        location = stage_location(wh, argument)
        files = list_staged_files(wh, location, argument)
        return [check_staged(wh, location, g, file_format=file_format)[0]
                for g in group_staged(registry, files, argument, period_text)]
    finally:
        wh.close()


def validate_table(ws: Workspace, registry: ConfigRegistry, table: str, period_text: str, *,
                   target: str | None) -> Report:
    """``validate --in-warehouse --table T --period P``."""
    period = period_option(period_text)
    entry = table_entry(registry, table, target)
    wh = default_warehouse_factory(ws, registry)(target or entry.target, entry)
    try:
        return check_table_period(wh, entry, period, config_display=registry.display(entry))
    finally:
        wh.close()


# -- loading from a stage ----------------------------------------------------------------------
def staged_fingerprint(files: list[StagedFile]) -> tuple[int, str]:
    """(total size, hash of names, sizes, md5 and times): recognises the same staged files."""
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.name):
        h.update(f"{f.name}\t{f.size}\t{f.md5 or ''}\t{f.last_modified or ''}\n".encode())
    return sum(f.size for f in files), h.hexdigest()


class StageLoader(Loader):
    """Loads staged files: same ledger, refusal, COPY polling and reconciliation as a file."""

    def load_stage(self, argument: str, opts: LoadOptions | None = None, *,
                   file_format: str | None = None, period_text: str | None = None
                   ) -> list[LoadResult]:
        """List ``@STAGE/path/``, group its files by (table, period) and load each group.

        Input errors (unknown stage, unmatched files, no target) are raised before anything
        is loaded; each group's own failure is its result, as for files.
        """
        opts = opts or LoadOptions()
        target = single_target(self.registry, opts.target, argument)
        wh = self._connect(target, self.registry.entries[0], opts)
        try:
            location = stage_location(wh, argument)
            files = self._retry(lambda: list_staged_files(wh, location, argument))
            groups = group_staged(self.registry, files, argument, period_text)
            for g in groups:
                require_period_for_warehouse_checks(g.entry, g.period, argument,
                                                    g.config_display)
            return [self._load_group(wh, target, location, g, opts, file_format)
                    for g in groups]
        finally:
            wh.close()

    def _load_group(self, wh: Warehouse, target: str, location: str, group: StageGroup,
                    opts: LoadOptions, file_format: str | None) -> LoadResult:
        started = time.monotonic()
        entry, period, files = group.entry, group.period, group.files
        shown = f"{STAGE_MARK}{location.rstrip('/')}/" + (files[0].name if len(files) == 1
                                                          else "")
        result = LoadResult(shown, entry.table, target, "failed")
        steps: dict[str, float] = {}
        rec = None
        sw = _stage_warehouse(wh, shown)
        try:
            t0 = time.monotonic()
            self._step("plan")
            table = TableRef(entry.table)
            replace = opts.replace or entry.spec.load.mode == "replace_period"
            if replace and (period is None or entry.spec.date_column is None):
                raise InputError(f"{shown}: replacing needs a period and a date_column in "
                                 f"{group.config_display}")
            size, quick = staged_fingerprint(files)
            rec = self.ledger.unfinished(quick, size, target, entry.table)
            if rec is None and not opts.dry_run:
                self._refuse_if_loaded(Path(shown), target, entry, period, replace, quick=quick,
                                       size=size)
                name = files[0].name + (f" (+{len(files) - 1} files)" if len(files) > 1 else "")
                rec = self._start_load(opts, shown, name, size, 0, quick, target, entry, period,
                                       replace, {"stage": shown, "files": len(files)})
            elif rec is not None:
                self._say(f"resuming load {rec.load_id} (last durable step: {rec.state})")
            if rec is not None:
                result.load_id = rec.load_id
            steps["plan"] = time.monotonic() - t0
            if rec is not None and rec.state in ("copy_submitted", "copied") and rec.query_id:
                outcome = self._reattach(wh, rec)
                if outcome is not None:
                    return self._finish_after_copy(
                        wh, rec, _NO_PLAN, entry, period, table, outcome, result, steps,
                        started, report=None, replace=replace)
            columns = _columns(entry, group.config_display or str(entry.config_path))
            if not opts.dry_run:
                plan: Any = _StagePlan([c.name for c in columns], group.config_display)
                columns = self._ensure_table(wh, table, entry, plan)
            # -- validate where the files are ------------------------------------------------
            t0 = time.monotonic()
            self._step("validate")
            report, src, per_file = self._retry(
                lambda: check_staged(wh, location, group, file_format=file_format))
            steps["validate"] = time.monotonic() - t0
            if self._decide(report, result, opts):
                return result
            assert rec is not None
            self.ledger.update(rec.load_id, state="validated", rows_validated=report.rows)
            self._check_cancel()
            # -- copy by explicit name -------------------------------------------------------
            t0 = time.monotonic()
            self._step("copy")
            now = {f.name: f for f in self._retry(lambda: sw.list_stage(location))}
            changed = [f.name for f in files if now.get(f.name) != f]
            if changed:
                raise LoadFailed(f"{shown}: {', '.join(changed[:5])} changed in the stage after "
                                 "validation; nothing was loaded — run the load again")
            parts = [PartToCopy(f.name, Path(f.name), per_file.get(f.name, 0)) for f in files]
            replace_arg = ((entry.spec.date_column, period.start, period.end)
                           if replace and period and entry.spec.date_column else None)
            if not wh.capabilities.needs_staging:
                self.ledger.update(rec.load_id, state="copy_submitted", query_id=rec.load_id)
            query_id = self._retry(lambda: sw.submit_stage_copy(
                table, rec.load_id, src, parts, columns, replace=replace_arg))
            self.ledger.update(rec.load_id, state="copy_submitted", query_id=query_id)
            result.query_id = query_id
            outcome = self._wait(wh, query_id)
            steps["copy"] = time.monotonic() - t0
            result.parts = len(parts)
            return self._finish_after_copy(wh, rec, _NO_PLAN, entry, period, table, outcome,
                                           result, steps, started, report=report,
                                           replace=replace, parts=parts)
        except Refused as exc:
            return self._refused(result, rec, exc, {"stage": shown})
        except SnowetlError as exc:
            if isinstance(exc, InputError) and rec is None:
                raise  # nothing started: the caller reports a plain input error
            return self._failed(result, rec, exc, wh)
        finally:
            result.seconds = time.monotonic() - started
            result.steps = steps

    def _cleanup(self, wh: Warehouse, load_id: str) -> None:
        """Nothing was staged by us: the staged files are the operator's and stay."""
        shutil.rmtree(self.ws.spool_dir / load_id, ignore_errors=True)
