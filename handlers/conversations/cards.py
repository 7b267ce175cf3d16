"""How a ticket looks to each reader: the card, the one-line summary and the timeline."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from handlers.conversations import labels, revenue_text
from handlers.conversations.audience import Audience
from handlers.conversations.buttons import encode
from handlers.conversations.io import Button
from handlers.domain.people import ERASED_PERSON_KEY
from handlers.domain.ticket import Ticket, TicketEvent, TypicalCase
from handlers.ports import Translator, UnitOfWork
from handlers.rules.categories import Category, Privacy
from handlers.rules.lifecycle import OPEN_STATUSES, Event, Status
from handlers.rules.policy import Rung
from handlers.rules.worktime import WorkCalendar
from handlers.text import N_

# The three parts of an official's typical case (典型案例), as the monthly ledger names them.
CASE_PARTS = {
    "background": N_("Background (基本情况)"),
    "handling": N_("Handling (处理过程)"),
    "outcome": N_("Outcome (处理结果)"),
}
CASE_EXCERPT = 160  # characters of each part on a card; its ⭐ button shows them whole


def reporter_label(uow: UnitOfWork, tr: Translator, ticket: Ticket, audience: Audience) -> str:
    """The reporter as the privacy choice allows this chat's readers to see them."""
    if ticket.reporter_id is None:
        return tr.gettext("An owner (data deleted)")
    if audience.actor is not None and audience.actor.id == ticket.reporter_id and not audience.group:
        return tr.gettext("You")
    if not audience.sees_reporter(uow, ticket):
        if audience.group and ticket.privacy is not Privacy.NOBODY:
            return tr.gettext("An owner (the name is shown only in private chats, as they chose)")
        return tr.gettext("An owner (name withheld at their request)")
    person = uow.people.get(ticket.reporter_id)
    name = person.display_name if person else "?"
    if not ticket.reporter_unit:
        return name
    # TRANSLATORS: the reporter's name and their unit; Chinese uses full-width brackets.
    return tr.gettext("{name} ({unit})").format(name=name, unit=ticket.reporter_unit)


def questioned_line(uow: UnitOfWork, tr: Translator, ticket: Ticket) -> str | None:
    """For an owner's question about a disclosure: which line of which quarter, in the reader's words."""
    link = uow.disclosures.question_of(ticket.id or 0)
    disclosure = uow.disclosures.get(link.disclosure_id) if link else None
    line = next((x for x in disclosure.lines if link and x.id == link.line_id), None) if disclosure else None
    estate = uow.estates.get(ticket.estate_id)
    if disclosure is None or line is None or estate is None:
        return None
    return tr.gettext("Line questioned: {line} · {disclosure}").format(
        line=revenue_text.item_label(tr, line.item),
        disclosure=revenue_text.title(tr, disclosure.kind, estate.name, disclosure.quarter),
    )


def when(tr: Translator, moment: datetime | None) -> str:
    return tr.format_datetime(moment) if moment else "—"


def headline(tr: Translator, ticket: Ticket) -> str:
    icon = labels.CATEGORY_ICON.get(ticket.category, "")
    return f"{icon} {ticket.number} · {labels.label(tr, labels.CATEGORY, ticket.category)}"


def ticket_line(tr: Translator, ticket: Ticket, now: datetime) -> str:
    """One line for lists: number, status, deadline, overdue mark."""
    status = labels.label(tr, labels.STATUS, ticket.status)
    line = f"{ticket.number} · {status}"
    if ticket.status in OPEN_STATUSES and ticket.due_at:
        line += " · " + tr.gettext("due {when}").format(when=when(tr, ticket.due_at))
        if ticket.due_at < now and ticket.status is not Status.WAITING_OWNER:
            line = "🔴 " + line + " · " + tr.gettext("OVERDUE")
    if ticket.supervised:
        line = "🏛 " + line
    return line


def standing(tr: Translator, ticket: Ticket, calendar: WorkCalendar, now: datetime) -> str:
    """How overdue the case is, in working days of the estate's calendar, and its status now: the
    line a rung's card opens with, drawn when it is sent so the figure is that moment's."""
    status = labels.label(tr, labels.STATUS, ticket.status)
    due = ticket.due_at
    if ticket.status not in OPEN_STATUSES or ticket.status is Status.WAITING_OWNER or due is None:
        return tr.gettext("Status now: {status}.").format(status=status)
    if due > now:
        return tr.gettext("Not overdue yet (deadline {when}); status now: {status}.").format(
            when=when(tr, due), status=status
        )
    days = calendar.working_days_since(due, now)
    if days == 0:
        return "🔴 " + tr.gettext(
            "Overdue since {when}, less than a working day; status now: {status}."
        ).format(when=when(tr, due), status=status)
    return "🔴 " + tr.ngettext(
        "Overdue by {n} working day (deadline {when}); status now: {status}.",
        "Overdue by {n} working days (deadline {when}); status now: {status}.",
        days,
    ).format(n=days, when=when(tr, due), status=status)


def card_text(uow: UnitOfWork, tr: Translator, ticket: Ticket, audience: Audience) -> str:
    estate = uow.estates.get(ticket.estate_id)
    lines = [headline(tr, ticket)]
    if ticket.supervised:
        lines.append("🏛 " + tr.gettext("Listed for supervision by the district housing bureau (挂牌督办)"))
    lines.append(
        tr.gettext("Status: {status} · {urgency}").format(
            status=labels.label(tr, labels.STATUS, ticket.status),
            urgency=labels.label(tr, labels.URGENCY, ticket.urgency),
        )
    )
    if estate:
        lines.append(tr.gettext("Estate: {name}").format(name=estate.name))
    if ticket.location:
        lines.append(tr.gettext("Place: {place}").format(place=ticket.location))
    if ticket.category is Category.REVENUE_DISCLOSURE and (questioned := questioned_line(uow, tr, ticket)):
        lines.append(questioned)
    lines.append(tr.gettext("Reporter: {who}").format(who=reporter_label(uow, tr, ticket, audience)))
    lines.append("")
    lines.append(ticket.description)
    lines.append("")
    if ticket.status in (Status.NEW, Status.ASSIGNED, Status.REOPENED) and ticket.ack_due_at:
        lines.append(tr.gettext("Acknowledge by: {when}").format(when=when(tr, ticket.ack_due_at)))
    if ticket.status in OPEN_STATUSES and ticket.due_at:
        deadline = tr.gettext("Deadline: {when}").format(when=when(tr, ticket.due_at))
        if ticket.deadline_provisional:
            deadline += " " + tr.gettext("(provisional: holidays for that year not yet published)")
        lines.append(deadline)
    if ticket.status is Status.WAITING_OWNER:
        lines.append(tr.gettext("The clock is paused until the owner answers."))
    if ticket.assignee_id:
        assignee = person_name(uow, tr, ticket.assignee_id)
        if assignee:
            lines.append(tr.gettext("Handled by: {name}").format(name=assignee))
    if ticket.rung > 0:
        from handlers.rules.policy import RUNG_ORDER

        rung = RUNG_ORDER[min(ticket.rung, len(RUNG_ORDER) - 1)]
        lines.append(tr.gettext("Escalated to: {rung}").format(rung=labels.label(tr, labels.RUNG, rung)))
    if ticket.extension_requested_until is not None:
        lines.append(
            tr.gettext("More time requested until {when}; the community decides.").format(
                when=when(tr, ticket.extension_requested_until)
            )
        )
    if ticket.reject_reason and ticket.status is Status.REJECTED:
        lines.append(tr.gettext("Company's reason: {reason}").format(reason=ticket.reject_reason))
    if ticket.reopen_count:
        lines.append(tr.gettext("Reopened {n} time(s)").format(n=ticket.reopen_count))
    case = typical_case(uow, ticket, audience)
    if case is not None:
        lines += ["", *case_lines(tr, case, CASE_EXCERPT)]
    return "\n".join(lines).strip()


def typical_case(uow: UnitOfWork, ticket: Ticket, audience: Audience) -> TypicalCase | None:
    """The ticket's typical-case mark, for the supervising offices' readers only (it is their note)."""
    if audience.office_over(uow, ticket) is None:
        return None
    return uow.typical_cases.get(ticket.id or 0)


def case_lines(tr: Translator, case: TypicalCase, excerpt: int | None = None) -> list[str]:
    """The mark and its three parts (each cut to `excerpt` characters, if given)."""
    lines = ["⭐ " + tr.gettext("Typical case (典型案例)")]
    for part, name in CASE_PARTS.items():
        text = str(getattr(case, part))
        if excerpt is not None and len(text) > excerpt:
            text = text[: excerpt - 1] + "…"
        # Translators: a part of a typical case and what the official wrote: "Background (基本情况): ..."
        lines.append(tr.gettext("{part}: {text}").format(part=tr.gettext(name), text=text))
    return lines


def ticket_page_url(web_url: str | None, number: str) -> str | None:
    """The ticket's web page as a Telegram Mini App, when the pages have a public https address
    (Telegram opens Mini Apps over https only); None otherwise."""
    if not web_url or not web_url.startswith("https://"):
        return None
    return f"{web_url.rstrip('/')}/app?t={quote(number)}"


def ticket_page_row(tr: Translator, ticket: Ticket, audience: Audience, web_url: str | None) -> list[Button]:
    """A button opening the ticket's page inside Telegram, for a private chat only: Telegram allows Mini
    App buttons nowhere else, and a group's readers are people the page would not let in."""
    url = ticket_page_url(web_url, ticket.number)
    if url is None or audience.group:
        return []
    return [Button("📱 " + tr.gettext("Open the page"), "", web_app=url)]


def card_buttons(
    uow: UnitOfWork,
    tr: Translator,
    ticket: Ticket,
    audience: Audience,
    now: datetime | None = None,
    web_url: str | None = None,
) -> list[list[Button]]:
    """The actions the chat's readers may take on the ticket now (a group: its bound unit's), and, in a
    private chat when the web pages have an https address (`web_url`), its page as a Mini App."""
    tid = ticket.id
    rows: list[list[Button]] = []
    if audience.handles(ticket):
        if ticket.status in (Status.ASSIGNED, Status.REOPENED):
            rows.append([Button("✅ " + tr.gettext("Acknowledge"), encode("ak", tid))])
        if ticket.status is Status.ACKNOWLEDGED:
            rows.append([Button("🔧 " + tr.gettext("Start work"), encode("st", tid))])
        if ticket.status in (Status.ACKNOWLEDGED, Status.IN_PROGRESS):
            rows.append(
                [
                    Button("❓ " + tr.gettext("Ask the owner"), encode("as", tid)),
                    Button("✔️ " + tr.gettext("Resolve"), encode("rs", tid)),
                ]
            )
        if ticket.status in (Status.ASSIGNED, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED):
            row = [Button("↪️ " + tr.gettext("Reassign"), encode("tr", tid))]
            if (
                ticket.extension_requested_until is None
                and ticket.due_at
                and now is not None
                and ticket.due_at > now
            ):
                row.append(Button("⏳ " + tr.gettext("Ask for more time"), encode("xq", tid)))
            rows.append(row)
    elif audience.department(ticket):
        rows.append(
            [
                Button("✔️ " + tr.gettext("Resolve"), encode("rs", tid)),
                Button("↩️ " + tr.gettext("Not ours: back to the company"), encode("rb", tid)),
            ]
        )
    office = audience.office_over(uow, ticket)
    if office is not None and ticket.status in OPEN_STATUSES:
        if ticket.status is Status.REJECTED:
            rows.append([Button("↩️ " + tr.gettext("Send back to the company"), encode("ob", tid))])
        if ticket.status is not Status.TRANSFERRED:
            rows.append([Button("📣 " + tr.gettext("Transfer to a department"), encode("td", tid))])
        rows.append(
            [
                Button("📢 " + tr.gettext("Urge the company"), encode("ug", tid)),
                Button("💬 " + tr.gettext("Comment"), encode("cm", tid)),
            ]
        )
        if ticket.extension_requested_until is not None:
            rows.append(
                [
                    Button("⏳ " + tr.gettext("Grant more time"), encode("xg", tid)),
                    Button("✖️ " + tr.gettext("Refuse more time"), encode("xr", tid)),
                ]
            )
    if office is not None:  # open or closed: a case is often marked typical once it is over
        marked = uow.typical_cases.get(tid or 0) is not None
        label = tr.gettext("Typical case: view, edit") if marked else tr.gettext("Mark as a typical case")
        rows.append([Button("⭐ " + label, encode("ty", tid))])
    page = ticket_page_row(tr, ticket, audience, web_url)
    if page:
        rows.append(page)
    rows.append([Button("🕘 " + tr.gettext("Timeline"), encode("tl", tid))])  # last: /my leaves it out
    return rows


def timeline(uow: UnitOfWork, tr: Translator, ticket: Ticket, audience: Audience) -> str:
    """Every step of the ticket, oldest first, with who did it as far as the chat's readers may know."""
    steps: list[tuple[datetime, str]] = []
    for event in uow.events.of_ticket(ticket.id or 0):
        who = _actor_name(uow, tr, ticket, event.actor_id, audience)
        line = f"{when(tr, event.at)} · {_event_label(uow, tr, event)}"
        if who:
            line += f" · {who}"
        if event.data.get("stars"):
            line += " · " + "⭐" * int(event.data["stars"])
        if event.note:
            line += f"\n    “{event.note}”"
        steps.append((event.at, line))
    case = typical_case(uow, ticket, audience)
    if case is not None:  # the officials' mark, where it falls among the steps
        for at, by, what in (
            (case.marked_at, case.marked_by, N_("Marked as a typical case (典型案例)")),
            (case.updated_at, case.updated_by, N_("Typical case edited")),
        ):
            if at is not None:
                who = person_name(uow, tr, by) if by is not None else ""
                line = f"{when(tr, at)} · ⭐ {tr.gettext(what)}" + (f" · {who}" if who else "")
                # before the first step after it; the events keep their recorded order
                later = next((i for i, (t, _) in enumerate(steps) if t > at), len(steps))
                steps.insert(later, (at, line))
    return "\n".join([headline(tr, ticket), "", *(line for _, line in steps)])


def _event_label(uow: UnitOfWork, tr: Translator, event: TicketEvent) -> str:
    """What happened; an escalation says to whom: the office by the name the setup file gives it."""
    if event.event is not Event.ESCALATE:
        return labels.label(tr, labels.EVENT, event.event)
    office = uow.offices.get(int(event.data["office_id"])) if event.data.get("office_id") else None
    if office is not None:
        text = tr.gettext("Escalated to {office}").format(office=office.name)
    else:  # the project manager, or an escalation recorded before the office was
        rung = str(event.data.get("rung", ""))
        to = labels.ESCALATED_TO.get(Rung(rung)) if rung in {r.value for r in Rung} else None
        text = tr.gettext(to or labels.EVENT[Event.ESCALATE])
    if event.data.get("unreached"):
        text += " " + tr.gettext("(nobody there could be reached through the bot)")
    return text


def _actor_name(
    uow: UnitOfWork, tr: Translator, ticket: Ticket, actor_id: int | None, audience: Audience
) -> str:
    if actor_id is None:
        return tr.gettext("system")
    if actor_id == ticket.reporter_id:
        return reporter_label(uow, tr, ticket, audience)
    return person_name(uow, tr, actor_id)


def person_name(uow: UnitOfWork, tr: Translator, person_id: int) -> str:
    """Staff and officials by the name the setup file gives them; an erased person by nobody's."""
    person = uow.people.get(person_id)
    if person is None:
        return ""
    if person.key == ERASED_PERSON_KEY:
        return tr.gettext("Someone whose data was deleted")
    return person.display_name
