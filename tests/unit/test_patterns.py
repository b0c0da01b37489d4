"""File-name patterns: anchored matching, period extraction and checking, explanations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snowetl_tui.config.patterns import (
    FilePattern,
    PatternError,
    Period,
    PeriodError,
    parse_period,
)


def test_date_range_month_and_date_placeholders():
    assert FilePattern("fact_{date_range}.tsv").match("fact_20240101-20240131.tsv") == Period(
        date(2024, 1, 1), date(2024, 1, 31)
    )
    assert FilePattern("orders_{month}.tsv").match("orders_2024-02.tsv") == Period(
        date(2024, 2, 1), date(2024, 2, 29)
    )
    assert FilePattern("snap_{date}.csv").match("snap_20240305.csv") == Period(
        date(2024, 3, 5), date(2024, 3, 5)
    )
    assert FilePattern("static_*.tsv").match("static_anything.tsv") is None


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_compressed_suffix_matches(suffix):
    p = FilePattern("orders_{month}.tsv")
    assert p.match(f"orders_2024-03.tsv{suffix}") == Period(date(2024, 3, 1), date(2024, 3, 31))


def test_match_is_anchored():
    p = FilePattern("orders_{month}.tsv")
    for name in ["xorders_2024-03.tsv", "orders_2024-03.tsv.bak", "orders_2024-03.tsvx",
                 "orders_2024-03.tsv.gz.gz", "orders_2024-3.tsv"]:
        with pytest.raises(LookupError):
            p.match(name)


def test_dots_and_regex_characters_are_literal():
    p = FilePattern("a.b+c_{date}.tsv")
    assert p.matches("a.b+c_20240101.tsv")
    assert not p.matches("aXb+c_20240101.tsv")
    assert not p.matches("a.bbc_20240101.tsv")


def test_invalid_periods_are_errors():
    with pytest.raises(PeriodError, match="20240230"):
        FilePattern("f_{date}.tsv").match("f_20240230.tsv")
    with pytest.raises(PeriodError, match="after its end"):
        FilePattern("f_{date_range}.tsv").match("f_20240301-20240201.tsv")
    with pytest.raises(PeriodError, match="'2024-13' is not a month"):
        FilePattern("f_{month}.tsv").match("f_2024-13.tsv")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "empty"),
        ("f_{year}.tsv", "unknown placeholder"),
        ("f_{month}_{date}.tsv", "two period placeholders"),
        ("dir/f.tsv", "without a directory"),
        ("f_{month.tsv", "unbalanced brace"),
        ("f_month}.tsv", "unbalanced brace"),
    ],
)
def test_bad_patterns(pattern, message):
    with pytest.raises(PatternError, match=message):
        FilePattern(pattern)


def test_explain_names_the_reason():
    p = FilePattern("orders_{month}.tsv")
    assert (
        p.explain("orders_2024-13.tsv").reason
        == "date part '2024-13' is not a month (expected YYYY-MM)"
    )
    assert p.explain("orders_March.tsv").reason == "date part 'March' is not YYYY-MM"
    assert p.explain("order_2024-03.tsv").reason == "name does not start with 'orders_'"
    assert p.explain("orders_2024-03.csv").reason == "name does not end with '.tsv'"
    assert p.explain("orders_2024-03.tsv").reason == "matches"


def test_parse_period_forms():
    assert parse_period("2024-03") == Period(date(2024, 3, 1), date(2024, 3, 31))
    assert parse_period("2024-03-05") == Period(date(2024, 3, 5), date(2024, 3, 5))
    assert parse_period("20240301-20240315") == Period(date(2024, 3, 1), date(2024, 3, 15))
    assert parse_period("2024-03-01..2024-03-02") == Period(date(2024, 3, 1), date(2024, 3, 2))
    for bad in ["2024-13", "March", "2024-02-30", "20240315-20240301"]:
        with pytest.raises(PeriodError):
            parse_period(bad)


def test_period_label():
    assert Period(date(2024, 2, 1), date(2024, 2, 29)).label() == "2024-02"
    assert Period(date(2024, 2, 1), date(2024, 2, 28)).label() == "2024-02-01..2024-02-28"
    assert Period(date(2024, 2, 3), date(2024, 2, 3)).label() == "2024-02-03"


days = st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 1, 1))
prefixes = st.text(alphabet="abcXYZ_-.019", min_size=0, max_size=8)


@given(start=days, length=st.integers(0, 400), prefix=prefixes,
       ext=st.sampled_from([".tsv", ".csv", ".txt"]),
       comp=st.sampled_from(["", ".gz", ".zst"]))
def test_property_date_range_round_trip(start, length, prefix, ext, comp):
    end = min(start + timedelta(days=length), date(9999, 12, 31))
    pattern = FilePattern(f"{prefix}{{date_range}}{ext}")
    period = Period(start, end)
    assert pattern.match(pattern.render(period) + comp) == period


@given(day=days, prefix=prefixes, kind=st.sampled_from(["month", "date"]))
def test_property_month_and_date_round_trip(day, prefix, kind):
    pattern = FilePattern(f"{prefix}{{{kind}}}.tsv")
    expected = parse_period(f"{day:%Y-%m}") if kind == "month" else Period(day, day)
    assert pattern.match(pattern.render(expected)) == expected
