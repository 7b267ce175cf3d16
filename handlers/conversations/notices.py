"""Turn an owed notification into the messages its recipient reads, in their own language: which family
of notices draws it (a ticket's, a disclosure's, a digest, a report sent up, a chart, a group bound),
for whom it may be drawn now, and the line on a copy passed up in someone's place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from handlers.conversations import cards, group_notices
from handlers.conversations.io import Send
from handlers.conversations.notice_rendering import WHY_UNREACHABLE, audience_of, why_unreachable
from handlers.conversations.ticket_notices import RENDERERS, TIMED_RENDERERS
from handlers.domain.notifications import NoticeKind, Notification
from handlers.ports import Translator, UnitOfWork
from handlers.services.context import Context
from handlers.services.people import language_of
from handlers.text import DEFAULT_LANG, Lang


def render(
    uow: UnitOfWork,
    tr_for: Callable[[Lang], Translator],
    n: Notification,
    ctx: Context,
    for_web: bool = False,
) -> list[Send]:
    """The messages for one notification, drawn now (`ctx`: the clock and the working calendar);
    empty when its recipient or ticket is gone. `for_web`: drawn for the web pages of someone with no
    Telegram chat (the private reader's view; chat 0)."""
    person = uow.people.get(n.person_id)
    if person is None or person.deleted_at is not None:
        return []
    if not for_web and not person.telegram_id and not n.chat_id:
        return []
    ticket = uow.tickets.get(n.ticket_id) if n.ticket_id else None
    # Someone who never chose a language (a manager from the setup file who never wrote) reads their
    # estate's, or else that of the estate the notice is about.
    about = ticket.estate_id if ticket is not None else n.params.get("estate_id")
    lang: Lang = language_of(uow, person, about if isinstance(about, int) else None) or DEFAULT_LANG
    tr = tr_for(lang)
    from handlers.conversations import revenue_notices  # disclosures: notices without a ticket

    if n.kind in revenue_notices.KINDS:
        return revenue_notices.render(uow, tr, n, person)
    from handlers.conversations import digest_notices  # the weekly round and the monthly bulletin

    if n.kind in digest_notices.KINDS:
        return digest_notices.render(uow, tr, n, person, ctx.clock.now())
    from handlers.conversations import report_notices  # the report calendar: drafts and ledgers sent up

    if n.kind in report_notices.KINDS:
        return report_notices.render(uow, tr, n, person)
    from handlers.conversations import stats_notices  # the /stats chart, after the figures

    if n.kind in stats_notices.KINDS:
        return stats_notices.render(ctx, tr, n, person)
    if n.kind in group_notices.KINDS:
        return group_notices.render(uow, tr, n, person)
    renderer, timed = RENDERERS.get(n.kind), TIMED_RENDERERS.get(n.kind)
    if (renderer is None and timed is None) or ticket is None:
        return []
    # Drawn for who may read it now, not when it was queued: someone who left, a department whose case
    # went back, a group unbound meanwhile gets nothing (a card already there is only edited).
    if n.kind != NoticeKind.CARD_REFRESH and not audience_of(uow, n, person).sees_ticket(uow, ticket):
        return []
    if timed is not None:
        return in_place_of(uow, tr, n, timed(uow, tr, n, ticket, person, ctx))
    assert renderer is not None
    return in_place_of(uow, tr, n, renderer(uow, tr, n, ticket, person))


def in_place_of(uow: UnitOfWork, tr: Translator, n: Notification, parts: list[Send]) -> list[Send]:
    """A copy passed up to the next person (handlers/services/notify.py `pass_up`): its first message
    says whom it stands in for and why they are not told in Telegram themselves."""
    whom = n.params.get("instead_of")
    if not isinstance(whom, int) or not parts:
        return parts
    why = WHY_UNREACHABLE[why_unreachable(n.params.get("instead_why"))]
    # TRANSLATORS: above a message passed up to a manager or an office because its person cannot be told.
    line = tr.gettext("↪️ Passed to you: {name} cannot be told in Telegram ({why}).").format(
        name=cards.person_name(uow, tr, whom) or "?", why=tr.gettext(why)
    )
    return [replace(parts[0], text=f"{line}\n\n{parts[0].text}"), *parts[1:]]
