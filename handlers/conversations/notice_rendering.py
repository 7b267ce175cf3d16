"""How each notice about a ticket is drawn for its reader: its card with a line on top, a short line with a
button to the card, or a sentence of its own; for the chat it goes to (a bound group sees what the
ticket's privacy lets it), in the reader's language, at the moment it is sent. Which notice is drawn
by which is the table in ticket_notices.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handlers.conversations import cards
from handlers.conversations.audience import Audience, audience_for
from handlers.conversations.buttons import encode
from handlers.conversations.io import Button, Edit, Send
from handlers.domain.notifications import Notification
from handlers.domain.people import Person
from handlers.domain.ticket import Ticket
from handlers.ports import Translator, UnitOfWork
from handlers.rules.lifecycle import Status
from handlers.services.context import Context
from handlers.services.notify import Unreachable
from handlers.text import N_

Renderer = Callable[[UnitOfWork, Translator, Notification, Ticket, Person], list[Send]]
# Drawn with the clock and the working calendar of the moment it is sent
TimedRenderer = Callable[[UnitOfWork, Translator, Notification, Ticket, Person, Context], list[Send]]


def chat_of(n: Notification, person: Person) -> int:
    """The chat a notification goes to: the group it names, or the person's own."""
    return n.chat_id or person.telegram_id or 0


def audience_of(uow: UnitOfWork, n: Notification, person: Person) -> Audience:
    """The chat the notification goes to: a bound group, or the person's own."""
    return audience_for(uow, chat_of(n, person), person.id)


def _card(
    uow: UnitOfWork,
    tr: Translator,
    n: Notification,
    ticket: Ticket,
    person: Person,
    intro: str,
    web_url: str | None = None,
) -> list[Send]:
    audience = audience_of(uow, n, person)
    text = intro + "\n\n" + cards.card_text(uow, tr, ticket, audience)
    sends = [
        Send(
            chat_of(n, person),
            text,
            cards.card_buttons(uow, tr, ticket, audience, n.created_at, web_url),
            card_key=f"t{ticket.id}",
        )
    ]
    for a in audience.photos(uow, ticket):
        if a.event_id is not None:
            sends.append(Send(chat_of(n, person), ticket.number, photo=a.file_id))
    return sends


def say(n: Notification, person: Person, text: str, buttons: list[list[Button]] | None = None) -> list[Send]:
    """One message in the notification's chat."""
    return [Send(chat_of(n, person), text, buttons or [])]


def _short(tr: Translator, n: Notification, person: Person, t: Ticket, text: str) -> list[Send]:
    """A short message with a button to the card, instead of another copy of the card."""
    return say(n, person, text, [[Button("📋 " + tr.gettext("Open the ticket"), encode("cd", t.id))]])


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
        return say(
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
    shown = {a.file_id for a in audience_of(uow, n, p).photos(uow, t)}
    photo = [Send(chat_of(n, p), t.number, photo=file_id)] if file_id in shown else []
    return [*photo, *_short(tr, n, p, t, text)]


def question(uow: UnitOfWork, tr: Translator, n: Notification, t: Ticket, p: Person) -> list[Send]:
    text = tr.gettext(
        "❓ Property staff ask about {number}:\n“{question}”\n\nThe clock is paused until you answer."
    ).format(number=t.number, question=n.params.get("question", ""))
    return say(n, p, text, [[Button("✍️ " + tr.gettext("Reply"), encode("rp", t.id))]])


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
    sends = say(
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
    photos = [a for a in audience_of(uow, n, p).photos(uow, t) if a.added_by != t.reporter_id]
    if photos:
        sends.insert(0, Send(chat_of(n, p), t.number, photo=photos[-1].file_id))
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
        return say(n, p, text, [[Button("🕘 " + tr.gettext("Timeline"), encode("tl", t.id))]])


def about_office(message: str, unreached: str | None = None) -> Renderer:
    return AboutOffice(message, unreached)


WHY_UNREACHABLE: dict[Unreachable, str] = {
    Unreachable.NO_TELEGRAM: N_("no Telegram account linked yet"),
    Unreachable.BLOCKED: N_("blocked the bot"),
    Unreachable.GONE: N_("no longer in the bot"),
}


def why_unreachable(stored: object) -> Unreachable:
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
        why = tr.gettext(WHY_UNREACHABLE[why_unreachable(entry.get("why"))])
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
        return say(n, p, text, [[Button("🕘 " + tr.gettext("Timeline"), encode("tl", t.id))]])

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
        sends += say(n, p, "⭐ " + question, [[Button("⭐" * k, encode("rt", t.id, k)) for k in range(1, 6)]])
    return sends
