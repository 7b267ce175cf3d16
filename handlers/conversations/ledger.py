"""/ledger 2026-11 [csv] [new]: the month's ledger (台账) as a spreadsheet, for an official's area or a
project manager's estate; /ledger 2026Q3 the quarter's. The version kept is sent again unchanged; `new`
builds a corrected one.

/ledger MONTH|QUARTER ─▶ one scope: the file
             └▶ several: a button per scope (lx) ─▶ the file
"""

from __future__ import annotations

from datetime import date

from handlers.conversations.buttons import encode
from handlers.conversations.errors import explain
from handlers.conversations.io import Button
from handlers.conversations.ledger_sheets import LEDGER_LANG, drawer, period_label
from handlers.conversations.turn import Turn
from handlers.rules.periods import Period
from handlers.services import ledger as service
from handlers.services.errors import UserError
from handlers.services.ledger import LedgerScope
from handlers.text import N_

MESSAGES: dict[str, str] = {
    "ledger_month_missing": N_(
        "Which month or quarter? Write it like this: /ledger 2026-11 or /ledger 2026Q3 (add csv for a "
        "CSV file, new for a corrected version)."
    ),
    "ledger_month": N_(
        "“{text}” is not a month or a quarter. Write it like this: /ledger 2026-11 or /ledger 2026Q3 "
        "(add csv for a CSV file, new for a corrected version)."
    ),
    "ledger_month_open": N_("{period} is not over yet: its ledger can be made from {ready}."),
    "ledger_nobody": N_(
        "Only community, street and district officials (for their area) and project managers (for "
        "their estate) keep a monthly ledger."
    ),
    "ledger_not_yours": N_("That ledger is not yours to ask for."),
    "ledger_department": N_("A department keeps no monthly ledger."),
}


def explain_ledger(turn: Turn, error: UserError) -> str:
    template = MESSAGES.get(error.code)
    if template is None:
        return explain(turn.tr, error)
    params = dict(error.params)
    if isinstance(params.get("ready"), date):
        params["ready"] = turn.tr.format_date(params["ready"])
    if "month" in params:
        params["period"] = period_label(turn.tr, str(params.pop("month")))
    return turn.t(template, **params)


def _today(turn: Turn) -> date:
    return turn.ctx.clock.now().astimezone(turn.ctx.tz).date()


def command(turn: Turn) -> None:
    """/ledger 2026-11 [csv] [new]"""
    words = turn.inc.text.split()
    flags = {w.lower() for w in words if w.lower() in ("csv", "new")}
    rest = [w for w in words if w.lower() not in ("csv", "new")]
    if not rest:
        usage = MESSAGES["ledger_month_missing"]
        turn.say(turn.t(usage))
        return
    try:
        period = service.ledger_period(" ".join(rest), _today(turn))
    except UserError as exc:
        turn.say(explain_ledger(turn, exc))
        return
    try:
        governed = service.governed_scope(turn.ctx, turn.person_id, None)
    except UserError as exc:
        if exc.code != "ledger_choose":
            turn.say(explain_ledger(turn, exc))
            return
        mode = ("c" if "csv" in flags else "x") + ("n" if "new" in flags else "")
        scopes = service.ledger_scopes(turn.ctx, turn.person_id)
        rows = [[Button("📒 " + s.name, encode("lx", s.token, str(period), mode))] for s in scopes]
        turn.say(turn.t("Which ledger of {month}?", month=period_label(turn.tr, period)), rows)
        return
    _send(turn, governed, period, "csv" in flags, "new" in flags)


def chosen(turn: Turn) -> None:
    """A scope's button (lx): the ledger of that scope and period (2026-11, 2026Q3; 202611 on a button
    from before quarters)."""
    token, raw, mode = turn.arg(0), turn.arg(1), turn.arg(2)
    text = f"{raw // 100}-{raw % 100}" if isinstance(raw, int) else str(raw)
    try:
        period = service.ledger_period(text, _today(turn))
        governed = service.governed_scope(turn.ctx, turn.person_id, token)
    except UserError as exc:
        turn.toast(explain_ledger(turn, exc), alert=True)
        return
    turn.toast()
    _send(turn, governed, period, mode.startswith("c"), mode.endswith("n"))


def _send(turn: Turn, governed: LedgerScope, period: Period, as_csv: bool, new: bool) -> None:
    documents = turn.ctx.documents
    if documents is None:
        turn.say(turn.t("Files cannot be made here."))
        return
    words = turn.translators(LEDGER_LANG) if turn.translators is not None else turn.tr
    found = service.ledger(turn.ctx, governed, period, drawer(documents, words), turn.person_id, new)
    version = found.version
    params = {
        "scope": governed.name,
        "month": period_label(turn.tr, period),
        "version": version.version,
        "rows": version.rows,
        "command": f"/ledger {period} new",
    }
    if found.fresh:
        caption = turn.t(
            "Ledger of {scope}, {month}: version {version}, {rows} tickets, built now and kept. Asking "
            "again sends this same file; {command} builds a corrected version.",
            **params,
        )
    else:
        caption = turn.t(
            "Ledger of {scope}, {month}: version {version} as kept on {built} ({rows} tickets), the "
            "same file. {command} builds a new version from today's records.",
            built=turn.tr.format_datetime(version.built_at),
            **params,
        )
    data = version.csv if as_csv else version.xlsx
    assert data is not None  # a kept version without its files is rebuilt, never sent
    turn.say(caption, document=data, filename=found.filename(as_csv))


BUTTONS = {"lx": chosen}
