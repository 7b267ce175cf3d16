"""/stats [period] [estate, company or office]: the supervision figures of what the reader governs.

/stats ─▶ the report, page 1 ─▶ ◀ ▶ pages · ranked by response / on time / satisfaction (ss: edits the
      │                          report in place)
      ├▶ a committee member: their estate's open tickets, a page at a time (so) ─▶ a ticket's card
      └▶ the chart (a photo), owed through the outbox and drawn there: it follows the answer, which
         does not wait on the drawing (stats_notices.py)
"""

from __future__ import annotations

from handlers.conversations import cards, stats_notices
from handlers.conversations import stats_text as st
from handlers.conversations.buttons import SCOPE_CODES, encode
from handlers.conversations.io import Button
from handlers.conversations.turn import Turn
from handlers.domain.ticket import Ticket
from handlers.rules.periods import Period
from handlers.services import stats
from handlers.services.figures import Scope, ScopeKind
from handlers.services.stats import RateKind, StatsView

TICKETS_PER_PAGE = 15
_RATE_CODES = {RateKind.RESPONSE: "a", RateKind.RESOLUTION: "r", RateKind.SATISFACTION: "s"}
_RATE_OF_CODE = {code: kind for kind, code in _RATE_CODES.items()}
_KIND_OF_CODE = {code: ScopeKind(kind) for kind, code in SCOPE_CODES.items()}


def _period_and_scope(turn: Turn, text: str) -> tuple[Period | None, Scope | None] | None:
    """What /stats was given: a period, the name of an estate, company or office, or both (the period
    first). None, with the reason said, when neither can be read."""
    words = text.strip()
    if not words:
        return None, None
    try:
        return Period.parse(words), None
    except ValueError:
        pass
    first, _, rest = words.partition(" ")
    period: Period | None = None
    if first[:1].isdigit():  # meant as a period
        try:
            period = Period.parse(first)
        except ValueError:
            turn.say(
                turn.t(
                    "“{text}” is not a period I can read. Write a month like 2026-11, a quarter like "
                    "2026Q3 or 2026年第三季度, or days like 2026-11-01..2026-11-15.",
                    text=first,
                )
            )
            return None
        words = rest.strip()
        if not words:
            return period, None
    with turn.ctx.uow() as uow:
        scope = stats.find_scope(uow, words)
    if scope is None:
        turn.say(
            turn.t(
                "I know no estate, company, community, street or district called “{name}”.",
                name=words,
            )
        )
        return None
    return period, scope


def show(turn: Turn) -> None:
    """/stats: the report's first page, a committee member's open tickets, then the chart (owed)."""
    read = _period_and_scope(turn, turn.inc.text)
    if read is None:
        return
    period, scope = read
    today = turn.ctx.clock.now().astimezone(turn.ctx.tz).date()
    view = stats.stats_view(turn.ctx, turn.person_id, period or stats.last_complete_month(today), scope)
    _report(turn, view, RateKind.RESOLUTION, 1, in_place=False)
    if view.open_tickets is not None:
        _open_tickets(turn, view.scope.id, view.scope.name, view.open_tickets, 1, in_place=False)
    if turn.ctx.documents is not None:  # charts can be drawn here
        with turn.ctx.uow() as uow:
            stats_notices.owe_chart(uow, turn.ctx, turn.inc, turn.person, view)
            uow.commit()


def _scope_of(view: StatsView) -> tuple[str, int]:
    return SCOPE_CODES[view.scope.kind.value], view.scope.id


def _report(turn: Turn, view: StatsView, by: RateKind, page: int, in_place: bool) -> None:
    head, body = st.report_lines(turn.tr, view, by)
    found = st.pages(head, body)
    page = min(max(page, 1), len(found))
    text = found[page - 1]
    if len(found) > 1:
        text += "\n\n" + turn.t("Page {page} of {pages}", page=page, pages=len(found))
    kind, sid = _scope_of(view)
    period = str(view.period)
    rows: list[list[Button]] = []
    if len(view.estates) + len(view.companies) > 2:
        rows.append(
            [
                Button(
                    ("✓ " if k is by else "") + turn.t(st.RATE_NAMES[k]),
                    encode("ss", kind, sid, period, _RATE_CODES[k], 1),
                )
                for k in RateKind
            ]
        )
    pager = []
    if page > 1:
        pager.append(
            Button("◀ " + turn.t("Previous"), encode("ss", kind, sid, period, _RATE_CODES[by], page - 1))
        )
    if page < len(found):
        pager.append(
            Button(turn.t("Next") + " ▶", encode("ss", kind, sid, period, _RATE_CODES[by], page + 1))
        )
    if pager:
        rows.append(pager)
    if in_place:
        turn.edit_pressed(text, rows)
    else:
        turn.say(text, rows)


def page(turn: Turn) -> None:
    """A report's other page, or the same report ranked by another rate (the press names the scope and
    the period: the reader's rights are checked again, as for any input)."""
    kind, sid, period, rate, number = (turn.arg(i) for i in range(5))
    view = stats.stats_view(turn.ctx, turn.person_id, Period.parse(period), Scope(_KIND_OF_CODE[kind], sid))
    turn.toast()
    _report(turn, view, _RATE_OF_CODE[rate], number, in_place=True)


def _open_tickets(
    turn: Turn, estate_id: int, estate: str, tickets: list[Ticket], page: int, in_place: bool
) -> None:
    if not tickets:
        turn.say(turn.t("Nothing open at {estate}. 👍", estate=estate))
        return
    now = turn.ctx.clock.now()
    pages = -(-len(tickets) // TICKETS_PER_PAGE)
    page = min(max(page, 1), pages)
    shown = tickets[(page - 1) * TICKETS_PER_PAGE : page * TICKETS_PER_PAGE]
    rows = [[Button(cards.ticket_line(turn.tr, t, now), encode("cd", t.id))] for t in shown]
    pager = []
    if page > 1:
        pager.append(Button("◀ " + turn.t("Previous"), encode("so", estate_id, page - 1)))
    if page < pages:
        pager.append(Button(turn.t("Next") + " ▶", encode("so", estate_id, page + 1)))
    if pager:
        rows.append(pager)
    text = "📋 " + turn.t(
        "Open tickets at {estate}: {n}. Tap one for its card.", estate=estate, n=len(tickets)
    )
    if pages > 1:
        text += "\n" + turn.t("Page {page} of {pages}", page=page, pages=pages)
    if in_place:
        turn.edit_pressed(text, rows)
    else:
        turn.say(text, rows)


def tickets_page(turn: Turn) -> None:
    """Another page of a committee member's open tickets."""
    estate_id = turn.arg(0)
    name, tickets = stats.committee_tickets(turn.ctx, turn.person_id, estate_id)
    turn.toast()
    _open_tickets(turn, estate_id, name, tickets, turn.arg(1), in_place=True)


BUTTONS = {"ss": page, "so": tickets_page}
