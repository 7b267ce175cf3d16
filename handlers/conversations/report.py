"""An owner reports a problem: category, description, photos, place, urgency, privacy, confirm.

The conversation is the table `REPORT` at the end of this module (drawn in docs/flows.md): in each
state, which press or message leads to which step, and where each step may lead. What each question
asks, the summary and the draft they fill in are in report_questions.py.

begin ─▶ [estate] ─▶ category ─▶ description ─▶ photos ─▶ location ─▶ urgency ─▶ privacy ─▶ confirm
                      │                                                    edit ─▶ (one step) ─▶ confirm
                      └ 🚨 emergency: call 119 / 110 / 96333 first, then offer to record
"""

from __future__ import annotations

import secrets
from datetime import datetime

from handlers.conversations import engine, files, labels
from handlers.conversations.buttons import encode
from handlers.conversations.engine import END, MESSAGE, PHOTO, TEXT, Flow, Move, pressed
from handlers.conversations.errors import explain
from handlers.conversations.io import Button, Kind
from handlers.conversations.report_questions import (
    ASK,
    EDITABLE,
    ReportDraft,
    ask_after,
    ask_category,
    ask_description,
    draft_text,
    emergency_text,
    photo_buttons,
)
from handlers.conversations.turn import Turn
from handlers.domain.organisations import Company
from handlers.domain.ticket import Ticket
from handlers.rules.categories import Category, Privacy, Urgency
from handlers.rules.worktime import Duration, DurationUnit
from handlers.services import tickets
from handlers.services.after_hours import held_until
from handlers.services.errors import UserError


def begin(turn: Turn, description: str | None = None) -> None:
    """/report: a new report."""
    draft = ReportDraft()
    state = _fill(turn, draft, description)
    if state != END:
        engine.start(turn, REPORT, state, draft)


def _fill(turn: Turn, d: ReportDraft, description: str | None) -> str:
    """A new report in `d`; `description` when the owner already wrote what is wrong (outside the flow).
    The first question asked, or END for someone who has no home to report about."""
    homes = turn.actor().owner_roles()
    if not homes:
        turn.say(explain(turn.tr, UserError("join_first")))
        return END
    estates = sorted({r.estate_id for r in homes if r.estate_id})
    d.key, d.description, d.photos = new_draft_key(), description or None, ()
    if len(estates) > 1:
        with turn.ctx.uow() as uow:
            rows = [[Button(uow.estates.get(e).name, encode("r", "est", e))] for e in estates]  # type: ignore[union-attr]
        turn.say(turn.t("Which estate is it about?"), rows)
        return "estate"
    d.estate_id = estates[0]
    return ask_category(turn, d)


def offer(turn: Turn) -> bool:
    """Something an owner wrote outside any conversation ("楼道的灯坏了好几天了"): offer to report it,
    with those words as the description. False when it is not for that (not an owner, too short)."""
    draft = ReportDraft()
    if not _offer(turn, draft):
        return False
    engine.start(turn, REPORT, "offer", draft)
    return True


def _offer(turn: Turn, d: ReportDraft) -> bool:
    if turn.inc.chat_id != turn.inc.user_id or not turn.actor().owner_roles():
        return False
    try:
        text = tickets.check_text(
            turn.inc.text,
            field_name="description",
            minimum=tickets.DESCRIPTION_MIN,
            maximum=tickets.DESCRIPTION_MAX,
        )
    except UserError:
        return False
    d.text = text
    turn.say(
        turn.t("Shall I report this to the property company?") + "\n\n" + text,
        [
            [
                Button("📝 " + turn.t("Report it"), encode("r", "txt")),
                Button(turn.t("No, thanks"), encode("r", "no")),
            ]
        ],
    )
    return True


def new_draft_key() -> str:
    """The draft's own id, kept with the ticket it opens: a report the bot handles twice (the process
    died after filing it, before noting the update handled) finds its ticket instead of a second one."""
    return secrets.token_hex(16)


# ---- the steps: each takes the turn and the draft, and returns the state the report is in after it ----
# A press that answers the current question turns its message into the next question (Turn.in_place).


def report_it(turn: Turn, d: ReportDraft) -> str:
    """Offered: yes, report what they wrote."""
    turn.in_place = True
    description, d.text = d.text, None
    return _fill(turn, d, description)


def no_thanks(turn: Turn, d: ReportDraft) -> str:
    turn.edit_pressed(turn.t("All right. /help shows what I can do."))
    return END


def look_afresh(turn: Turn, d: ReportDraft) -> str:
    """Offered, and not answered: what they write now is looked at afresh."""
    if turn.inc.kind is Kind.TEXT and _offer(turn, d):
        return "offer"
    turn.say(turn.t("I did not understand that."))
    return END


def owns_estate(turn: Turn, d: ReportDraft) -> bool:
    return turn.arg(1) in {r.estate_id for r in turn.actor().owner_roles()}


def choose_estate(turn: Turn, d: ReportDraft) -> str:
    d.estate_id, d.photos = turn.arg(1), ()
    return ask_category(turn, d)


def emergency(turn: Turn, d: ReportDraft) -> str:
    turn.edit_pressed(emergency_text(turn), [[Button(turn.t("Record it too"), encode("r", "rec"))]])
    return "emergency"


def record_emergency(turn: Turn, d: ReportDraft) -> str:
    d.urgency = Urgency.EMERGENCY
    return ask_category(turn, d)


def choose_category(turn: Turn, d: ReportDraft) -> str:
    turn.in_place = True
    d.category = Category(turn.arg(1))
    turn.edit_pressed(turn.t("Category: {name}", name=labels.label(turn.tr, labels.CATEGORY, d.category)))
    if d.editing or d.description:
        # changed from the summary, or the owner wrote what is wrong before the report began
        return ask_after(turn, d, "description")
    return ask_description(turn, d)


def describe(turn: Turn, d: ReportDraft) -> str:
    try:
        d.description = tickets.check_text(
            turn.inc.text,
            field_name="description",
            minimum=tickets.DESCRIPTION_MIN,
            maximum=tickets.DESCRIPTION_MAX,
        )
    except UserError as exc:
        turn.say(explain(turn.tr, exc))
        return "description"
    return ask_after(turn, d, "description")


def describe_in_words(turn: Turn, d: ReportDraft) -> str:
    turn.say(turn.t("Please describe the problem in words; photos come next."))
    return "description"


def add_photo(turn: Turn, d: ReportDraft) -> str:
    if files.photo_problem(turn) is not None or not turn.inc.file_id:
        return photo_or_done(turn, d)
    if len(d.photos) >= tickets.MAX_PHOTOS:
        turn.say(turn.t("At most {maximum} photos, please.", maximum=tickets.MAX_PHOTOS))
        return "photos"
    d.photos = (*d.photos, (turn.inc.file_id, turn.inc.file_unique_id))
    if len(d.photos) >= tickets.MAX_PHOTOS:
        return ask_after(turn, d, "photos")
    turn.say(
        turn.t("Photo {n} of at most {maximum} received.", n=len(d.photos), maximum=tickets.MAX_PHOTOS),
        [[Button(turn.t("Done"), encode("r", "done"))]],
    )
    return "photos"


def photo_or_done(turn: Turn, d: ReportDraft) -> str:
    problem = files.photo_problem(turn)
    turn.say(problem or turn.t("Send a photo, or press “Done” or “Skip”."), photo_buttons(turn))
    return "photos"


def photos_done(turn: Turn, d: ReportDraft) -> str:
    turn.in_place = True
    return ask_after(turn, d, "photos")


def place(turn: Turn, d: ReportDraft) -> str:
    try:
        d.location = tickets.check_text(turn.inc.text, field_name="location", maximum=200)
    except UserError as exc:
        turn.say(explain(turn.tr, exc))
        return "location"
    return ask_after(turn, d, "location")


def no_place(turn: Turn, d: ReportDraft) -> str:
    turn.in_place = True
    d.location = None
    return ask_after(turn, d, "location")


def place_in_words(turn: Turn, d: ReportDraft) -> str:
    turn.say(
        turn.t("Please write where it is, or press “Skip”."),
        [[Button(turn.t("Skip"), encode("r", "skip"))]],
    )
    return "location"


def choose_urgency(turn: Turn, d: ReportDraft) -> str:
    turn.in_place = True
    d.urgency = Urgency(turn.arg(1))
    turn.edit_pressed(turn.t("Urgency: {name}", name=labels.label(turn.tr, labels.URGENCY, d.urgency)))
    return ask_after(turn, d, "urgency")


def choose_privacy(turn: Turn, d: ReportDraft) -> str:
    turn.in_place = True
    d.privacy = Privacy(turn.arg(1))
    return ask_after(turn, d, "privacy")  # the summary, in the pressed message, says the choice


def which_to_edit(turn: Turn, d: ReportDraft) -> str:
    names = {
        "category": turn.t("Category"),
        "description": turn.t("Description"),
        "photos": turn.t("Photos"),
        "location": turn.t("Place"),
        "urgency": turn.t("Urgency"),
        "privacy": turn.t("Who sees my name"),
    }
    turn.say(
        turn.t("What do you want to change?"),
        [[Button(names[f], encode("r", "ed", f))] for f in EDITABLE],
    )
    return "confirm"


def edit_one(turn: Turn, d: ReportDraft) -> str:
    part = str(turn.arg(1))
    d.editing = True
    if part == "photos":
        d.photos = ()
    return ASK[part](turn, d)


def send(turn: Turn, d: ReportDraft) -> str:
    turn.in_place = True
    submit(turn, d)
    return END


def submit(turn: Turn, d: ReportDraft) -> None:
    draft = tickets.TicketDraft(
        category=d.category or Category.OTHER,
        urgency=d.urgency or Urgency.ORDINARY,
        description=d.description or "",
        location=d.location or None,
        privacy=d.privacy or Privacy.GOVERNMENT,
        photos=list(d.photos),
        estate_id=d.estate_id,
        key=d.key,
    )
    ticket = tickets.open_ticket(turn.ctx, turn.person_id, draft)
    receipt = turn.t("Report sent.") + "\n\n" + draft_text(turn, d)
    limit = ticket.policy.get("resolve_within", "")
    turn.edit_pressed(receipt)  # the summary stays as the receipt, and the number goes under it
    due = turn.tr.format_datetime(ticket.due_at) if ticket.due_at else "—"
    if ticket.deadline_provisional:
        due += " " + turn.t("(provisional: holidays for that year not yet published)")
    company, opens = _receipt_facts(turn, ticket)
    if company is not None and company.phone:
        number = turn.t(
            "Your report number is {number}. Keep it: quote it when you call {company} on {phone}.",
            number=ticket.number,
            company=company.name,
            phone=company.phone,
        )
    else:
        number = turn.t(
            "Your report number is {number}. Keep it: you can quote it on the phone.", number=ticket.number
        )
    text = (
        number
        + "\n"
        + turn.t(
            "It must be resolved by {due} ({limit}). I will tell you every step; /my shows its progress.",
            due=due,
            limit=_limit_text(turn, limit),
        )
    )
    if opens is not None:  # reported at night: staff get it in the morning (README: night and holidays)
        text += "\n" + turn.t(
            "The property office is closed now: its staff get your report when it opens, {opens}.",
            opens=turn.tr.format_datetime(opens),
        )
    turn.say(text)


def _receipt_facts(turn: Turn, ticket: Ticket) -> tuple[Company | None, datetime | None]:
    """What the receipt says beside the ticket, read at once: the estate's company (its phone), and when
    the staff get the report (None: now; else when the office opens)."""
    with turn.ctx.uow() as uow:
        estate = uow.estates.get(ticket.estate_id)
        company = uow.companies.get(estate.company_id) if estate is not None else None
        return company, held_until(turn.ctx.calendar(uow), ticket, turn.ctx.clock.now())


def _limit_text(turn: Turn, compact: str) -> str:
    try:
        d = Duration.parse(compact)
    except ValueError:
        return compact
    if d.unit is DurationUnit.WORKING_DAYS:
        return turn.tr.ngettext("{n} working day", "{n} working days", d.amount).format(n=d.amount)
    if d.unit is DurationUnit.WORKING_HOURS:
        return turn.tr.ngettext("{n} working hour", "{n} working hours", d.amount).format(n=d.amount)
    return turn.tr.ngettext("{n} hour", "{n} hours", d.amount).format(n=d.amount)


REPORT = Flow(
    "report",
    ReportDraft,
    {
        ("offer", pressed("txt")): Move(report_it, to=("estate", "category", END)),
        ("offer", pressed("no")): Move(no_thanks, to=(END,)),
        ("offer", MESSAGE): Move(look_afresh, to=(END,)),
        ("estate", pressed("est")): Move(choose_estate, to=("category",), when=owns_estate),
        ("category", pressed("emg")): Move(emergency, to=("emergency",)),
        ("category", pressed("cat")): Move(choose_category, to=("description", "photos", "confirm")),
        ("emergency", pressed("rec")): Move(record_emergency, to=("category",)),
        ("description", TEXT): Move(describe, to=("photos", "confirm")),
        ("description", MESSAGE): Move(describe_in_words),
        ("photos", PHOTO): Move(add_photo, to=("location", "confirm")),
        ("photos", MESSAGE): Move(photo_or_done),
        ("photos", pressed("done")): Move(photos_done, to=("location", "confirm")),
        ("photos", pressed("skip")): Move(photos_done, to=("location", "confirm")),
        ("location", TEXT): Move(place, to=("urgency", "privacy", "confirm")),
        ("location", MESSAGE): Move(place_in_words),
        ("location", pressed("skip")): Move(no_place, to=("urgency", "privacy", "confirm")),
        ("urgency", pressed("urg")): Move(choose_urgency, to=("privacy", "confirm")),
        ("privacy", pressed("prv")): Move(choose_privacy, to=("confirm",)),
        ("confirm", pressed("ok")): Move(send, to=(END,)),
        ("confirm", pressed("edit")): Move(which_to_edit),
        ("confirm", pressed("ed")): Move(edit_one, to=EDITABLE),
    },
    starts=(
        ("/report (one home)", "category"),
        ("/report (homes in several estates)", "estate"),
        ("words written outside a conversation", "offer"),
    ),
    button="r",
    doc="An owner reports a problem (handlers/conversations/report.py).",
)
CONVERSATIONS: tuple[Flow[ReportDraft], ...] = (REPORT,)
