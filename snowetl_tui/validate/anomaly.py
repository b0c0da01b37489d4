"""Days whose row count is far from the period's robust baseline.

Median and quartiles instead of mean and standard deviation, because one broken day must not
move the baseline it is judged against. Missing days are reported by the calendar check, not
here; under a business-day calendar only expected days form the baseline, so quiet weekends do
not drag it down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from snowetl_tui.config.model import AnomalySpec


@dataclass(frozen=True)
class Baseline:
    median: float
    q1: float
    q3: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1


@dataclass(frozen=True)
class Anomaly:
    day: date
    rows: int
    kind: str  # SEVERELY_LOW, OUTLIER_LOW, LOW, OUTLIER_HIGH
    severity: str  # fail, warn, info
    detail: str


def baseline(counts: list[int]) -> Baseline:
    arr = np.asarray(counts, dtype=np.float64)
    q1, med, q3 = np.percentile(arr, [25, 50, 75])
    return Baseline(float(med), float(q1), float(q3))


def detect(per_day: dict[date, int], days: list[date], spec: AnomalySpec) -> tuple[
    Baseline | None, list[Anomaly]
]:
    """Classify each of ``days`` that has rows; the most severe class wins for a day."""
    present = [(d, per_day[d]) for d in days if per_day.get(d, 0) > 0]
    if not spec.enabled or len(present) < spec.min_days:
        return None, []
    base = baseline([n for _, n in present])
    low_fence = base.q1 - spec.iqr_factor * base.iqr
    high_fence = base.q3 + spec.iqr_factor * base.iqr
    rules = [
        ("SEVERELY_LOW", spec.severely_low,
         lambda n: n < base.median * spec.severely_low_pct / 100,
         f"< {spec.severely_low_pct:g}% of the median {base.median:g}"),
        ("OUTLIER_LOW", spec.outlier_low, lambda n: n < low_fence,
         f"< Q1 − {spec.iqr_factor:g}·IQR = {low_fence:g}"),
        ("LOW", spec.low, lambda n: n < base.median * spec.low_pct / 100,
         f"< {spec.low_pct:g}% of the median {base.median:g}"),
        ("OUTLIER_HIGH", spec.outlier_high, lambda n: n > high_fence,
         f"> Q3 + {spec.iqr_factor:g}·IQR = {high_fence:g}"),
    ]
    found: list[Anomaly] = []
    for day, n in present:
        for kind, severity, test, why in rules:
            if severity != "off" and test(n):
                found.append(Anomaly(day, n, kind, severity, f"{n} rows {why}"))
                break
    return base, found
