"""Deterministic, streaming generator of realistic demo extracts with known defects.

Why it exists: the demo workspace, the validation tests and the benchmarks all need large,
believable TSV/CSV files whose *truth* (row counts, per-day counts, missing days, duplicate keys,
ragged lines) is known exactly, so a validator's findings can be checked against it.

How it stays fast and small: rows are generated a block at a time (``BLOCK_ROWS``) as numpy
vectors, assembled into a ``pyarrow.Table`` and rendered by Arrow's C++ CSV writer on two
threads. No Python loop ever runs per row, so multi-GB files are written at ~150 MB/s on two
cores (benchmarks/gen_speed.py), and memory holds a few blocks (~140 MB peak RSS in all)
whatever the file size.

How it stays deterministic: every random stream is a ``numpy.random.PCG64`` seeded from a
``SeedSequence`` of (seed, domain, ...). Attributes of a *loan* (counterparty, product, principal
...) come from streams keyed by the loan's block only, so a loan looks the same on every day it
appears, like in a real daily book snapshot; values that move daily come from streams keyed by
(date, block). Nothing depends on wall-clock time, so the same seed and size give byte-identical
files (gzip headers carry mtime 0 and no file name for the same reason).
"""

from __future__ import annotations

import calendar
import functools
import json
import math
import os
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from numpy.typing import NDArray

from snowetl_tui.demo.schema import FACT_COLUMNS, ORDERS_COLUMNS, ColumnDef, arrow_schema
from snowetl_tui.errors import InputError

__all__ = [
    "BLOCK_ROWS",
    "DEMO_HOLIDAYS",
    "FACT_COLUMNS",
    "ORDERS_COLUMNS",
    "RAGGED_DROPPED_COLUMN",
    "ColumnDef",
    "DemoExistsError",
    "DemoManifest",
    "FileTruth",
    "business_days",
    "create_demo_workspace",
    "demo_config",
    "write_fact_file",
    "write_orders_file",
]

DEMO_HOLIDAYS: Final[list[str]] = ["2024-01-01", "2024-01-15", "2024-02-19", "2024-05-27"]
"""Holidays of the demo calendar (ISO dates); the demo config's `calendar.holidays` repeats them."""

BLOCK_ROWS: Final = 16_384
"""Rows generated per block (~5 MB of text). With a few blocks in flight this bounds memory:
measured ~140 MB peak RSS however large the file; 50k-row blocks were no faster, ~60 MB bigger."""

RAGGED_DROPPED_COLUMN: Final = "SPREAD_BPS"
"""The field removed from a ragged row. It sits mid-row, so BUSINESS_DATE and LOAN_ID survive."""

AVG_FACT_ROW_BYTES: Final = 313
"""Measured mean length of a fact row incl. its newline; turns a size in MB into rows per day."""

_MB: Final = 1_000_000
_COMPRESSIONS: Final = ("gzip", "zstd")
_GZIP_LEVEL: Final = 1  # isal: ~330 MB/s, vs ~300 at level 2 and ~13 for zlib level 6
_ZSTD_LEVEL: Final = 3
_RENDER_DEPTH: Final = 4  # rendered pieces in flight: enough to keep 2 workers busy

# Seed-sequence domains keep the streams for different purposes independent of each other.
_LOAN_DOMAIN: Final = 1
_DAY_DOMAIN: Final = 2
_SIZE_DOMAIN: Final = 3
_DEFECT_DOMAIN: Final = 4
_ORDERS_DOMAIN: Final = 5

_EPOCH: Final = date(1970, 1, 1)
_ANCHOR_DAYS: Final = (date(2023, 12, 31) - _EPOCH).days  # latest origination date of the book
_DAYS_PER_MONTH: Final = 30.4375

_FACT_SCHEMA: Final = arrow_schema(FACT_COLUMNS)
_ORDERS_SCHEMA: Final = arrow_schema(ORDERS_COLUMNS)
_TSV_OPTIONS: Final = pacsv.WriteOptions(
    include_header=False, delimiter="\t", quoting_style="none", batch_size=8192
)
_CSV_OPTIONS: Final = pacsv.WriteOptions(
    include_header=False, delimiter=",", quoting_style="needed"
)


# --------------------------------------------------------------------------------------------
# Reference data. Kept small and plausible; every string is free of tab, newline and quote.
# --------------------------------------------------------------------------------------------

# (country, currency, legal entity, reference rate, weight, local units per USD)
_LOCATIONS: Final[list[tuple[str, str, str, str, float, float]]] = [
    ("US", "USD", "LE_US_NA", "SOFR", 30, 1.0),
    ("GB", "GBP", "LE_UK_PLC", "SONIA", 15, 0.79),
    ("DE", "EUR", "LE_DE_AG", "EURIBOR_3M", 12, 0.92),
    ("FR", "EUR", "LE_FR_SA", "EURIBOR_3M", 10, 0.92),
    ("NL", "EUR", "LE_NL_BV", "EURIBOR_6M", 5, 0.92),
    ("IE", "EUR", "LE_IE_DAC", "EURIBOR_3M", 3, 0.92),
    ("CH", "CHF", "LE_CH_AG", "SARON", 5, 0.88),
    ("JP", "JPY", "LE_JP_KK", "TONA", 6, 148.0),
    ("SG", "SGD", "LE_SG_PTE", "SORA", 5, 1.34),
    ("CA", "CAD", "LE_CA_LTD", "CORRA", 5, 1.35),
    ("AU", "AUD", "LE_AU_PTY", "BBSW_3M", 4, 1.52),
]
_REF_RATE_LEVEL: Final[dict[str, float]] = {
    "SOFR": 0.0531, "SONIA": 0.0520, "EURIBOR_3M": 0.0392, "EURIBOR_6M": 0.0386,
    "SARON": 0.0170, "TONA": 0.0005, "SORA": 0.0365, "CORRA": 0.0500, "BBSW_3M": 0.0435,
}  # fmt: skip

# (product, weight, term options in months, P(floating), P(secured), amortised share, median USD)
_PRODUCTS: Final[list[tuple[str, float, tuple[int, int, int], float, float, float, float]]] = [
    ("TERM_LOAN", 30, (36, 60, 84), 0.70, 0.85, 0.6, 2_000_000),
    ("REVOLVING_CREDIT", 20, (12, 36, 60), 1.00, 0.80, 0.0, 5_000_000),
    ("COMMERCIAL_MORTGAGE", 15, (60, 120, 180), 0.60, 1.00, 0.8, 8_000_000),
    ("RESIDENTIAL_MORTGAGE", 15, (240, 300, 360), 0.30, 1.00, 1.0, 350_000),
    ("TRADE_FINANCE", 8, (12, 12, 24), 0.90, 0.85, 0.0, 1_000_000),
    ("EQUIPMENT_LEASE", 7, (36, 48, 60), 0.10, 1.00, 1.0, 500_000),
    ("BRIDGE_LOAN", 5, (12, 18, 24), 0.90, 0.85, 0.0, 15_000_000),
]
_REVOLVER: Final = 1
_RESI_MORTGAGE: Final = 3
_MORTGAGES: Final = (2, 3)
_TRADE: Final = 4
_LEASE: Final = 5

_RATINGS: Final = [
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-",
    "BB+", "BB", "BB-", "B+", "B", "B-", "CCC+", "CCC", "CC",
]  # fmt: skip
_RATING_WEIGHTS: Final = np.array(
    [1, 2, 3, 4, 5, 7, 8, 10, 11, 11, 9, 8, 6, 5, 4, 3, 2, 1, 0.5], dtype=np.float64
)
_RATING_PD: Final = np.array(
    [0.0001, 0.0002, 0.0003, 0.0004, 0.0005, 0.0006, 0.0008, 0.0012, 0.0017, 0.0025,
     0.0045, 0.0075, 0.0120, 0.0200, 0.0330, 0.0550, 0.1000, 0.1800, 0.2800],
    dtype=np.float64,
)  # fmt: skip
_STAGE2_RATING: Final = _RATINGS.index("B+")
_AGENCIES: Final = ["SP", "MOODYS", "FITCH", "INTERNAL"]
_SECTORS: Final = [
    "A01", "C10", "C20", "C25", "C28", "C29", "D35", "F41", "F42", "G46", "G47", "H49",
    "H52", "I55", "J61", "J62", "K64", "K65", "L68", "M70", "M71", "N77", "Q86", "R93",
]  # fmt: skip
_COLLATERAL: Final = [
    "REAL_ESTATE", "EQUIPMENT", "RECEIVABLES", "INVENTORY", "CASH_DEPOSIT",
    "SECURITIES", "GUARANTEE", "AIRCRAFT", "SHIP",
]  # fmt: skip
_N_PORTFOLIOS: Final = 240
_N_COUNTERPARTIES: Final = 400_000

_CUSTOMERS: Final = [
    "Acme Holdings, Inc.", "Northwind Traders", "Contoso Ltd", "Globex Corporation",
    "Initech, LLC", "Umbrella Retail, S.A.", "Hooli", "Stark Industries",
    "Wayne Enterprises, Inc.", "Müller & Söhne GmbH", "Société Lumière, SARL",
    "Blue Harbor Foods", "Smith, Jones & Partners LLP", "Pied Piper", "Vandelay Industries",
    "Dunder Mifflin Paper Co.", "Oceanic Airlines", "Soylent, Corp.", "Tyrell Corporation",
    "Cyberdyne Systems", "Massive Dynamic", "Wonka Industries", "Gringotts, Ltd.",
    "Aperture Science", "Nakatomi Trading", "Øresund Logistik A/S", "Bluth Company",
    "Prestige Worldwide", "Sterling, Cooper & Partners", "Los Pollos Hermanos",
]  # fmt: skip
_QUOTED_CUSTOMER: Final = 'The "Blue Door" Bakery, Ltd.'
_STATUSES: Final = ["NEW", "PAID", "SHIPPED", "DELIVERED", "CANCELLED", "RETURNED"]
_STATUS_WEIGHTS: Final = np.array([8, 12, 15, 55, 6, 4], dtype=np.float64)


def _pool(values: Sequence[str]) -> pa.Array:
    """A small Arrow string array that columns are built from with a C-speed ``take``."""
    return pa.array(list(values), type=pa.string())


def _probs(weights: Sequence[float] | NDArray[np.float64]) -> NDArray[np.float64]:
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()


_LOC_P: Final = _probs([loc[4] for loc in _LOCATIONS])
_LOC_COUNTRY: Final = _pool([loc[0] for loc in _LOCATIONS])
_LOC_CURRENCY: Final = _pool([loc[1] for loc in _LOCATIONS])
_LOC_ENTITY: Final = _pool([loc[2] for loc in _LOCATIONS])
_LOC_REF_INDEX: Final = _pool([loc[3] for loc in _LOCATIONS])
_LOC_REF_LEVEL: Final = np.array([_REF_RATE_LEVEL[loc[3]] for loc in _LOCATIONS])
_LOC_FX: Final = np.array([loc[5] for loc in _LOCATIONS])
_BRANCHES: Final = _pool([f"{loc[0]}{100 + j:03d}" for loc in _LOCATIONS for j in range(10)])
_PROD_P: Final = _probs([p[1] for p in _PRODUCTS])
_PROD_NAME: Final = _pool([p[0] for p in _PRODUCTS])
_PROD_TERMS: Final = np.array([p[2] for p in _PRODUCTS], dtype=np.int64)
_PROD_FLOATING: Final = np.array([p[3] for p in _PRODUCTS])
_PROD_SECURED: Final = np.array([p[4] for p in _PRODUCTS])
_PROD_AMORTISED: Final = np.array([p[5] for p in _PRODUCTS])
_PROD_MEDIAN: Final = np.array([p[6] for p in _PRODUCTS])
_RATING_POOL: Final = _pool([*_RATINGS, "D"])
_RATING_D: Final = len(_RATINGS)
_RATING_P: Final = _probs(_RATING_WEIGHTS)
_AGENCY_POOL: Final = _pool(_AGENCIES)
_AGENCY_P: Final = _probs([30, 25, 15, 30])
_SECTOR_POOL: Final = _pool([*_SECTORS, "RETAIL"])
_SECTOR_RETAIL: Final = len(_SECTORS)
_COLLATERAL_POOL: Final = _pool(_COLLATERAL)
_INTEREST_TYPE_POOL: Final = _pool(["FIXED", "FLOATING"])
_PORTFOLIO_POOL: Final = _pool([f"PF{7 * i + 12:04d}" for i in range(_N_PORTFOLIOS)])
_BOOK_POOL: Final = _pool([f"BK{i:05d}" for i in range(_N_PORTFOLIOS * 4)])
_CUSTOMER_POOL: Final = _pool([*_CUSTOMERS, _QUOTED_CUSTOMER])
_STATUS_POOL: Final = _pool(_STATUSES)
_STATUS_P: Final = _probs(_STATUS_WEIGHTS)


# --------------------------------------------------------------------------------------------
# Public results
# --------------------------------------------------------------------------------------------


@dataclass
class FileTruth:
    """The known truth about a generated file, which validation tests compare their findings to.

    ``per_day`` counts every data row under its BUSINESS_DATE, including duplicate rows and
    ragged rows: a ragged row lacks one mid-row field (``RAGGED_DROPPED_COLUMN``), never its
    date, so its date is still readable. ``rows`` is the sum of ``per_day``.
    """

    path: Path
    rows: int
    per_day: dict[date, int]
    missing_days: list[date]
    duplicate_keys: list[tuple[str, str]]
    duplicate_excess_rows: int
    ragged_lines: list[int]
    period_start: date
    period_end: date
    compressed: str | None
    bytes: int


@dataclass
class DemoManifest:
    """What `create_demo_workspace` made: the workspace, its config and each file's truth."""

    workspace: Path
    config_path: Path
    files: list[FileTruth] = field(default_factory=list)


class DemoExistsError(FileExistsError, InputError):
    """Refusal to create a demo over an existing one.

    A ``FileExistsError`` for callers that catch OS errors, and an ``InputError`` so the CLI
    prints one clear line instead of a traceback.
    """


# --------------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------------


def _holidays() -> frozenset[date]:
    return frozenset(date.fromisoformat(d) for d in DEMO_HOLIDAYS)


def business_days(start: date, end: date) -> list[date]:
    """Mon–Fri dates in ``start..end`` (inclusive) that are not in ``DEMO_HOLIDAYS``."""
    holidays = _holidays()
    out: list[date] = []
    d = start
    while d <= end:
        if d.weekday() < 5 and d not in holidays:
            out.append(d)
        d += timedelta(days=1)
    return out


# --------------------------------------------------------------------------------------------
# Random streams and Arrow helpers
# --------------------------------------------------------------------------------------------


def _stream(seed: int, *key: int) -> np.random.Generator:
    """An independent PCG64 stream for (seed, *key); the only source of randomness here.

    Any int is a valid seed (``--seed -1`` included): SeedSequence wants non-negative entropy,
    so seeds are taken modulo 2**64, which is the identity for every seed users actually pick.
    """
    entropy = [seed % (1 << 64), *key]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def _weighted(rng: np.random.Generator, p: NDArray[np.float64], n: int) -> NDArray[np.int64]:
    """Indices drawn with probabilities ``p`` (to 1/4096), through a lookup table.

    ~6x cheaper than ``Generator.choice(p=...)``, which bisects a CDF per value; this sits on
    the hot path of every block.
    """
    return _lookup_table(p.tobytes())[rng.integers(0, _LUT_SIZE, size=n)]


_LUT_SIZE: Final = 4096


@functools.cache
def _lookup_table(p_bytes: bytes) -> NDArray[np.int64]:
    cdf = np.cumsum(np.frombuffer(p_bytes, dtype=np.float64))
    slots = (np.arange(_LUT_SIZE) + 0.5) / _LUT_SIZE
    return np.minimum(np.searchsorted(cdf, slots, side="right"), len(cdf) - 1).astype(np.int64)


def _salt(name: str) -> int:
    """Stable integer for a name (``hash()`` is salted per process, so it would break replay)."""
    return zlib.crc32(name.encode())


def _decimal(cents: NDArray[np.int64], precision: int = 18) -> pa.Array:
    """Build a decimal128(precision, 2) array straight from integer cents, without Python.

    Arrow stores decimal128 as 16-byte little-endian two's complement integers, so the low
    word is the cents and the high word is the sign extension.
    """
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    return pa.Array.from_buffers(
        pa.decimal128(precision, 2), len(cents), [None, pa.py_buffer(words)]
    )


def _memory_pool() -> pa.MemoryPool:
    """jemalloc if this pyarrow has it, else the system allocator.

    Arrow's default (mimalloc) kept 30-60 MB more resident here for the same work, because
    blocks are built on one thread and rendered and freed on others; jemalloc returns it.
    Passing the pool explicitly leaves Arrow's process-wide default alone for other code.
    """
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # pragma: no cover - depends on how pyarrow was built
        return pa.system_memory_pool()


_POOL: Final = _memory_pool()


def _arr(values: Any, dtype: pa.DataType | None = None, mask: Any = None) -> pa.Array:
    """``pa.array`` from numpy, allocating (when it must copy) from the generator's pool."""
    return pa.array(values, type=dtype, mask=mask, memory_pool=_POOL)


def _take(pool: pa.Array, indices: Any) -> pa.Array:
    """Pick strings from a small pool by index: how every code column is built, at C speed."""
    idx = indices if isinstance(indices, pa.Array) else _arr(indices)
    return pc.take(pool, idx, memory_pool=_POOL)


def _cents(x: NDArray[np.float64]) -> NDArray[np.int64]:
    return np.rint(x * 100.0).astype(np.int64)


def _date32(days: NDArray[np.int64] | int, n: int) -> pa.Array:
    arr = np.broadcast_to(np.asarray(days, dtype=np.int32), (n,))
    return _arr(np.ascontiguousarray(arr), dtype=pa.date32())


def _prefixed(prefix: str, numbers: NDArray[np.int64], width: int) -> pa.Array:
    """``prefix`` + zero-padded number, rendered by Arrow compute (no per-row Python)."""
    text = pc.cast(_arr(numbers), pa.string(), memory_pool=_POOL)
    digits = pc.utf8_lpad(text, width=width, padding="0", memory_pool=_POOL)
    return pc.binary_join_element_wise(prefix, digits, "", memory_pool=_POOL)


def _render(table: pa.Table, options: pacsv.WriteOptions) -> pa.Buffer:
    """Render rows (no header) to CSV/TSV text with Arrow's C++ writer."""
    sink = pa.BufferOutputStream(memory_pool=_POOL)
    pacsv.write_csv(table, sink, options, memory_pool=_POOL)
    return sink.getvalue()


# --------------------------------------------------------------------------------------------
# The lending book
# --------------------------------------------------------------------------------------------


@dataclass
class _Loans:
    """Stable attributes of the loans with indices ``first .. first+n-1`` (one block)."""

    loan_id: NDArray[np.int64]
    facility: NDArray[np.int64]
    counterparty: NDArray[np.int64]
    portfolio: NDArray[np.int64]
    book: NDArray[np.int64]
    location: NDArray[np.int64]
    branch: NDArray[np.int64]
    product: NDArray[np.int64]
    sector: NDArray[np.int64]
    rating: NDArray[np.int64]
    agency: NDArray[np.int64]
    floating: NDArray[np.bool_]
    term_months: NDArray[np.int64]
    origination: NDArray[np.int64]
    maturity: NDArray[np.int64]
    principal: NDArray[np.float64]
    committed: NDArray[np.float64]
    utilisation: NDArray[np.float64]
    spread_bps: NDArray[np.float64]
    fixed_rate: NDArray[np.float64]
    secured: NDArray[np.bool_]
    collateral: NDArray[np.int64]
    cover: NDArray[np.float64]
    lgd: NDArray[np.float64]
    forborne: NDArray[np.bool_]
    payment_day: NDArray[np.int64]
    base_dpd: NDArray[np.int64]


def _loan_book(seed: int, block: int, n: int) -> _Loans:
    """Generate the stable attributes of one block of loans.

    Each attribute has its own stream keyed by (seed, block, attribute), and numpy draws values
    sequentially, so loan i gets the same value whether its day has 40 000 or 41 000 loans.
    """

    def rng(name: str) -> np.random.Generator:
        return _stream(seed, _LOAN_DOMAIN, block, _salt(name))

    idx = block * BLOCK_ROWS + np.arange(n, dtype=np.int64)
    location = _weighted(rng("location"), _LOC_P, n)
    product = _weighted(rng("product"), _PROD_P, n)
    rating = _weighted(rng("rating"), _RATING_P, n)
    term_months = _PROD_TERMS[product, rng("term").integers(0, 3, size=n)]
    term_days = np.rint(term_months * _DAYS_PER_MONTH).astype(np.int64)
    # Originated at most half a term (and at most 5 years) before the anchor: all loans are
    # still live through mid-2024, which is when the demo periods are.
    window = np.minimum(term_days // 2, 1826)
    origination = _ANCHOR_DAYS - (rng("origination").random(n) * window).astype(np.int64)
    fx = _LOC_FX[location]
    principal = rng("principal").lognormal(np.log(_PROD_MEDIAN[product]), 0.8, size=n) * fx
    principal = np.maximum(np.rint(np.minimum(principal, 2e9 * fx) / 1000.0) * 1000.0, 1000.0)
    headroom = np.where(product == _REVOLVER, rng("commitment").uniform(1.0, 1.6, size=n), 1.0)
    secured = rng("secured").random(n) < _PROD_SECURED[product]
    collateral = rng("collateral").integers(0, len(_COLLATERAL), size=n)
    collateral = np.where(
        (product == _MORTGAGES[0]) | (product == _MORTGAGES[1]), 0, collateral
    )  # REAL_ESTATE
    collateral = np.where(product == _LEASE, 1, collateral)  # EQUIPMENT
    collateral = np.where(product == _TRADE, 2 + (collateral % 2), collateral)  # RECEIVABLES/INV.
    sector = rng("sector").integers(0, len(_SECTORS), size=n)
    dpd_u = rng("dpd_bucket").random(n)
    dpd_v = rng("dpd_days").random(n)
    base_dpd = np.select(
        [dpd_u < 0.95, dpd_u < 0.98, dpd_u < 0.992],
        [0, 1 + (dpd_v * 29), 30 + (dpd_v * 60)],
        default=90 + (dpd_v * 270),
    ).astype(np.int64)
    portfolio = rng("portfolio").integers(0, _N_PORTFOLIOS, size=n)
    lgd_u = rng("lgd").random(n)
    return _Loans(
        loan_id=10_000_000 + 4 * idx + rng("loan_id").integers(0, 4, size=n),
        facility=500_000 + idx // 3,
        counterparty=rng("counterparty").integers(1, _N_COUNTERPARTIES, size=n),
        portfolio=portfolio,
        book=portfolio * 4 + rng("book").integers(0, 4, size=n),
        location=location,
        branch=location * 10 + rng("branch").integers(0, 10, size=n),
        product=product,
        sector=np.where(product == _RESI_MORTGAGE, _SECTOR_RETAIL, sector),
        rating=rating,
        agency=_weighted(rng("agency"), _AGENCY_P, n),
        floating=rng("floating").random(n) < _PROD_FLOATING[product],
        term_months=term_months,
        origination=origination,
        maturity=origination + term_days,
        principal=principal,
        committed=np.rint(principal * headroom / 1000.0) * 1000.0,
        utilisation=rng("utilisation").uniform(0.2, 0.95, size=n),
        spread_bps=np.round(60 + 15 * rating + rng("spread").uniform(0, 80, size=n), 1),
        fixed_rate=np.round(0.028 + 0.0012 * rating + rng("fixed").uniform(0, 0.02, size=n), 4),
        secured=secured,
        collateral=collateral,
        cover=rng("cover").uniform(1.05, 2.2, size=n),
        lgd=np.round(np.where(secured, 0.10 + 0.35 * lgd_u, 0.45 + 0.30 * lgd_u), 4),
        forborne=rng("forborne").random(n) < 0.02,
        payment_day=rng("payment_day").integers(1, 29, size=n),
        base_dpd=base_dpd,
    )


def _fact_block(seed: int, day: date, block: int, n: int) -> pa.Table:
    """One block of the book as of ``day``: loans ``block*BLOCK_ROWS ..`` + ``n``, by LOAN_ID."""
    loans = _loan_book(seed, block, n)
    rng = _stream(seed, _DAY_DOMAIN, day.toordinal(), block)
    today = (day - _EPOCH).days

    age = today - loans.origination
    life = np.maximum(loans.maturity - loans.origination, 1)
    elapsed = np.clip(age / life, 0.0, 1.0)
    remaining = np.maximum(np.ceil((loans.maturity - today) / _DAYS_PER_MONTH), 0).astype(np.int64)
    payments = np.maximum(np.floor(age / _DAYS_PER_MONTH), 0).astype(np.int64)

    # A reference rate moves a little from day to day, identically for every loan on it.
    ref_today = _LOC_REF_LEVEL + 0.0004 * np.sin(day.toordinal() / 9.0 + np.arange(len(_LOCATIONS)))
    rate = np.where(
        loans.floating, ref_today[loans.location] + loans.spread_bps / 10_000.0, loans.fixed_rate
    )
    rate = np.round(rate, 6)

    arrears = rng.random(n) < 0.003  # short technical arrears that clear again
    dpd = np.where(
        loans.base_dpd > 0,
        loans.base_dpd + day.toordinal() % 23,
        np.where(arrears, rng.integers(1, 6, size=n), 0),
    ).astype(np.int64)
    defaulted = dpd >= 90
    stage = np.where(
        defaulted,
        3,
        np.where((dpd >= 30) | loans.forborne | (loans.rating >= _STAGE2_RATING), 2, 1),
    ).astype(np.int64)
    rating = np.where(defaulted, _RATING_D, loans.rating)
    pd_noise = np.exp(rng.normal(0.0, 0.03, size=n))
    pd = np.where(defaulted, 1.0, np.round(_RATING_PD[loans.rating] * pd_noise, 6))

    drawn = np.clip(loans.utilisation + rng.normal(0.0, 0.02, size=n), 0.0, 1.0)
    amortised = loans.principal * (1.0 - _PROD_AMORTISED[loans.product] * elapsed)
    outstanding_c = _cents(np.where(loans.product == _REVOLVER, loans.committed * drawn, amortised))
    # Only revolvers have headroom; a term loan's repaid principal is not available to draw.
    undrawn_c = np.where(
        loans.product == _REVOLVER, np.maximum(_cents(loans.committed) - outstanding_c, 0), 0
    )
    accrual_days = (day.day - loans.payment_day) % 30
    accrued_c = np.rint(outstanding_c * rate * accrual_days / 360.0).astype(np.int64)
    collateral_value = loans.principal * loans.cover * np.exp(rng.normal(0.0, 0.003, size=n))
    collateral_c = np.where(loans.secured, _cents(collateral_value), 0)
    ead_c = outstanding_c + undrawn_c // 2 + accrued_c
    el_c = np.rint(ead_c * pd * loans.lgd).astype(np.int64)
    updated = today * 86_400 + 18 * 3_600 + rng.integers(0, 5 * 3_600, size=n)

    cols: dict[str, pa.Array] = {
        "BUSINESS_DATE": _date32(today, n),
        "LOAN_ID": _arr(loans.loan_id),
        "FACILITY_ID": _prefixed("FAC", loans.facility, 9),
        "COUNTERPARTY_ID": _prefixed("CP", loans.counterparty, 8),
        "PORTFOLIO_CODE": _take(_PORTFOLIO_POOL, loans.portfolio),
        "BOOK_CODE": _take(_BOOK_POOL, loans.book),
        "LEGAL_ENTITY": _take(_LOC_ENTITY, loans.location),
        "BRANCH_CODE": _take(_BRANCHES, loans.branch),
        "COUNTRY_CODE": _take(_LOC_COUNTRY, loans.location),
        "CURRENCY": _take(_LOC_CURRENCY, loans.location),
        "PRODUCT_TYPE": _take(_PROD_NAME, loans.product),
        "SECTOR_CODE": _take(_SECTOR_POOL, loans.sector),
        "RATING": _take(_RATING_POOL, rating),
        "RATING_AGENCY": _take(_AGENCY_POOL, loans.agency),
        "IFRS9_STAGE": _arr(stage),
        "INTEREST_TYPE": _take(_INTEREST_TYPE_POOL, loans.floating.astype(np.int8)),
        "REFERENCE_RATE": pc.if_else(
            _arr(loans.floating), _take(_LOC_REF_INDEX, loans.location), "NONE", memory_pool=_POOL
        ),
        "ORIGINATION_DATE": _date32(loans.origination, n),
        "MATURITY_DATE": _date32(loans.maturity, n),
        "ORIGINAL_TERM_MONTHS": _arr(loans.term_months),
        "REMAINING_TERM_MONTHS": _arr(remaining),
        "ORIGINAL_PRINCIPAL": _decimal(_cents(loans.principal)),
        "COMMITTED_AMOUNT": _decimal(_cents(loans.committed)),
        "OUTSTANDING_PRINCIPAL": _decimal(outstanding_c),
        "UNDRAWN_AMOUNT": _decimal(undrawn_c),
        "ACCRUED_INTEREST": _decimal(accrued_c),
        "COLLATERAL_VALUE": _decimal(collateral_c),
        "EXPOSURE_AT_DEFAULT": _decimal(ead_c),
        "EXPECTED_LOSS": _decimal(el_c),
        "INTEREST_RATE": _arr(rate),
        "SPREAD_BPS": _arr(loans.spread_bps),
        "PROBABILITY_OF_DEFAULT": _arr(pd),
        "LOSS_GIVEN_DEFAULT": _arr(loans.lgd),
        "DAYS_PAST_DUE": _arr(dpd),
        "PAYMENTS_MADE": _arr(payments),
        "IS_SECURED": _arr(loans.secured),
        "IS_DEFAULTED": _arr(defaulted),
        "IS_FORBORNE": _arr(loans.forborne),
        # Empty exactly when there is no collateral (~10 % of the book).
        "COLLATERAL_TYPE": _take(_COLLATERAL_POOL, _arr(loans.collateral, mask=~loans.secured)),
        "UPDATED_AT": _arr(updated, dtype=pa.timestamp("s")),
    }
    return pa.Table.from_arrays([cols[c.name] for c in FACT_COLUMNS], schema=_FACT_SCHEMA)


# --------------------------------------------------------------------------------------------
# Output streams
# --------------------------------------------------------------------------------------------


@contextmanager
def _open_output(path: Path, compress: str | None) -> Iterator[BinaryIO]:
    """Open ``path`` for writing, through a compressor if asked; deterministic output.

    gzip goes through isal's igzip (level 1: ~330 MB/s on this data, ratio 3.0) rather than
    zlib-based ``pyarrow.CompressedOutputStream`` (~13 MB/s at its default level, ratio 3.5),
    with mtime 0 and no stored file name so identical input gives identical bytes.
    """
    with open(path, "wb") as raw:
        if compress is None:
            yield raw
        elif compress == "gzip":
            from isal import igzip

            with igzip.IGzipFile(
                filename="", mode="wb", compresslevel=_GZIP_LEVEL, fileobj=raw, mtime=0
            ) as gz:
                yield gz  # type: ignore[misc]
        elif compress == "zstd":
            import zstandard

            cctx = zstandard.ZstdCompressor(level=_ZSTD_LEVEL)
            with cctx.stream_writer(raw, closefd=False) as zst:
                yield zst  # type: ignore[misc]
        else:  # pragma: no cover - validated by callers
            raise ValueError(f"unsupported compression {compress!r}")


@contextmanager
def _atomic_target(path: Path) -> Iterator[Path]:
    """Write to ``<path>.partial`` and rename on success, so no half-written file is left."""
    tmp = path.with_name(path.name + ".partial")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class _OrderedWriter:
    """Render tables to text on worker threads and write the results in submission order.

    Arrow's CSV writer releases the GIL, so rendering on two threads while the main thread
    generates the next block roughly doubles throughput on a 2-core box. At most ``depth``
    pieces are in flight, which (with ``BLOCK_ROWS``) is what keeps memory flat.
    """

    def __init__(
        self, out: BinaryIO, options: pacsv.WriteOptions, depth: int = _RENDER_DEPTH
    ) -> None:
        self._out = out
        self._options = options
        self._depth = depth
        self._pending: deque[Future[pa.Buffer] | bytes] = deque()
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, min(2, os.cpu_count() or 1)), thread_name_prefix="demo-render"
        )

    def table(self, table: pa.Table) -> None:
        """Queue rows for rendering; big tables are split so both workers share them."""
        half = table.num_rows // 2
        parts = [table.slice(0, half), table.slice(half)] if half >= 4096 else [table]
        for part in parts:
            if part.num_rows:
                self._pending.append(self._pool.submit(_render, part, self._options))
        self._drain(self._depth)

    def raw(self, data: bytes) -> None:
        """Queue bytes that are already rendered (header, ragged line) in their place."""
        self._pending.append(data)
        self._drain(self._depth)

    def _drain(self, keep: int) -> None:
        while len(self._pending) > keep:
            item = self._pending.popleft()
            self._out.write(item if isinstance(item, bytes) else item.result())

    def flush(self) -> None:
        """Write everything still queued (at the end of a successful file)."""
        self._drain(0)

    def shutdown(self) -> None:
        """Drop whatever is still queued (only after a failure) and join the workers."""
        for item in self._pending:
            if not isinstance(item, bytes):
                item.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=True)


@contextmanager
def _ordered_writer(out: BinaryIO, options: pacsv.WriteOptions) -> Iterator[_OrderedWriter]:
    writer = _OrderedWriter(out, options)
    try:
        yield writer
        writer.flush()
    finally:
        writer.shutdown()


# --------------------------------------------------------------------------------------------
# Fact file
# --------------------------------------------------------------------------------------------


def _rows_for_day(seed: int, day: date, rows_per_day: int) -> int:
    """Rows on ``day``: ``rows_per_day`` ±5 %, keyed by the date so other days don't shift it."""
    jitter = _stream(seed, _SIZE_DOMAIN, day.toordinal()).uniform(-0.05, 0.05)
    return max(1, round(rows_per_day * (1.0 + jitter)))


@dataclass
class _Defects:
    """Where the injected defects go: extra copies and ragged rows, by day and row index."""

    extra: dict[date, dict[int, int]] = field(default_factory=dict)
    ragged: dict[date, set[int]] = field(default_factory=dict)


def _plan_defects(
    seed: int, start: date, end: date, days: list[date], sizes: dict[date, int],
    duplicate_rows: int, ragged_rows: int,
) -> _Defects:  # fmt: skip
    """Choose the rows that get duplicated or made ragged.

    Duplicates: ``duplicate_rows`` extra rows over ~5 keys per day on several random days; if
    there are 3 or more, the first key gets two extra copies (a triplicate), so "duplicate keys"
    and "excess rows" differ and a validator has to tell them apart. Ragged rows sit at evenly
    spaced days (the middle day for one), the first one at the middle row of its day.
    """
    plan = _Defects()
    if not days and (duplicate_rows or ragged_rows):
        raise ValueError("cannot inject duplicate or ragged rows into a period without rows")
    rng = _stream(seed, _DEFECT_DOMAIN, start.toordinal(), end.toordinal())
    taken: dict[date, set[int]] = {d: set() for d in days}

    def free_row(d: date, preferred: int | None = None) -> int:
        if len(taken[d]) >= sizes[d]:
            raise ValueError(
                f"{d}: only {sizes[d]} rows, too few for the requested defects; "
                "raise rows_per_day or lower duplicate_rows/ragged_rows"
            )
        row = preferred if preferred is not None else int(rng.integers(0, sizes[d]))
        while row in taken[d]:
            row = int(rng.integers(0, sizes[d]))
        taken[d].add(row)
        return row

    if duplicate_rows > 0:
        extras = [2] + [1] * (duplicate_rows - 2) if duplicate_rows >= 3 else [1] * duplicate_rows
        n_days = min(len(days), max(1, math.ceil(len(extras) / 5)))
        chosen = sorted(int(i) for i in rng.choice(len(days), size=n_days, replace=False))
        for j, copies in enumerate(extras):
            d = days[chosen[j % n_days]]
            plan.extra.setdefault(d, {})[free_row(d)] = copies
    for j in range(ragged_rows):
        d = days[min(len(days) - 1, (j + 1) * len(days) // (ragged_rows + 1))]
        first = d not in plan.ragged
        plan.ragged.setdefault(d, set()).add(free_row(d, sizes[d] // 2 if first else None))
    return plan


def _ragged_line(row: pa.Table) -> bytes:
    """Render one row with ``RAGGED_DROPPED_COLUMN``'s field removed: 39 fields, 38 tabs."""
    fields = _render(row, _TSV_OPTIONS).to_pybytes().rstrip(b"\n").split(b"\t")
    del fields[_FACT_SCHEMA.get_field_index(RAGGED_DROPPED_COLUMN)]
    return b"\t".join(fields) + b"\n"


def _header(columns: list[ColumnDef], delimiter: str) -> bytes:
    # Written by hand: Arrow always quotes header names, even with quoting_style="none".
    return (delimiter.join(c.name for c in columns) + "\n").encode()


def _check_compress(compress: str | None) -> None:
    if compress is not None and compress not in _COMPRESSIONS:
        raise ValueError(f"compress must be None, 'gzip' or 'zstd', not {compress!r}")


def write_fact_file(
    path: Path,
    start: date,
    end: date,
    *,
    rows_per_day: int,
    seed: int,
    missing_days: Sequence[date] = (),
    duplicate_rows: int = 0,
    ragged_rows: int = 0,
    compress: str | None = None,
) -> FileTruth:
    """Write a factLendingBenchmark TSV for ``start..end`` and return its truth.

    One row per loan per business day (``business_days``), sorted by BUSINESS_DATE then
    LOAN_ID, ``rows_per_day`` ±5 % rows a day. Defects on request: ``missing_days`` (business
    days left out), ``duplicate_rows`` (extra exact copies, written right after the original so
    the order holds), ``ragged_rows`` (rows missing one mid-row field). Memory is bounded by
    ``BLOCK_ROWS`` whatever the size; the file appears under its name only when complete.
    """
    path = Path(path)
    _check_compress(compress)
    if end < start:
        raise ValueError(f"period end {end} is before its start {start}")
    if rows_per_day < 1:
        raise ValueError(f"rows_per_day must be at least 1, not {rows_per_day}")
    if duplicate_rows < 0 or ragged_rows < 0:
        raise ValueError("duplicate_rows and ragged_rows must not be negative")
    calendar_days = business_days(start, end)
    missing = sorted(set(missing_days))
    if stray := [d.isoformat() for d in missing if d not in calendar_days]:
        raise ValueError(f"missing_days {stray} are not business days in {start}..{end}")
    skipped = frozenset(missing)
    days = [d for d in calendar_days if d not in skipped]
    sizes = {d: _rows_for_day(seed, d, rows_per_day) for d in days}
    plan = _plan_defects(seed, start, end, days, sizes, duplicate_rows, ragged_rows)

    per_day: dict[date, int] = {}
    duplicate_keys: list[tuple[str, str]] = []
    ragged_lines: list[int] = []
    line = 1  # the header
    with (
        _atomic_target(path) as tmp,
        _open_output(tmp, compress) as raw,
        _ordered_writer(raw, _TSV_OPTIONS) as out,
    ):
        out.raw(_header(FACT_COLUMNS, "\t"))
        for d in days:
            n = sizes[d]
            extra = plan.extra.get(d, {})
            ragged = plan.ragged.get(d, set())
            for block, lo in enumerate(range(0, n, BLOCK_ROWS)):
                table = _fact_block(seed, d, block, min(BLOCK_ROWS, n - lo))
                repeats = np.ones(table.num_rows, dtype=np.int64)
                for row, copies in extra.items():
                    if lo <= row < lo + table.num_rows:
                        repeats[row - lo] += copies
                        loan_id = table.column("LOAN_ID")[row - lo].as_py()
                        duplicate_keys.append((d.isoformat(), str(loan_id)))
                if repeats.sum() != table.num_rows:
                    rows = np.repeat(np.arange(table.num_rows), repeats)
                    table = pc.take(table, _arr(rows), memory_pool=_POOL)
                starts = np.cumsum(repeats) - repeats  # position of each source row after take
                cut = 0
                for row in sorted(r for r in ragged if lo <= r < lo + len(repeats)):
                    at = int(starts[row - lo])
                    out.table(table.slice(cut, at - cut))
                    out.raw(_ragged_line(table.slice(at, 1)))
                    ragged_lines.append(line + at + 1)
                    cut = at + 1
                out.table(table.slice(cut))
                line += table.num_rows
                per_day[d] = per_day.get(d, 0) + table.num_rows
    duplicate_keys.sort(key=lambda k: (k[0], int(k[1])))
    return FileTruth(
        path=path,
        rows=sum(per_day.values()),
        per_day=per_day,
        missing_days=missing,
        duplicate_keys=duplicate_keys,
        duplicate_excess_rows=sum(sum(e.values()) for e in plan.extra.values()),
        ragged_lines=sorted(ragged_lines),
        period_start=start,
        period_end=end,
        compressed=compress,
        bytes=path.stat().st_size,
    )


# --------------------------------------------------------------------------------------------
# Orders file
# --------------------------------------------------------------------------------------------


def _orders_per_day(rng: np.random.Generator, rows: int, n_days: int) -> NDArray[np.int64]:
    """Split ``rows`` over the days of a month: ±10 % around the mean, at least 1 each."""
    weights = rng.uniform(0.9, 1.1, size=n_days)
    counts = np.maximum(np.floor(rows * weights / weights.sum()).astype(np.int64), 1)
    diff = rows - int(counts.sum())
    order = np.argsort(-weights, kind="stable")
    i = 0
    while diff != 0:  # at most n_days steps per unit; tiny, runs once per file
        d = order[i % n_days]
        if diff > 0:
            counts[d] += 1
            diff -= 1
        elif counts[d] > 1:
            counts[d] -= 1
            diff += 1
        i += 1
    return counts


def write_orders_file(path: Path, month_start: date, *, rows: int, seed: int) -> FileTruth:
    """Write a small orders CSV for the month of ``month_start`` and return its truth.

    Comma-delimited with a header; text fields are double-quoted (Arrow quotes every string),
    several customer names contain commas and exactly one, ``_QUOTED_CUSTOMER``, contains
    quotes, written doubled (``""``). Every day of the month has orders; ORDER_ID ascends.
    """
    path = Path(path)
    if month_start.day != 1:
        raise ValueError(f"month_start must be the first of a month, not {month_start}")
    n_days = calendar.monthrange(month_start.year, month_start.month)[1]
    if rows < n_days:
        raise ValueError(f"rows must be at least {n_days} so that every day has an order")
    rng = _stream(seed, _ORDERS_DOMAIN, month_start.toordinal())
    counts = _orders_per_day(rng, rows, n_days)
    quoted_row = rows // 2
    per_day: dict[date, int] = {}
    first = 0
    with _atomic_target(path) as tmp, _open_output(tmp, None) as out:
        out.write(_header(ORDERS_COLUMNS, ","))
        for i, count in enumerate(counts.tolist()):
            d = month_start + timedelta(days=i)
            for lo in range(0, count, BLOCK_ROWS):
                n = min(BLOCK_ROWS, count - lo)
                block_rng = _stream(seed, _ORDERS_DOMAIN, d.toordinal(), lo)
                g = first + lo + np.arange(n, dtype=np.int64)
                customer = block_rng.integers(0, len(_CUSTOMERS), size=n)
                customer[g == quoted_row] = len(_CUSTOMERS)
                amount = np.minimum(block_rng.lognormal(np.log(180.0), 1.0, size=n), 250_000.0)
                table = pa.Table.from_arrays(
                    [
                        _arr(7_000_000 + 3 * g + block_rng.integers(0, 3, size=n)),
                        _date32((d - _EPOCH).days, n),
                        _take(_CUSTOMER_POOL, customer),
                        _decimal(_cents(np.maximum(amount, 1.0)), precision=12),
                        _take(_STATUS_POOL, _weighted(block_rng, _STATUS_P, n)),
                    ],
                    schema=_ORDERS_SCHEMA,
                )
                out.write(_render(table, _CSV_OPTIONS))
            per_day[d] = count
            first += count
    last = month_start + timedelta(days=n_days - 1)
    return FileTruth(
        path=path,
        rows=rows,
        per_day=per_day,
        missing_days=[],
        duplicate_keys=[],
        duplicate_excess_rows=0,
        ragged_lines=[],
        period_start=month_start,
        period_end=last,
        compressed=None,
        bytes=path.stat().st_size,
    )


# --------------------------------------------------------------------------------------------
# Demo workspace
# --------------------------------------------------------------------------------------------

_FACT_PERIODS: Final = [
    (date(2024, 1, 1), date(2024, 1, 31)),
    (date(2024, 2, 1), date(2024, 2, 29)),
    (date(2024, 3, 1), date(2024, 3, 31)),
    (date(2024, 4, 1), date(2024, 4, 30)),
    (date(2024, 5, 1), date(2024, 5, 31)),
]
_MISSING_DAY: Final = date(2024, 2, 14)
_DEMO_DUPLICATES: Final = 25
_ORDERS_MONTH: Final = date(2024, 6, 1)
_ORDERS_ROWS: Final = 3_000
_MIN_ROWS_PER_DAY: Final = 20  # room for ~5 duplicated keys and a ragged row on a day


def demo_config() -> dict[str, Any]:
    """The content of ``configs/demo.json``, derived from the schemas declared in schema.py."""
    return {
        "version": 1,
        "description": "Demo workspace created by `snowetl-tui demo`",
        "target": "local",
        "files": [
            {
                "name": "lending_benchmark",
                "file_pattern": "factLendingBenchmark_{date_range}.tsv",
                "table_name": "FACT_LENDING_BENCHMARK",
                "columns": [c.to_config() for c in FACT_COLUMNS],
                "date_column": "BUSINESS_DATE",
                "date_format": "%Y-%m-%d",
                "duplicate_key_columns": ["BUSINESS_DATE", "LOAN_ID"],
                "delimiter": "\t",
                "header": True,
                "encoding": "utf-8",
                "null_values": [""],
                "calendar": {"days": "business", "holidays": list(DEMO_HOLIDAYS)},
                "load": {"mode": "append", "create_table": True},
            },
            {
                "name": "orders",
                "file_pattern": "orders_{month}.csv",
                "table_name": "ORDERS",
                "columns": [c.to_config() for c in ORDERS_COLUMNS],
                "date_column": "ORDER_DATE",
                "date_format": "%Y-%m-%d",
                "duplicate_key_columns": ["ORDER_ID"],
                "delimiter": ",",
                "quote_char": '"',
                "header": True,
                "calendar": {"days": "all"},
                "load": {"mode": "append", "create_table": True},
            },
        ],
    }


def _fact_name(start: date, end: date, compress: str | None) -> str:
    suffix = {None: "", "gzip": ".gz", "zstd": ".zst"}[compress]
    return f"factLendingBenchmark_{start:%Y%m%d}-{end:%Y%m%d}.tsv{suffix}"


def _readme(files: list[FileTruth], rows_per_day: int, size_mb: float, seed: int) -> str:
    """A few lines telling the operator what each file holds and which defect it carries.

    Built from the files' truth, so line numbers and counts in it are exact.
    """
    clean, missing, dups, ragged, gz, orders = files
    dup_days = len({d for d, _ in dups.duplicate_keys})
    described = [
        (clean, "clean: every business day, unique keys"),
        (missing, "one business day missing: " + ", ".join(map(str, missing.missing_days))),
        (dups, f"{dups.duplicate_excess_rows} duplicate rows on (BUSINESS_DATE, LOAN_ID): "
               f"{len(dups.duplicate_keys)} keys over {dup_days} days"),
        (ragged, f"one ragged row, line {', '.join(map(str, ragged.ragged_lines))}: "
                 f"39 fields ({RAGGED_DROPPED_COLUMN} missing)"),
        (gz, "clean, gzip-compressed"),
        (orders, f"clean CSV, {orders.rows:,} orders; quoted text, some with commas, "
                 'one with an escaped "" quote'),
    ]  # fmt: skip
    width = max(len(f.path.name) for f in files) + 2
    body = "\n".join(f"  {f.path.name:<{width}}{what}" for f, what in described)
    return (
        f"snowetl-tui demo workspace (seed {seed}; each fact file ~{size_mb:g} MB, "
        f"~{rows_per_day:,} rows per business day)\n\n"
        "configs/demo.json   the load config for both kinds of file (target: local DuckDB)\n"
        "logs/, .snowetl/    the tool's logs and state\n"
        f"data/\n{body}\n\n"
        f"Business days are Mon-Fri except {', '.join(DEMO_HOLIDAYS)}.\n"
        "Run `snowetl-tui` here to browse, validate and load them; the defective files\n"
        "must be reported, and refused before anything is loaded.\n"
    )


def create_demo_workspace(directory: Path, *, size_mb: float = 8.0, seed: int = 7) -> DemoManifest:
    """Create a ready-to-try workspace: config, data files with known defects and a README.

    ``size_mb`` is the approximate size (10**6 bytes) of *each* fact file; rows per day are
    derived from it (at least 20, so every defect fits). Refuses with ``DemoExistsError`` (a
    ``FileExistsError``) if a demo config or any demo data file is already there, and removes
    what it wrote if it fails halfway, so a retry starts clean.
    """
    if size_mb <= 0:
        raise ValueError(f"size_mb must be positive, not {size_mb}")
    workspace = Path(directory)
    config_path = workspace / "configs" / "demo.json"
    data = workspace / "data"
    if config_path.exists():
        raise DemoExistsError(
            f"{config_path} already exists: this directory already holds a demo; "
            "choose an empty directory or delete that file first"
        )
    compressions = [None, None, None, None, "gzip"]
    targets = [
        data / _fact_name(s, e, c) for (s, e), c in zip(_FACT_PERIODS, compressions, strict=True)
    ]
    targets += [data / f"orders_{_ORDERS_MONTH:%Y-%m}.csv", workspace / "README.md"]
    for target in targets:
        if target.exists():
            raise DemoExistsError(f"{target} already exists; refusing to overwrite it")

    for sub in ("configs", "logs", ".snowetl", "data"):
        (workspace / sub).mkdir(parents=True, exist_ok=True)
    month_days = sum(len(business_days(s, e)) for s, e in _FACT_PERIODS) / len(_FACT_PERIODS)
    rows_per_day = max(_MIN_ROWS_PER_DAY, round(size_mb * _MB / (AVG_FACT_ROW_BYTES * month_days)))
    defects: list[dict[str, Any]] = [
        {},
        {"missing_days": [_MISSING_DAY]},
        {"duplicate_rows": _DEMO_DUPLICATES},
        {"ragged_rows": 1},
        {"compress": "gzip"},
    ]
    files: list[FileTruth] = []
    written: list[Path] = []
    try:
        for target, (start, end), extra in zip(targets, _FACT_PERIODS, defects, strict=False):
            written.append(target)
            files.append(
                write_fact_file(target, start, end, rows_per_day=rows_per_day, seed=seed, **extra)
            )
        written.append(targets[5])
        files.append(write_orders_file(targets[5], _ORDERS_MONTH, rows=_ORDERS_ROWS, seed=seed))
        written.append(targets[6])
        targets[6].write_text(_readme(files, rows_per_day, size_mb, seed), encoding="utf-8")
        written.append(config_path)
        config_path.write_text(json.dumps(demo_config(), indent=2) + "\n", encoding="utf-8")
    except BaseException:
        for target in written:
            target.unlink(missing_ok=True)
        raise
    return DemoManifest(workspace=workspace, config_path=config_path, files=files)
