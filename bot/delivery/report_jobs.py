"""The report calendar's sweep as the scheduler, `wuye chat` and the demo run it: with the ledger's
files written by the bot's workbook writer, in the filing language (handlers/conversations/ledger_sheets.py).

A function of the context alone, so a core process runs it with its own (bot/processes/core_process.py)."""

from __future__ import annotations

from functools import cache

from bot.i18n.translator import load_translations
from handlers.conversations.ledger_sheets import LEDGER_LANG, drawer
from handlers.ports import Translator
from handlers.services.context import Context
from handlers.services.ledger import Draw
from handlers.services.report_calendar import CalendarReport
from handlers.services.report_calendar import sweep_reports as sweep


@cache
def _words() -> Translator:
    """The filing language's words, read once per process (reading the catalogs costs a second)."""
    return load_translations().for_lang(LEDGER_LANG)


def ledger_draw(ctx: Context) -> Draw | None:
    return drawer(ctx.documents, _words()) if ctx.documents is not None else None


def sweep_reports(ctx: Context) -> CalendarReport:
    """Drafts due now, and reports that go up automatically (handlers/services/report_calendar.py)."""
    return sweep(ctx, ledger_draw(ctx))
