"""A disclosure file, already turned into plain rows by bot/documents/revenue_files.py, checked into a
disclosure.

The layout is the same in XLSX and CSV (see README, "Public revenue"): a block of `field | value`
rows (quarter, kind, bank, account, opening, closing), then a table whose header row names the
columns `code | section | item | amount | reference | note`, one line per item. Header cells may be
written in any of the bot's languages, or carry their code in brackets (`金额（元） [amount]`), which
is how the template writes them. Every problem names its row and column; nothing is kept on error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from handlers.ports import Cell, Grid
from handlers.rules.revenue import ITEMS, Disclosure, DisclosureKind, Line, Quarter, mask_account, section_of
from handlers.services.errors import UserError

MAX_FILE_BYTES = 20 * 1024 * 1024  # Telegram's own download limit for bots
MAX_ROWS = 500
# What a file may hold, checked as it is read (bot/documents/revenue_files.py) so that a hostile one costs
# little:
MAX_READ_ROWS = MAX_ROWS + 50  # the items, and the field rows and header above them
MAX_COLUMNS = 64  # the layout has six
MAX_CELL_CHARS = 32_767  # what Excel itself allows in one cell
MAX_TEXT_CHARS = 2_000_000  # all cells together (a filled template holds some 20,000)

# Recognition data (what people type in a header), not display text.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "quarter": ("quarter", "季度", "公示季度"),
    "kind": ("kind", "type", "类别", "類別", "公示类别", "公示類別"),
    "bank": ("bank", "account bank", "开户银行", "開戶銀行", "开户行", "開戶行"),
    "account": ("account", "account number", "专户账号", "專戶帳號", "账号", "帳號"),
    "opening": ("opening", "opening balance", "期初余额", "期初餘額"),
    "closing": ("closing", "closing balance", "期末余额", "期末餘額"),
}
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "代码", "代碼", "项目代码", "項目代碼"),
    "section": ("section", "类别", "類別", "分类", "分類"),
    "item": ("item", "项目", "項目"),
    "amount": ("amount", "amount (yuan)", "金额", "金額", "金额（元）", "金額（元）", "金额(元)", "金額(元)"),
    "reference": (
        "reference",
        "contract / decision",
        "合同或决议",
        "合同或決議",
        "合約或決議",
        "依据",
        "依據",
        "合同/决议编号",
    ),
    "note": ("note", "备注", "備註"),
}
REQUIRED_COLUMNS = ("code", "amount", "reference")
REQUIRED_FIELDS = ("quarter", "bank", "account", "opening", "closing")


@dataclass(frozen=True)
class FileProblem:
    """What is wrong, where: row and column are 1-based as a spreadsheet shows them (column 'C')."""

    code: str
    row: int | None = None
    column: str | None = None
    params: dict[str, object] = field(default_factory=dict)


class RevenueFileError(UserError):
    """The file cannot become a disclosure; `problems` says where and why. Nothing was stored."""

    def __init__(self, problems: list[FileProblem]) -> None:
        super().__init__("revenue_file_invalid", count=len(problems))
        self.problems = problems


@dataclass(frozen=True)
class SheetRead:
    """A document already read into rows off the conversation path (bot/telegram/runtime.py), or why it could
    not be: plain data, so it crosses into the core's process with the update."""

    grid: Grid = field(default_factory=list)
    problems: tuple[FileProblem, ...] = ()

    def rows(self) -> Grid:
        """The rows; RevenueFileError when the file was refused."""
        if self.problems:
            raise RevenueFileError(list(self.problems))
        return self.grid


def column_letter(index: int) -> str:
    """0 → 'A', 26 → 'AA'."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _norm(text: str) -> str:
    return re.sub(r"[\s:：*]+", "", text).lower()


def _code_in(cell: Cell, aliases: dict[str, tuple[str, ...]]) -> str | None:
    if not isinstance(cell, str) or not cell.strip():
        return None
    bracket = re.search(r"\[([a-z_]+)\]\s*$", cell.strip())
    if bracket and bracket.group(1) in aliases:
        return bracket.group(1)
    wanted = _norm(cell)
    for code, names in aliases.items():
        if wanted in {_norm(n) for n in names}:
            return code
    return None


# Thousands separators only where they belong: 1,234,567.89 (1,23.45 is a typo, not 123.45).
_GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?")


def parse_amount(cell: Cell) -> Decimal:
    """Yuan as written in a cell → Decimal; ValueError('text'|'grouping'|'negative'|'precision')."""
    if isinstance(cell, bool):
        raise ValueError("text")
    if isinstance(cell, int | Decimal):
        value = Decimal(cell)
    else:
        text = (cell or "").strip().replace("，", ",").replace("¥", "").replace("￥", "")
        text = text.removesuffix("元").strip()
        if "," in text:
            if not _GROUPED.fullmatch(text.lstrip("-")):
                raise ValueError("grouping")
            text = text.replace(",", "")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError("text") from None
        if not value.is_finite():
            raise ValueError("text")
    if value < 0:
        raise ValueError("negative")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("precision")
    return value


def to_fen(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


# A row that adds up the lines above it, as many people's own sheets have (recognition data).
TOTAL_WORDS = ("合计", "合計", "总计", "總計", "小计", "小計", "total", "subtotal", "sum")


def _is_total(cell: Cell) -> bool:
    return isinstance(cell, str) and _norm(cell).strip("()（）[]") in TOTAL_WORDS


def _blank(row: list[Cell]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def disclosure_from_grid(
    grid: Grid,
    *,
    expected_quarter: Quarter | None = None,
    expected_kind: DisclosureKind | None = None,
    today: date | None = None,
) -> Disclosure:
    """The disclosure the rows describe, or RevenueFileError naming each problem's row and column."""
    problems: list[FileProblem] = []
    if len(grid) > MAX_ROWS:
        raise RevenueFileError([FileProblem("too_many_rows", params={"maximum": MAX_ROWS})])
    fields: dict[str, tuple[int, int, Cell]] = {}  # field → (row, column index, value)
    header_at: int | None = None
    columns: dict[str, int] = {}
    for r, row in enumerate(grid, start=1):
        if _blank(row):
            continue
        found = {_code_in(c, COLUMN_ALIASES): i for i, c in enumerate(row) if _code_in(c, COLUMN_ALIASES)}
        if "code" in found and ("amount" in found or "item" in found or len(found) >= 3):
            header_at, columns = r, {k: v for k, v in found.items() if k is not None}
            break
        key = _code_in(row[0] if row else None, FIELD_ALIASES)
        if key is not None:
            filled = [(i, c) for i, c in enumerate(row) if i > 0 and not _blank([c])]
            fields[key] = (r, filled[0][0], filled[0][1]) if filled else (r, 1, None)
    if header_at is None:
        raise RevenueFileError(
            [FileProblem("no_table_header", params={"columns": ", ".join(REQUIRED_COLUMNS)})]
        )
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            problems.append(FileProblem("missing_column", row=header_at, params={"name": name}))
    for name in REQUIRED_FIELDS:
        if name not in fields:
            problems.append(FileProblem("missing_field", params={"name": name}))
        elif fields[name][2] is None:
            row_no, index, _ = fields[name]
            problems.append(FileProblem("missing_field", row_no, column_letter(index), {"name": name}))
    if problems:
        raise RevenueFileError(problems)

    def value_column(key: str) -> str:
        return column_letter(fields[key][1])

    kind = expected_kind or DisclosureKind.REVENUE
    if "kind" in fields and fields["kind"][2] is not None:
        kind_text = str(fields["kind"][2]).strip().lower()
        try:
            kind = DisclosureKind(kind_text)
        except ValueError:
            problems.append(
                FileProblem("bad_kind", fields["kind"][0], value_column("kind"), {"value": kind_text})
            )
        if expected_kind is not None and kind is not expected_kind:
            problems.append(
                FileProblem(
                    "wrong_kind", fields["kind"][0], value_column("kind"), {"expected": expected_kind.value}
                )
            )
    quarter = Quarter(1, 1)
    q_row, _, q_cell = fields["quarter"]
    try:
        quarter = Quarter.parse(str(q_cell))
    except ValueError:
        problems.append(FileProblem("bad_quarter", q_row, value_column("quarter"), {"value": str(q_cell)}))
    else:
        if expected_quarter is not None and quarter != expected_quarter:
            problems.append(
                FileProblem(
                    "wrong_quarter",
                    q_row,
                    value_column("quarter"),
                    {"value": str(quarter), "expected": str(expected_quarter)},
                )
            )
        elif today is not None and quarter.last_day >= today:
            problems.append(
                FileProblem("quarter_not_over", q_row, value_column("quarter"), {"value": str(quarter)})
            )
    balances: dict[str, int] = {}
    for key in ("opening", "closing"):
        row_no, _, value = fields[key]
        try:
            balances[key] = to_fen(parse_amount(value))
        except ValueError as exc:
            problems.append(FileProblem(f"amount_{exc}", row_no, value_column(key), {"value": str(value)}))
    lines: list[Line] = []
    seen: dict[str, int] = {}
    running = 0  # fen of the lines since the last total row
    for r in range(header_at + 1, len(grid) + 1):
        row = grid[r - 1]
        if _blank(row):
            continue

        def cell(name: str, row: list[Cell] = row) -> Cell:
            i = columns.get(name)
            return row[i] if i is not None and i < len(row) else None

        code_cell = cell("code")
        amount_cell = cell("amount")
        code = str(code_cell).strip() if code_cell is not None else ""
        amount_blank = amount_cell is None or (isinstance(amount_cell, str) and not amount_cell.strip())
        if _is_total(code_cell) or _is_total(cell("item")):
            # A total is accepted and checked: it must be the sum of the lines since the one before.
            if not amount_blank:
                try:
                    total = to_fen(parse_amount(amount_cell))
                except ValueError:
                    total = -1
                if total != running:
                    problems.append(
                        FileProblem(
                            "total_mismatch",
                            r,
                            column_letter(columns["amount"]),
                            {"value": str(amount_cell), "sum": str(Decimal(running).scaleb(-2))},
                        )
                    )
            running = 0
            continue
        if not code:
            if amount_blank:
                continue  # a heading or an empty template row
            problems.append(FileProblem("missing_code", r, column_letter(columns["code"])))
            continue
        section = section_of(kind, code)
        if section is None:
            problems.append(
                FileProblem(
                    "unknown_item",
                    r,
                    column_letter(columns["code"]),
                    {"value": code, "known": ", ".join(i for items in ITEMS[kind].values() for i in items)},
                )
            )
            continue
        if amount_blank:
            continue  # the item did not occur this quarter
        if code in seen:
            problems.append(
                FileProblem(
                    "duplicate_item", r, column_letter(columns["code"]), {"value": code, "first": seen[code]}
                )
            )
            continue
        seen[code] = r
        try:
            fen = to_fen(parse_amount(amount_cell))
        except ValueError as exc:
            problems.append(
                FileProblem(f"amount_{exc}", r, column_letter(columns["amount"]), {"value": str(amount_cell)})
            )
            continue
        reference = str(cell("reference") or "").strip()[:200]
        note = str(cell("note") or "").strip()[:500]
        lines.append(Line(section, code, fen, reference, note))
        running += fen
    bank = str(fields["bank"][2] or "").strip()[:200]
    account = mask_account(str(fields["account"][2] or ""))
    if problems:
        raise RevenueFileError(problems)
    return Disclosure(
        kind=kind,
        quarter=quarter,
        account_bank=bank,
        account_number=account,
        opening_fen=balances["opening"],
        closing_fen=balances["closing"],
        lines=tuple(lines),
    )
