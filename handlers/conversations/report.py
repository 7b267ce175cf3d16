"""An owner reports a problem: category, description, photos, place, urgency, privacy, confirm.

begin ─▶ [estate] ─▶ category ─▶ description ─▶ photos ─▶ location ─▶ urgency ─▶ privacy ─▶ confirm
                      │                                                    edit ─▶ (one step) ─▶ confirm
                      └ 🚨 emergency: call 119 / 110 / 96333 first, then offer to record
"""

from __future__ import annotations

import secrets
from typing import Any

from handlers.conversations import files, labels
from handlers.conversations.buttons import encode
from handlers.conversations.errors import explain
from handlers.conversations.io import Button, Kind
from handlers.conversations.turn import Turn
from handlers.domain import Company
from handlers.rules.categories import EVERYDAY, Category, Privacy, Urgency
from handlers.rules.worktime import DurationUnit
from handlers.services import tickets
from handlers.services.errors import UserError

FLOW = "report"
EDITABLE = ("category", "description", "photos", "location", "urgency", "privacy")


def begin(turn: Turn, description: str | None = None) -> None:
    """A new report; `description` when the owner already wrote what is wrong (outside the flow)."""
    actor = turn.actor()
    homes = actor.owner_roles()
    if not homes:
        turn.say(explain(turn.tr, UserError("join_first")))
        return
    estates = sorted({r.estate_id for r in homes if r.estate_id})
    written = {"description": description} if description else {}
    if len(estates) > 1:
        with turn.ctx.uow() as uow:
            rows = [[Button(uow.estates.get(e).name, encode("r", "est", e))] for e in estates]  # type: ignore[union-attr]
        turn.set_state(FLOW, "estate", key=new_draft_key(), **written)
        turn.say(turn.t("Which estate is it about?"), rows)
        return
    turn.set_state(FLOW, "category", estate_id=estates[0], photos=[], key=new_draft_key(), **written)
    ask_category(turn)


def offer(turn: Turn) -> bool:
    """Something an owner wrote outside any conversation ("楼道的灯坏了好几天了"): offer to report it,
    with those words as the description. False when it is not for that (not an owner, too short)."""
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
    turn.set_state(FLOW, "offer", text=text)
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


def ask_category(turn: Turn) -> None:
    def button(c: Category) -> Button:
        return Button(
            f"{labels.CATEGORY_ICON[c]} {labels.label(turn.tr, labels.CATEGORY, c)}",
            encode("r", "cat", c.value),
        )

    rows = [
        [Button("🚨 " + turn.t("Emergency: fire, someone trapped in a lift, gas smell"), encode("r", "emg"))]
    ]
    # everyday repairs, cleaning, security and fees first, two to a row; then money and governance
    rows += [[button(c) for c in EVERYDAY[i : i + 2]] for i in range(0, len(EVERYDAY), 2)]
    rows += [[button(c)] for c in Category if c not in EVERYDAY]
    turn.say(turn.t("What is the problem about? (/cancel to stop)"), rows)


def emergency_text(turn: Turn) -> str:
    return turn.t(
        "🚨 In an emergency call now:\n"
        "• Fire: 119\n• Police, gas leak, danger to people: 110\n• Someone trapped in a lift: 96333 "
        "(the lift rescue line), or the number inside the lift\n\n"
        "Once you are safe, I can record the problem so the property company must follow up."
    )


def on_button(turn: Turn) -> None:
    action, arg = turn.arg(0), turn.arg(1)
    state = turn.state
    if state is None or state.flow != FLOW:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    turn.toast()
    step = state.step
    # A press that answers the current question turns its message into the next question (Turn.say).
    turn.in_place = action in ("cat", "done", "skip", "urg", "prv", "ok", "txt")
    if action == "txt" and step == "offer":
        begin(turn, description=str(state.data.get("text") or "") or None)
    elif action == "no" and step == "offer":
        turn.clear_state()
        turn.edit_pressed(turn.t("All right. /help shows what I can do."))
    elif action == "est" and step == "estate":
        owned = {r.estate_id for r in turn.actor().owner_roles()}
        if arg not in owned:
            turn.toast(turn.t("This button is no longer valid."), alert=True)
            return
        turn.set_state(FLOW, "category", estate_id=arg, photos=[])
        ask_category(turn)
    elif action == "emg" and step == "category":
        turn.edit_pressed(emergency_text(turn), [[Button(turn.t("Record it too"), encode("r", "rec"))]])
        turn.set_state(FLOW, "emergency")
    elif action == "rec" and step == "emergency":
        turn.set_state(FLOW, "category", urgency=Urgency.EMERGENCY.value)
        ask_category(turn)
    elif action == "cat" and step == "category" and arg in Category.__members__.values():
        turn.edit_pressed(
            turn.t("Category: {name}", name=labels.label(turn.tr, labels.CATEGORY, Category(arg)))
        )
        if state.data.get("editing") or state.data.get("description"):
            # changed from the summary, or the owner wrote what is wrong before the report began
            turn.set_state(FLOW, "description", category=arg)
            _after(turn, "description")
        else:
            turn.set_state(FLOW, "description", category=arg)
            turn.say(turn.t("Describe the problem in a few sentences: what, since when, how it affects you."))
    elif action in ("done", "skip") and step == "photos":
        _after(turn, "photos")
    elif action == "skip" and step == "location":
        turn.set_state(FLOW, "location", location=None)
        _after(turn, "location")
    elif action == "urg" and step == "urgency" and arg in Urgency.__members__.values():
        turn.set_state(FLOW, "urgency", urgency=arg)
        turn.edit_pressed(turn.t("Urgency: {name}", name=labels.label(turn.tr, labels.URGENCY, Urgency(arg))))
        _after(turn, "urgency")
    elif action == "prv" and step == "privacy" and arg in Privacy.__members__.values():
        turn.set_state(FLOW, "privacy", privacy=arg)
        _after(turn, "privacy")  # the summary, in the pressed message, says the choice
    elif action == "ok" and step == "confirm":
        submit(turn)
    elif action == "edit" and step == "confirm":
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
    elif action == "ed" and step == "confirm" and arg in EDITABLE:
        turn.set_state(FLOW, arg, editing=True, **({"photos": []} if arg == "photos" else {}))
        ASK[arg](turn)
    else:
        turn.toast(turn.t("This button is no longer valid."), alert=True)


def on_message(turn: Turn) -> None:
    state = turn.state
    assert state is not None
    inc = turn.inc
    if state.step == "offer":  # not answered: what they write now is looked at afresh
        turn.clear_state()
        if not (inc.kind is Kind.TEXT and offer(turn)):
            turn.say(turn.t("I did not understand that."))
        return
    if state.step == "description":
        if inc.kind is not Kind.TEXT:
            turn.say(turn.t("Please describe the problem in words; photos come next."))
            return
        try:
            text = tickets.check_text(
                inc.text,
                field_name="description",
                minimum=tickets.DESCRIPTION_MIN,
                maximum=tickets.DESCRIPTION_MAX,
            )
        except UserError as exc:
            turn.say(explain(turn.tr, exc))
            return
        turn.set_state(FLOW, "description", description=text)
        _after(turn, "description")
    elif state.step == "photos":
        problem = files.photo_problem(turn)
        if problem is not None:
            turn.say(problem, _photo_buttons(turn))
            return
        if inc.kind is Kind.PHOTO and inc.file_id:
            photos = list(_photos(state.data))
            if len(photos) >= tickets.MAX_PHOTOS:
                turn.say(turn.t("At most {maximum} photos, please.", maximum=tickets.MAX_PHOTOS))
                return
            photos.append([inc.file_id, inc.file_unique_id])
            turn.set_state(FLOW, "photos", photos=photos)
            if len(photos) >= tickets.MAX_PHOTOS:
                _after(turn, "photos")
            else:
                turn.say(
                    turn.t(
                        "Photo {n} of at most {maximum} received.", n=len(photos), maximum=tickets.MAX_PHOTOS
                    ),
                    [[Button(turn.t("Done"), encode("r", "done"))]],
                )
        else:
            turn.say(turn.t("Send a photo, or press “Done” or “Skip”."), _photo_buttons(turn))
    elif state.step == "location":
        if inc.kind is not Kind.TEXT:
            turn.say(
                turn.t("Please write where it is, or press “Skip”."),
                [[Button(turn.t("Skip"), encode("r", "skip"))]],
            )
            return
        try:
            place = tickets.check_text(inc.text, field_name="location", maximum=200)
        except UserError as exc:
            turn.say(explain(turn.tr, exc))
            return
        turn.set_state(FLOW, "location", location=place)
        _after(turn, "location")
    else:
        turn.say(turn.t("Please use the buttons above, or /cancel."))


def _photo_buttons(turn: Turn) -> list[list[Button]]:
    return [[Button(turn.t("Skip"), encode("r", "skip")), Button(turn.t("Done"), encode("r", "done"))]]


def ask_description(turn: Turn) -> None:
    turn.say(turn.t("Describe the problem in a few sentences: what, since when, how it affects you."))


def ask_photos(turn: Turn) -> None:
    turn.say(
        turn.t(
            "Send up to {maximum} photos if they help, then press “Done”; or press “Skip”.",
            maximum=tickets.MAX_PHOTOS,
        ),
        _photo_buttons(turn),
    )


def ask_location(turn: Turn) -> None:
    turn.say(
        turn.t("Where exactly? (e.g. building 3, lift B; the underground car park, row C)"),
        [[Button(turn.t("Skip"), encode("r", "skip"))]],
    )


def ask_urgency(turn: Turn) -> None:
    if (
        turn.state
        and turn.state.data.get("urgency") == Urgency.EMERGENCY.value
        and not turn.state.data.get("editing")
    ):
        _after(turn, "urgency")
        return
    rows = [
        [Button(labels.label(turn.tr, labels.URGENCY_CHOICE, u), encode("r", "urg", u.value))]
        for u in (Urgency.URGENT, Urgency.ORDINARY)
    ]
    turn.say(turn.t("How urgent is it?"), rows)


def ask_privacy(turn: Turn) -> None:
    lines = [
        turn.t("Who may see your name? Complainants are protected: choose what you are comfortable with.")
    ]
    for p in Privacy:
        choice = labels.label(turn.tr, labels.PRIVACY, p)
        lines.append(f"\n• {choice}\n  {labels.label(turn.tr, labels.PRIVACY_EXPLAINED, p)}")
    turn.say(
        "\n".join(lines),
        [[Button(labels.label(turn.tr, labels.PRIVACY, p), encode("r", "prv", p.value))] for p in Privacy],
    )


ASK = {
    "category": ask_category,
    "description": ask_description,
    "photos": ask_photos,
    "location": ask_location,
    "urgency": ask_urgency,
    "privacy": ask_privacy,
}
ORDER = ("description", "photos", "location", "urgency", "privacy")


def _after(turn: Turn, done: str) -> None:
    """Go to the step after `done`, or back to the summary when editing."""
    assert turn.state is not None
    if turn.state.data.get("editing") or done == ORDER[-1]:
        turn.set_state(FLOW, "confirm", editing=False)
        summary(turn)
        return
    following = ORDER[ORDER.index(done) + 1]
    turn.set_state(FLOW, following)
    ASK[following](turn)


def summary(turn: Turn) -> None:
    turn.say(
        turn.t("Please check your report:") + "\n\n" + _draft_text(turn),
        [
            [
                Button("📨 " + turn.t("Submit"), encode("r", "ok")),
                Button("✏️ " + turn.t("Edit"), encode("r", "edit")),
            ]
        ],
    )


def _photos(data: dict[str, object]) -> list[list[Any]]:
    """The photos received so far, each [file_id, file_unique_id]."""
    photos = data.get("photos") or []
    assert isinstance(photos, list)
    return photos


def _draft_text(turn: Turn) -> str:
    """The report as the owner filled it in: the summary to check, and later the receipt."""
    assert turn.state is not None
    d = turn.state.data
    photos = _photos(d)
    lines = [
        turn.t("Category: {name}", name=labels.label(turn.tr, labels.CATEGORY, Category(str(d["category"])))),
        turn.t(
            "Urgency: {name}",
            name=labels.label(turn.tr, labels.URGENCY, Urgency(str(d.get("urgency") or "ordinary"))),
        ),
        turn.t("Place: {place}", place=d.get("location") or "—"),
        turn.t("Photos: {n}", n=len(photos)),
        turn.t(
            "Who sees my name: {choice}",
            choice=labels.label(turn.tr, labels.PRIVACY_CHOSEN, Privacy(str(d["privacy"]))),
        ),
        "",
        str(d.get("description", "")),
    ]
    return "\n".join(lines)


def submit(turn: Turn) -> None:
    assert turn.state is not None
    d = turn.state.data
    draft = tickets.TicketDraft(
        category=Category(str(d["category"])),
        urgency=Urgency(str(d.get("urgency") or Urgency.ORDINARY.value)),
        description=str(d.get("description", "")),
        location=d.get("location") or None,  # type: ignore[arg-type]
        privacy=Privacy(str(d.get("privacy") or Privacy.GOVERNMENT.value)),
        photos=[(p[0], p[1]) for p in _photos(d)],
        estate_id=d.get("estate_id"),  # type: ignore[arg-type]
        key=str(d["key"]) if d.get("key") else None,
    )
    ticket = tickets.open_ticket(turn.ctx, turn.person_id, draft)
    receipt = turn.t("Report sent.") + "\n\n" + _draft_text(turn)
    turn.clear_state()
    limit = ticket.policy.get("resolve_within", "")
    turn.edit_pressed(receipt)  # the summary stays as the receipt, and the number goes under it
    due = turn.tr.format_datetime(ticket.due_at) if ticket.due_at else "—"
    if ticket.deadline_provisional:
        due += " " + turn.t("(provisional: holidays for that year not yet published)")
    company = _company_of(turn, ticket.estate_id)
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
    turn.say(
        number
        + "\n"
        + turn.t(
            "It must be resolved by {due} ({limit}). I will tell you every step; /my shows its progress.",
            due=due,
            limit=_limit_text(turn, limit),
        )
    )


def _company_of(turn: Turn, estate_id: int) -> Company | None:
    with turn.ctx.uow() as uow:
        estate = uow.estates.get(estate_id)
        return uow.companies.get(estate.company_id) if estate is not None else None


def _limit_text(turn: Turn, compact: str) -> str:
    from handlers.rules.worktime import Duration

    try:
        d = Duration.parse(compact)
    except ValueError:
        return compact
    if d.unit is DurationUnit.WORKING_DAYS:
        return turn.tr.ngettext("{n} working day", "{n} working days", d.amount).format(n=d.amount)
    if d.unit is DurationUnit.WORKING_HOURS:
        return turn.tr.ngettext("{n} working hour", "{n} working hours", d.amount).format(n=d.amount)
    return turn.tr.ngettext("{n} hour", "{n} hours", d.amount).format(n=d.amount)


BUTTONS = {"r": on_button}
FLOWS = {FLOW: on_message}
