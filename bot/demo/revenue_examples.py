"""A realistic quarter of 海滨花园's public revenue, as the shipped example files are made.

`python -m bot.demo.revenue_examples examples/` writes examples/revenue-2026Q3.xlsx and
examples/revenue-2026Q3-gbk.csv; the demo and the tests use the same figures."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.documents.revenue_files import template_rows, write_csv, write_xlsx
from handlers.ports import Translator
from handlers.rules.revenue import DisclosureKind
from handlers.text import NullTranslator

# item → (yuan, contract or decision). Income 186,400.00; costs 52,780.00; uses 70,000.00.
AMOUNTS_2026Q3: dict[str, tuple[str, str]] = {
    "parking": ("96000.00", "HB-TC-2024-003 地面停车位租赁合同"),
    "ads_lift": ("36000.00", "HB-GG-2025-011 电梯广告合同"),
    "ads_barrier": ("4800.00", "HB-GG-2025-012 道闸广告合同"),
    "venue_rent": ("18000.00", "HB-ZL-2023-007 会所场地租赁合同"),
    "express_lockers": ("7200.00", "HB-KD-2024-002 快递柜进场协议"),
    "vending": ("2400.00", "HB-SH-2024-005 自动售水机协议"),
    "base_station": ("20000.00", "HB-JZ-2022-001 通信基站租赁合同"),
    "interest": ("2000.00", ""),
    "tax": ("10250.00", ""),
    "energy": ("3600.00", ""),
    "labour": ("6000.00", ""),
    "management_share": ("27960.00", "物业服务合同第十二条 (15%)"),
    "other_cost": ("4970.00", ""),
    "to_maintenance_fund": ("70000.00", ""),
}
OPENING_2026Q3 = "215000.00"
CLOSING_2026Q3 = "278620.00"  # 215,000 + 186,400 − 52,780 − 70,000
BANK = "中国工商银行厦门莲前支行"
ACCOUNT = "4100 0211 0920 0456 789"


def example_rows(tr: Translator, quarter: str = "2026Q3") -> list[list[str]]:
    return template_rows(
        tr,
        DisclosureKind.REVENUE,
        quarter=quarter,
        bank=BANK,
        account=ACCOUNT,
        opening=OPENING_2026Q3,
        closing=CLOSING_2026Q3,
        amounts=AMOUNTS_2026Q3,
    )


def example_xlsx(tr: Translator | None = None) -> bytes:
    return write_xlsx(example_rows(tr or NullTranslator()))


def example_csv_gbk(tr: Translator | None = None) -> bytes:
    return write_csv(example_rows(tr or NullTranslator()), encoding="gbk")


def main(argv: list[str]) -> None:
    from bot.i18n.translator import load_translations

    out = Path(argv[0] if argv else "examples")
    tr = load_translations().for_lang("zh_Hans")
    (out / "revenue-2026Q3.xlsx").write_bytes(example_xlsx(tr))
    (out / "revenue-2026Q3-gbk.csv").write_bytes(example_csv_gbk(tr))
    print(f"wrote {out / 'revenue-2026Q3.xlsx'} and {out / 'revenue-2026Q3-gbk.csv'}")


if __name__ == "__main__":
    main(sys.argv[1:])
