"""The digests as their reader sees them, in their language: the weekly round (每周调度) and the monthly
bulletin (每月通报). Counted when queued (handlers/services/digests.py); names and the oldest overdue
cases' lines are drawn when sent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from handlers.conversations import cards
from handlers.conversations.buttons import encode
from handlers.conversations.io import Button, Send
from handlers.domain.notifications import NoticeKind, Notification
from handlers.domain.people import Person
from handlers.ports import Translator, UnitOfWork
from handlers.rules.ranking import Rate
from handlers.services.digests import rate

KINDS = frozenset({NoticeKind.DIGEST_WEEKLY, NoticeKind.DIGEST_MONTHLY})


def _days(tr: Translator, p: dict[str, Any]) -> str:
    first, last = (tr.format_date(date.fromisoformat(str(p.get(k)))) for k in ("first", "last"))
    return f"{first} – {last}"


def _count(p: dict[str, Any], key: str) -> int:
    value = p.get(key)
    return value if isinstance(value, int) else 0


def weekly(uow: UnitOfWork, tr: Translator, n: Notification, chat: int, now: datetime) -> list[Send]:
    p = n.params
    head = (
        tr.gettext("📋 Weekly round (每周调度) of your area, {days}:")
        if p.get("role") == "official"
        else tr.gettext("📋 Weekly round of your estates, {days}:")
    )
    closed = _count(p, "closed_confirmed") + _count(p, "closed_unconfirmed")
    lines = [
        head.format(days=_days(tr, p)),
        tr.gettext("New cases: {n}").format(n=_count(p, "received")),
        tr.gettext(
            "Closed: {n} ({confirmed} confirmed fixed by the owner, {unconfirmed} closed unconfirmed)"
        ).format(
            n=closed, confirmed=_count(p, "closed_confirmed"), unconfirmed=_count(p, "closed_unconfirmed")
        ),
        tr.gettext("Newly listed for supervision (挂牌督办): {n}").format(n=_count(p, "supervised")),
        tr.gettext("Overdue now: {n}").format(n=_count(p, "overdue")),
    ]
    rows = []
    oldest = p.get("oldest")
    for ticket_id in oldest if isinstance(oldest, list) else []:
        ticket = uow.tickets.get(int(ticket_id))
        if ticket is not None:
            rows.append([Button(cards.ticket_line(tr, ticket, now), encode("cd", ticket.id))])
    if rows:
        lines.append(tr.gettext("The oldest overdue, tap one for its card:"))
    return [Send(chat, "\n".join(lines), rows)]


def _rate(tr: Translator, r: Rate) -> str:
    if not r.cases:
        return "—"
    if not r.ranked:
        return f"{r.hits}/{r.cases}"
    return tr.gettext("{percent}% ({hits}/{cases})").format(percent=r.percent, hits=r.hits, cases=r.cases)


def _ranking(tr: Translator, title: str, part: Any, names: dict[int, str], minimum: int) -> list[str]:
    if not isinstance(part, dict):
        return []
    lines = [title]
    raw = part.get("ranked")
    ranked: list[Any] = raw if isinstance(raw, list) else []
    cut = len(ranked) // 2 if int(part.get("of", 0)) > len(ranked) else -1  # the best, …, the last
    for i, line in enumerate(ranked):
        if i == cut:
            lines.append("…")
        lines.append(
            tr.gettext(
                "{place}. {name}: resolved on time {resolved} · responded in time {responded} · "
                "satisfied {satisfied}"
            ).format(
                place=line[1],
                name=names.get(int(line[0]), "?"),
                resolved=_rate(tr, rate(line, 2, minimum)),
                responded=_rate(tr, rate(line, 4, minimum)),
                satisfied=_rate(tr, rate(line, 6, minimum)),
            )
        )
    if not ranked:
        lines.append(tr.gettext("None with enough cases to rank."))
    unranked = int(part.get("unranked", 0))
    if unranked:
        why = tr.gettext("n < {minimum}, not ranked").format(minimum=minimum)
        lines.append(tr.gettext("{n} more: {why}").format(n=unranked, why=why))
    return lines


def monthly(uow: UnitOfWork, tr: Translator, n: Notification, chat: int) -> list[Send]:
    p = n.params
    minimum = _count(p, "min_sample") or 1
    estates = {e.id or 0: e.name for e in uow.estates.all()}
    companies = {c.id or 0: c.name for c in uow.companies.all()}
    lines = [
        tr.gettext(
            "📊 Monthly bulletin (每月通报) of your area, {days}: companies and estates ranked by the share "
            "of cases resolved on time, then by the number of cases."
        ).format(days=_days(tr, p)),
        "",
        *_ranking(tr, tr.gettext("Companies:"), p.get("companies"), companies, minimum),
        "",
        *_ranking(tr, tr.gettext("Estates:"), p.get("estates"), estates, minimum),
    ]
    return [Send(chat, "\n".join(lines))]


def render(uow: UnitOfWork, tr: Translator, n: Notification, person: Person, now: datetime) -> list[Send]:
    chat = n.chat_id or person.telegram_id or 0
    if n.kind == NoticeKind.DIGEST_WEEKLY:
        return weekly(uow, tr, n, chat, now)
    return monthly(uow, tr, n, chat)
