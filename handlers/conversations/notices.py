"""Turn an owed notification into the messages its recipient reads, in their own language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from handlers.conversations import cards
from handlers.conversations.audience import Audience, audience_for
from handlers.conversations.buttons import encode
from handlers.conversations.io import Button, Edit, Send
from handlers.domain.notifications import NoticeKind, Notification
from handlers.domain.people import Person
from handlers.domain.ticket import Ticket
from handlers.ports import Translator, UnitOfWork
from handlers.rules.lifecycle import Status
from handlers.services.context import Context
from handlers.services.notify import Unreachable
from handlers.services.people import language_of
from handlers.text import DEFAULT_LANG, N_, Lang

Renderer = Callable[[UnitOfWork, Translator, Notification, Ticket, Person], list[Send]]
# Drawn with the clock and the working calendar of the moment it is sent
TimedRenderer = Callable[[UnitOfWork, Translator, Notification, Ticket, Person, Context], list[Send]]


def _chat(n: Notification, person: Person) -> int:
    return n.chat_id or person.telegram_id or 0


def _audience(uow: UnitOfWork, n: Notification, person: Person) -> Audience:
    """The chat the notification goes to: a bound group, or the person's own."""
    return audience_for(uow, _chat(n, person), person.id)


def _card(
    uow: UnitOfWork,
    tr: Translator,
    n: Notification,
    ticket: Ticket,
    person: Person,
    intro: str,
    web_url: str | None = None,
) -> list[Send]:
    audience = _audience(uow, n, person)
    text = intro + "\n\n" + cards.card_text(uow, tr, ticket, audience)
    sends = [
        Send(
            _chat(n, person),
            text,
            cards.card_buttons(uow, tr, ticket, audience, n.created_at, web_url),
            card_key=f"t{ticket.id}",
        )
    ]
    for a in audience.photos(uow, ticket):
        if a.event_id is not None:
            sends.append(Send(_chat(n, person), ticket.number, photo=a.file_id))
    return sends


def _say(n: Notification, person: Person, text: str, buttons: list[list[Button]] | None = None) -> list[Send]:
    return [Send(_chat(n, person), text, buttons or [])]


def _short(tr: Translator, n: Notification, person: Person, t: Ticket, text: str) -> list[Send]:
    """A short message with a button to the card, instead of another copy of the card."""
    return _say(n, person, text, [[Button("📋 " + tr.gettext("Open the ticket"), encode("cd", t.id))]])


def assigned(
    uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person, ctx: Context
) -> list[Send]:
    intro = "🆕 " + (
        tr.gettext("Reopened ticket for you:") if t.reopen_count else tr.gettext("New ticket for you:")
    )
    return _card(uow, tr, n, t, p, intro, ctx.web_url)


def on_call(
    uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person, ctx: Context
) -> list[Send]:
    intro = "🌙 " + tr.gettext("You are on call, and this cannot wait for the office to open:")
    return _card(uow, tr, n, t, p, intro, ctx.web_url)


def simple(message: str) -> Renderer:
    def render(uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person) -> list[Send]:
        params = {k: v for k, v in n.params.items() if isinstance(v, str | int)}
        params.update(number=t.number, due=cards.when(tr, t.due_at))
        return _say(
            n,
            p,
            tr.gettext(message).format(**params),
            [[Button("🕘 " + tr.gettext("Timeline"), encode("tl", t.id))]],
        )

    return render


def photo_added(uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person) -> list[Send]:
    """The owner added a photo: the photo, then a line to open the ticket (the photo is the reporter's:
    a group gets it only as the ticket's privacy allows, as any of their photos)."""
    text = tr.gettext("📷 The owner added a photo to {number}.").format(number=t.number)
    file_id = str(n.params.get("file_id") or "")
    shown = {a.file_id for a in _audience(uow, n, p).photos(uow, t)}
    photo = [Send(_chat(n, p), t.number, photo=file_id)] if file_id in shown else []
    return [*photo, *_short(tr, n, p, t, text)]


def question(uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person) -> list[Send]:
    text = tr.gettext(
        "❓ Property staff ask about {number}:\n“{question}”\n\nThe clock is paused until you answer."
    ).format(number=t.number, question=n.params.get("question", ""))
    return _say(n, p, text, [[Button("✍️ " + tr.gettext("Reply"), encode("rp", t.id))]])


def answer(uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person) -> list[Send]:
    intro = tr.gettext("💬 The owner answered about {number}:\n“{answer}”").format(
        number=t.number, answer=n.params.get("answer", "")
    )
    return _short(tr, n, p, t, intro)


def resolved(uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person) -> list[Send]:
    text = tr.gettext(
        "✔️ {number} is marked resolved:\n“{note}”\n\nIs it fixed? If you do not answer, it closes "
        "unconfirmed on {close_at}."
    ).format(number=t.number, note=n.params.get("note", ""), close_at=_iso(tr, n.params.get("close_at")))
    sends = _say(
        n,
        p,
        text,
        [
            [
                Button("👍 " + tr.gettext("Yes, fixed"), encode("cf", t.id)),
                Button("👎 " + tr.gettext("No, not fixed"), encode("nf", t.id)),
            ]
        ],
    )
    photos = [a for a in _audience(uow, n, p).photos(uow, t) if a.added_by != t.reporter_id]
    if photos:
        sends.insert(0, Send(_chat(n, p), t.number, photo=photos[-1].file_id))
    return sends


def _iso(tr: Translator, value: object) -> str:
    from datetime import datetime

    try:
        return cards.when(tr, datetime.fromisoformat(str(value)))
    except ValueError:
        return "—"


def rejection_review(uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person) -> list[Send]:
    intro = tr.gettext("⚖️ The company declined {number} as not its responsibility. Please decide.").format(
        number=t.number
    )
    return _card(uow, tr, n, t, p, intro)


def department(uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person) -> list[Send]:
    intro = tr.gettext("📣 A case has been transferred to your department (吹哨报到):\n“{note}”").format(
        note=n.params.get("note", "")
    )
    return _card(uow, tr, n, t, p, intro)


REMINDER: dict[str, str] = {
    "remind_half": N_("⏰ Half the time for {number} has passed. Deadline: {due}."),
    "remind_before": N_("⏰ {number} is due soon: {due}."),
    "remind_deadline": N_("⏰ {number} is due now ({due}); if it stays open it goes up to the community."),
    "remind_overdue": N_("🔴 {number} is overdue since {due}."),
}
# How long after the deadline each rung comes is the ticket's policy; the card's first lines say how
# overdue the case is when it is read (`cards.standing`), so these say no figure of their own.
ESCALATION_REASON: dict[str, str] = {
    "manager": N_("not acknowledged in time"),
    "community": N_("the deadline passed"),
    "street": N_("still not resolved well after the deadline"),
    "bureau": N_(
        "still not resolved long after the deadline, and now listed for supervision by the district "
        "housing bureau (挂牌督办)"
    ),
}


def reminder(uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person) -> list[Send]:
    template = REMINDER.get(str(n.params.get("action")), REMINDER["remind_overdue"])
    return _short(tr, n, p, t, tr.gettext(template).format(number=t.number, due=cards.when(tr, t.due_at)))


def escalated(
    uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person, ctx: Context
) -> list[Send]:
    """A rung's card: why it came up, how overdue the case is now and its status, then the card.
    Drawn when the outbox sends it, so the working days are counted to that moment."""
    rung = str(n.params.get("rung"))
    reason = tr.gettext(ESCALATION_REASON.get(rung, ESCALATION_REASON["community"]))
    intro = tr.gettext("⬆️ {number} has been escalated to you: {reason}.").format(
        number=t.number, reason=reason
    )
    intro += "\n" + cards.standing(tr, t, ctx.calendar(uow), ctx.clock.now())
    return _card(uow, tr, n, t, p, intro, ctx.web_url)


def office_name(uow: UnitOfWork, n: Notification) -> str:
    """The office a notice speaks of, by the name the setup file gives it (older notices carry it)."""
    office = uow.offices.get(int(n.params.get("office_id") or 0)) if n.params.get("office_id") else None
    return office.name if office else str(n.params.get("office") or "")


def urged(uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person) -> list[Send]:
    intro = tr.gettext("📢 {office} urges action on {number} (督办):\n“{note}”").format(
        office=office_name(uow, n), number=t.number, note=n.params.get("note", "")
    )
    return _short(tr, n, p, t, intro)


@dataclass(frozen=True)
class AboutOffice:
    """A notice to the owner naming the office that now has their case (as the setup file names it);
    `unreached` instead when nobody at that office could be reached, so they were not told."""

    message: str
    unreached: str | None = None

    def __call__(self, uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person) -> list[Send]:
        chosen = self.unreached if self.unreached and n.params.get("unreached") else self.message
        text = tr.gettext(chosen).format(number=t.number, office=office_name(uow, n) or "—")
        return _say(n, p, text, [[Button("🕘 " + tr.gettext("Timeline"), encode("tl", t.id))]])


def about_office(message: str, unreached: str | None = None) -> Renderer:
    return AboutOffice(message, unreached)


WHY_UNREACHABLE: dict[Unreachable, str] = {
    Unreachable.NO_TELEGRAM: N_("no Telegram account linked yet"),
    Unreachable.BLOCKED: N_("blocked the bot"),
    Unreachable.GONE: N_("no longer in the bot"),
}


def _why(stored: object) -> Unreachable:
    """The reason a notice's params give (its plain value); one not known reads as gone."""
    try:
        return Unreachable(str(stored))
    except ValueError:
        return Unreachable.GONE


def unreached(uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person) -> list[Send]:
    """To the project managers: the rung's office could not be told through the bot, and why for each
    of its people, so they can phone them."""
    people = n.params.get("people")
    lines = []
    for entry in people if isinstance(people, list) else []:
        name = cards.person_name(uow, tr, int(entry.get("person_id") or 0)) or "?"
        why = tr.gettext(WHY_UNREACHABLE[_why(entry.get("why"))])
        # TRANSLATORS: one person of an office the bot could not reach, and why.
        lines.append(tr.gettext("• {name}: {why}").format(name=name, why=why))
    office = office_name(uow, n) or "—"
    if not lines:
        lines.append(tr.gettext("• nobody at {office} is set up in the bot").format(office=office))
    text = tr.gettext(
        "⚠️ {number} has been escalated to {office}, but nobody there can be reached through the bot, so "
        "they have not been told:\n{people}\nPlease phone them about it."
    ).format(number=t.number, office=office, people="\n".join(lines))
    return _short(tr, n, p, t, text)


def extension_requested(uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person) -> list[Send]:
    intro = tr.gettext(
        "⏳ The company asks for {days} more working day(s) on {number}, until {until}."
    ).format(days=n.params.get("days", "?"), number=t.number, until=_iso(tr, n.params.get("until")))
    return _card(uow, tr, n, t, p, intro)[:1]


def extension_decided(message: str) -> Renderer:
    def render(uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person) -> list[Send]:
        text = tr.gettext(message).format(number=t.number, until=_iso(tr, n.params.get("until")))
        return _say(n, p, text, [[Button("🕘 " + tr.gettext("Timeline"), encode("tl", t.id))]])

    return render


def refresh(
    uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person, ctx: Context
) -> list[Send | Edit]:
    """Edit each card of this ticket in the person's chats (and the groups it was posted to for them)
    to show the ticket as it is now, drawn for that chat; a chat that may no longer see the ticket
    keeps only a line saying so."""
    edits: list[Send | Edit] = []
    for c in uow.cards.of_ticket(t.id or 0):
        if c.person_id != p.id or (c.shown_version is not None and c.shown_version >= t.version):
            continue  # another's card, or one a press already drew as the ticket is now
        audience = audience_for(uow, c.chat_id, p.id)
        if audience.sees_ticket(uow, t):
            text = "🔄 " + cards.card_text(uow, tr, t, audience)
            edits.append(
                Edit(
                    c.chat_id,
                    c.message_id,
                    text,
                    cards.card_buttons(uow, tr, t, audience, n.created_at, ctx.web_url),
                )
            )
        else:
            edits.append(
                Edit(
                    c.chat_id,
                    c.message_id,
                    tr.gettext("{number}: no longer shown here.").format(number=t.number),
                )
            )
    return edits


_closed_unconfirmed_notice = simple(
    N_(
        "{number} was closed without your confirmation after the quiet period. "
        "If it is not fixed, open it from /my and say so."
    )
)


def closed_unconfirmed(uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person) -> list[Send]:
    """Closed for an owner who stayed quiet: said so, then, as a question of its own, how satisfied they
    are, so satisfaction is not drawn from confirmed fixes alone (not if they rated it, or reopened it,
    before this went out)."""
    sends = _closed_unconfirmed_notice(uow, tr, n, t, p)
    if t.status is Status.CLOSED_UNCONFIRMED and t.rating is None:
        question = tr.gettext(
            "How satisfied are you with how {number} was handled? Your rating counts whether or not "
            "you confirmed the fix."
        ).format(number=t.number)
        sends += _say(
            n, p, "⭐ " + question, [[Button("⭐" * k, encode("rt", t.id, k)) for k in range(1, 6)]]
        )
    return sends


RENDERERS: dict[str, Renderer] = {
    NoticeKind.TICKET_REMINDER: reminder,
    NoticeKind.TICKET_SUPERVISED: about_office(
        N_(
            "🏛 {number} has been listed for supervision (挂牌督办) by {office}, the district housing "
            "bureau: it follows the case until it is resolved, and the property company must report to it."
        ),
        N_(
            "🏛 {number} has been listed for supervision (挂牌督办) by {office}, the district housing "
            "bureau, but nobody there can be reached through the bot yet, so they have not been told. "
            "The project manager has been asked to phone them."
        ),
    ),
    NoticeKind.TICKET_CHASED: about_office(
        N_("📈 {number} is past its deadline and has been escalated to {office}, which now follows it up."),
        N_(
            "📈 {number} is past its deadline and has been escalated to {office}, but nobody there can be "
            "reached through the bot yet, so they have not been told. The project manager has been asked "
            "to phone them."
        ),
    ),
    NoticeKind.TICKET_UNREACHED: unreached,
    NoticeKind.TICKET_URGED_OWNER: about_office(
        N_("📢 {office} has urged the property company to act on {number}.")
    ),
    NoticeKind.TICKET_URGED: urged,
    NoticeKind.TICKET_EXTENSION_REQUESTED: extension_requested,
    NoticeKind.TICKET_EXTENSION_GRANTED: extension_decided(
        N_("⏳ The community granted more time for {number}: the new deadline is {until}.")
    ),
    NoticeKind.TICKET_EXTENSION_REFUSED: extension_decided(
        N_("The community refused more time for {number}; the deadline stays.")
    ),
    NoticeKind.TICKET_COMMENT: simple(N_("💬 A comment on {number}:\n“{comment}”")),
    NoticeKind.TICKET_UNASSIGNED: simple(
        N_("↪️ {number} was reassigned to someone else. No action needed from you.")
    ),
    NoticeKind.TICKET_ACKNOWLEDGED: simple(
        N_("✅ Your report {number} was acknowledged by the property staff. Deadline: {due}.")
    ),
    NoticeKind.TICKET_STARTED: simple(N_("🔧 Work has started on {number}.")),
    NoticeKind.TICKET_QUESTION: question,
    NoticeKind.TICKET_PHOTO: photo_added,
    NoticeKind.TICKET_ANSWER: answer,
    NoticeKind.TICKET_RESOLVED: resolved,
    NoticeKind.TICKET_CONFIRMED: simple(N_("🎉 The owner confirmed {number} is fixed. Closed.")),
    NoticeKind.TICKET_RATED: simple(N_("⭐ The owner rated {number}: {stars} of 5.")),
    NoticeKind.TICKET_CLOSED_UNCONFIRMED: closed_unconfirmed,
    NoticeKind.TICKET_REJECTED: simple(
        N_(
            "The property company says {number} is not its responsibility:\n“{reason}”\n"
            "The community committee will decide."
        )
    ),
    NoticeKind.TICKET_REJECTION_REVIEW: rejection_review,
    NoticeKind.TICKET_DEPARTMENT: department,
    NoticeKind.TICKET_TRANSFERRED: simple(
        N_("📣 {number} was transferred to a government department, which must report on it.")
    ),
    NoticeKind.TICKET_WITHDRAWN: simple(N_("{number} was withdrawn by the owner. No action needed.")),
    NoticeKind.TICKET_RETURNED: simple(
        N_(
            "↩️ The department sent {number} back to the property company, which must handle it now. "
            "Deadline: {due}."
        )
    ),
}


TIMED_RENDERERS: dict[str, TimedRenderer] = {
    NoticeKind.TICKET_ESCALATED: escalated,
    NoticeKind.TICKET_ASSIGNED: assigned,
    NoticeKind.TICKET_ON_CALL: on_call,
    NoticeKind.CARD_REFRESH: refresh,  # type: ignore[dict-item]
}


def _unit_name(uow: UnitOfWork, code: str) -> str:
    kind, number = code[:1], code[1:]
    found = (uow.offices if kind == "o" else uow.estates).get(int(number)) if number.isdigit() else None
    return found.name if found else "?"


def group_notice(uow: UnitOfWork, tr: Translator, n: Notification, person: Person) -> list[Send]:
    """A group was bound to (or unbound from) the recipient's estate or office, by a colleague."""
    by = uow.people.get(int(n.params.get("by") or 0))
    params = {
        "by": by.display_name if by else "?",
        "title": str(n.params.get("title") or n.params.get("chat_id")),
        "unit": _unit_name(uow, str(n.params.get("unit", ""))),
    }
    if n.kind == NoticeKind.GROUP_UNBOUND:
        text = tr.gettext("👥 {by} unbound the group “{title}” from {unit}.").format(**params)
        return _say(n, person, text)
    text = tr.gettext(
        "👥 {by} bound the group “{title}” to {unit}: ticket cards are now also posted there, without "
        "reporters' names. If that group should not get them, unbind it."
    ).format(**params)
    chat_id = int(n.params.get("chat_id") or 0)
    buttons = (
        [[Button("✖️ " + tr.gettext("Unbind that group"), encode("ub", chat_id))]]
        if uow.groups.get(chat_id)
        else []
    )
    return _say(n, person, text, buttons)


GROUP_KINDS = frozenset({NoticeKind.GROUP_BOUND, NoticeKind.GROUP_UNBOUND})


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
    if n.kind in GROUP_KINDS:
        return group_notice(uow, tr, n, person)
    renderer, timed = RENDERERS.get(n.kind), TIMED_RENDERERS.get(n.kind)
    if (renderer is None and timed is None) or ticket is None:
        return []
    # Drawn for who may read it now, not when it was queued: someone who left, a department whose case
    # went back, a group unbound meanwhile gets nothing (a card already there is only edited).
    if n.kind != NoticeKind.CARD_REFRESH and not _audience(uow, n, person).sees_ticket(uow, ticket):
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
    why = WHY_UNREACHABLE[_why(n.params.get("instead_why"))]
    # TRANSLATORS: above a message passed up to a manager or an office because its person cannot be told.
    line = tr.gettext("↪️ Passed to you: {name} cannot be told in Telegram ({why}).").format(
        name=cards.person_name(uow, tr, whom) or "?", why=tr.gettext(why)
    )
    return [replace(parts[0], text=f"{line}\n\n{parts[0].text}"), *parts[1:]]
