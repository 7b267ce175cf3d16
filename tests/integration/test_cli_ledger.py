"""`wuye report ledger`: the office's monthly ledger written to a file, the kept version again byte for
byte, GBK CSV on request, and one line (exit 2, no file) for a bad office key or month."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from bot.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "setup.yaml"


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    for name in ("WUYE_DATABASE_URL", "WUYE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    result = CliRunner().invoke(app, ["load", str(EXAMPLE), "--database-url", url])
    assert result.exit_code == 0, result.output
    return url


def ledger(url: str, out: Path, *options: str) -> tuple[int, str, str]:
    args = ["report", "ledger", str(out), "--database-url", url, *options]
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def test_the_ledger_is_written_and_the_kept_version_written_again_unchanged(
    loaded: str, tmp_path: Path
) -> None:
    first, second, as_csv = tmp_path / "a.xlsx", tmp_path / "b.xlsx", tmp_path / "a.csv"
    code, out, _ = ledger(loaded, first, "--office", "jialian-street", "--month", "2025-11")
    assert code == 0 and "version 1 (0 tickets), built now and kept" in out
    book = openpyxl.load_workbook(io.BytesIO(first.read_bytes()))
    assert book.sheetnames == ["问题台账", "成果指标", "典型案例"]
    assert book["问题台账"]["A4"].value == "本月没有案件。"
    code, out, _ = ledger(loaded, second, "--office", "jialian-street", "--month", "2025-11")
    assert code == 0 and "as kept on" in out and second.read_bytes() == first.read_bytes()
    code, _, _ = ledger(loaded, as_csv, "--office", "jialian-street", "--month", "2025-11", "--csv")
    assert code == 0 and as_csv.read_bytes().decode("gbk").startswith("编号,小区,")
    code, out, _ = ledger(loaded, second, "--office", "jialian-street", "--month", "2025-11", "--new")
    assert code == 0 and "version 2" in out and second.read_bytes() != first.read_bytes()


def test_a_quarters_ledger_is_written_in_any_of_its_spellings_and_kept_once(
    loaded: str, tmp_path: Path
) -> None:
    first, second = tmp_path / "q.xlsx", tmp_path / "q2.xlsx"
    code, out, _ = ledger(loaded, first, "--office", "jialian-street", "--quarter", "2025Q3")
    assert code == 0 and "2025Q3, version 1 (0 tickets), built now and kept" in out
    book = openpyxl.load_workbook(io.BytesIO(first.read_bytes()))
    assert "（2025年第三季度，第 1 版）" in book["问题台账"]["A1"].value
    assert book["问题台账"]["A4"].value == "本季度没有案件。"
    for spelling in ("2025-Q3", "2025q3"):
        code, out, _ = ledger(loaded, second, "--office", "jialian-street", "--quarter", spelling)
        assert code == 0 and "2025Q3, version 1" in out and "as kept on" in out
        assert second.read_bytes() == first.read_bytes()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--office", "nowhere", "--month", "2025-11"], "wuye: --office: 'nowhere': no office with that key"),
        (
            ["--office", "siming-chengguan", "--month", "2025-11"],
            "wuye: --office: 'siming-chengguan': a department",
        ),
        (["--office", "jialian-street", "--month", "2025-13"], "wuye: --month: '2025-13': not a month"),
        (
            ["--office", "jialian-street", "--month", "2999-01"],
            "wuye: --month: '2999-01': that month is not over",
        ),
        (["--office", "jialian-street", "--quarter", "2025Q5"], "wuye: --quarter: '2025Q5': not a quarter"),
        (["--office", "jialian-street", "--quarter", "2025-11"], "wuye: --quarter: '2025-11': not a quarter"),
        (["--office", "jialian-street", "--month", "2025Q3"], "wuye: --month: '2025Q3': not a month"),
        (
            ["--office", "jialian-street", "--quarter", "2999Q1"],
            "wuye: --quarter: '2999Q1': that quarter is not over",
        ),
        (["--office", "jialian-street"], "wuye: give --month (e.g. 2026-11) or --quarter"),
        (
            ["--office", "jialian-street", "--month", "2025-11", "--quarter", "2025Q3"],
            "wuye: give --month (e.g. 2026-11) or --quarter",
        ),
    ],
    ids=[
        "unknown-office",
        "department",
        "malformed-month",
        "future-month",
        "malformed-quarter",
        "a-month-as-quarter",
        "a-quarter-as-month",
        "future-quarter",
        "neither",
        "both",
    ],
)
def test_a_bad_office_or_month_is_one_line_and_writes_nothing(
    loaded: str, tmp_path: Path, options: list[str], expected: str
) -> None:
    target = tmp_path / "out.xlsx"
    code, out, err = ledger(loaded, target, *options)
    assert code == 2 and not target.exists() and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(expected), err
