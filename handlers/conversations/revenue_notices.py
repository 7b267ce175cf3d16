"""The messages the outbox sends about disclosures, rendered in the recipient's language."""

from __future__ import annotations

from handlers.conversations import labels
from handlers.conversations import revenue_text as rt
from handlers.conversations.buttons import encode
from handlers.conversations.io import Button, Send
from handlers.domain.notifications import NoticeKind, Notification
from handlers.domain.people import Person
from handlers.ports import Translator, UnitOfWork
from handlers.services.revenue import to_rules
from handlers.text import N_

KINDS = frozenset(
    {
        NoticeKind.REVENUE_PUBLISHED,
        NoticeKind.REVENUE_REVISED,
        NoticeKind.REVENUE_REMINDER,
        NoticeKind.REVENUE_MISSED,
    }
)
REMINDER = N_(
    "⏰ {kind}, {quarter}: the disclosure of {estate} is due on {due}. Send the filled template here "
    "(/revenue_template)."
)
MISSED = N_(
    "🔴 {kind}, {quarter}: {estate} did not publish its disclosure by {due}. The estate has been "
    "marked; see /disclosure."
)


def render(uow: UnitOfWork, tr: Translator, n: Notification, person: Person) -> list[Send]:
    chat = n.chat_id or person.telegram_id or 0
    p = n.params
    if n.kind in (NoticeKind.REVENUE_REMINDER, NoticeKind.REVENUE_MISSED):
        estate = uow.estates.get(int(str(p.get("estate_id", 0))))
        if estate is None:
            return []
        from datetime import date

        template = REMINDER if n.kind == NoticeKind.REVENUE_REMINDER else MISSED
        text = tr.gettext(template).format(
            kind=labels.label(tr, rt.KIND_LABELS, p.get("kind")),
            estate=estate.name,
            quarter=rt.quarter_label(tr, str(p.get("quarter", ""))),
            due=tr.format_date(date.fromisoformat(str(p.get("due")))),
        )
        return [Send(chat, text)]
    disclosure = uow.disclosures.get(int(str(p.get("disclosure_id", 0))))
    if disclosure is None:
        return []
    estate = uow.estates.get(disclosure.estate_id)
    figures = to_rules(disclosure)
    money = tr.format_money
    head = (
        tr.gettext("📢 {title} has been published ({timing}).")
        if n.kind == NoticeKind.REVENUE_PUBLISHED
        else tr.gettext("✏️ {title} was corrected (revision {revision}): {reason}")
    )
    lines = [
        head.format(
            title=rt.title(tr, disclosure.kind, estate.name if estate else "", disclosure.quarter),
            timing=tr.gettext("on time") if p.get("on_time") else tr.gettext("late"),
            revision=disclosure.revision,
            reason=disclosure.reason or "",
        ),
        tr.gettext("Income {income} · costs {costs} · net {net} · closing balance {closing}").format(
            income=money(figures.income_fen),
            costs=money(figures.costs_fen),
            net=money(figures.net_fen),
            closing=money(figures.closing_fen),
        ),
    ]
    return [
        Send(
            chat,
            "\n".join(lines),
            [[Button("📊 " + tr.gettext("Details"), encode("rv", "v", disclosure.id))]],
        )
    ]
