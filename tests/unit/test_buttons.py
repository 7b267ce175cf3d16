"""Button data: what a press claims is read by one codec, which takes only our own layouts."""

from __future__ import annotations

import pytest

from handlers.conversations.buttons import (
    ID_LIMIT,
    LAYOUTS,
    Field,
    Number,
    PeriodText,
    Press,
    Unit,
    Word,
    decode,
    encode,
    unversioned,
)


def test_our_buttons_are_written_with_a_version_and_read_back() -> None:
    assert encode("ak", 42) == "1/ak:42"
    assert decode("1/ak:42") == Press("ak", (42,))
    assert decode("1/ag:42:7") == Press("ag", (42, 7))
    assert decode("1/r:cat:lift") == Press("r", ("cat", "lift"))
    assert decode("1/ub:-1001500") == Press("ub", (-1001500,))
    assert decode("1/xq:42") == Press("xq", (42,)) and decode("1/xq:42:3") == Press("xq", (42, 3))


def test_buttons_from_before_the_version_prefix_still_work() -> None:
    assert decode("ak:42") == Press("ak", (42,))
    assert decode("lg:zh_Hant") == Press("lg", ("zh_Hant",))


@pytest.mark.parametrize(
    "data",
    [
        "ak:99999999999999999999",  # OverflowError once
        f"ak:{ID_LIMIT}",  # beyond a PostgreSQL integer
        "ak:²",  # passes str.isdigit(), fails int()
        "nf:①",
        "ak:٣",  # Arabic-Indic digit
        "ak:0",
        "ak:-1",
        "ak:007",
        "ak: 1",
        "ak:1 ",
        "ak:1e3",
        "ak:",
        "ak",
        "ak:1:2",
        "rt:5:6",  # six stars
        "rt:5:0",
        "xq:5:99",  # more working days than anyone may ask for
        "lg:fr",
        "pd:maybe",
        "r:cat:nonsense",
        "r:est:x",
        "bg:x12",
        "ub:12",  # a private chat is not a group
        "ub:-99999999999999999999",
        "zz:1",
        "9/ak:1",  # a version that does not exist
        "1/",
        "",
        ":",
        "ак:1",  # Cyrillic
        "ak:1\n",
        "x" * 65,
        "rv:ql:0",
        "ss:e:1:2026-13:r:1",  # not a period
        "ss:e:1:2026-1:r:1",  # a period, but not as written back
        "ss:x:1:2026-11:r:1",  # not a kind of scope
        "ty:1:4",
    ],
)
def test_anything_else_is_not_a_button(data: str) -> None:
    assert decode(data) is None


def test_only_valid_buttons_can_be_written() -> None:
    for bad in (("ak", 0), ("ak", None), ("rt", 1, 9), ("zz", 1), ("r", "cat", "nonsense"), ("ak", 1, 2)):
        with pytest.raises(ValueError):
            encode(*bad)


def largest(field: Field) -> object:
    """The longest value a field takes."""
    if isinstance(field, Number):
        return max(field.low, field.high, key=lambda n: len(str(n)))
    if isinstance(field, Word):
        return max(field.choices, key=len)
    if isinstance(field, PeriodText):  # the longest period: a run of days, as written back
        return "9996-01-01..9998-12-31"
    assert isinstance(field, Unit)
    return f"e{ID_LIMIT - 1}"


def test_every_layout_fits_telegrams_64_bytes_at_its_largest() -> None:
    for action, layouts in LAYOUTS.items():
        for layout in layouts:
            data = encode(action, *(largest(f) for f in layout))
            assert len(data.encode()) <= 64, (action, data)


def test_matching_ignores_the_version() -> None:
    assert unversioned("1/ak:42") == "ak:42" and unversioned("ak:42") == "ak:42"


def test_a_ledgers_button_carries_a_month_or_a_quarter_and_old_month_numbers_still_read() -> None:
    assert decode(encode("lx", "o5", "2026Q3", "x")) == Press("lx", ("o5", "2026Q3", "x"))
    assert decode(encode("lx", "e2", "2026-11", "cn")) == Press("lx", ("e2", "2026-11", "cn"))
    assert decode("1/lx:o5:202611:x") == Press("lx", ("o5", 202611, "x"))  # sent before quarters
    assert decode("1/lx:o5:2026Q5:x") is None and decode("1/lx:o5:2026-Q3:x") is None
