"""What the report form asks and shows: each question (and the state that waits for its answer), the
summary to check, the emergency advice; and the draft they fill in. The steps that move between them
are the table in report.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handlers.conversations import labels
from handlers.conversations.buttons import encode
from handlers.conversations.drafts import Draft
from handlers.conversations.io import Button
from handlers.conversations.turn import Turn
from handlers.rules.categories import EVERYDAY, Category, Privacy, Urgency
from handlers.services import tickets

EDITABLE = ("category", "description", "photos", "location", "urgency", "privacy")
ORDER = ("description", "photos", "location", "urgency", "privacy")


@dataclass
class ReportDraft(Draft):
    """The report as far as the owner has filled it in (stored under the keys the dict draft had)."""

    key: str | None = None  # the draft's own id, kept with the ticket it opens
    estate_id: int | None = None
    category: Category | None = None
    description: str | None = None
    photos: tuple[tuple[str, str | None], ...] = ()  # (file_id, file_unique_id)
    location: str | None = None
    urgency: Urgency | None = None
    privacy: Privacy | None = None
    editing: bool = False  # one part is being changed from the summary: back to it afterwards
    text: str | None = None  # offered: what the owner wrote outside any conversation


def emergency_text(turn: Turn) -> str:
    return turn.t(
        "🚨 In an emergency call now:\n"
        "• Fire: 119\n• Police, gas leak, danger to people: 110\n• Someone trapped in a lift: 96333 "
        "(the lift rescue line), or the number inside the lift\n\n"
        "Once you are safe, I can record the problem so the property company must follow up."
    )


# ---- the questions: each asks, and returns the state that waits for its answer ----


def ask_category(turn: Turn, d: ReportDraft) -> str:
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
    return "category"


def photo_buttons(turn: Turn) -> list[list[Button]]:
    return [[Button(turn.t("Skip"), encode("r", "skip")), Button(turn.t("Done"), encode("r", "done"))]]


def ask_description(turn: Turn, d: ReportDraft) -> str:
    turn.say(turn.t("Describe the problem in a few sentences: what, since when, how it affects you."))
    return "description"


def ask_photos(turn: Turn, d: ReportDraft) -> str:
    turn.say(
        turn.t(
            "Send up to {maximum} photos if they help, then press “Done”; or press “Skip”.",
            maximum=tickets.MAX_PHOTOS,
        ),
        photo_buttons(turn),
    )
    return "photos"


def ask_location(turn: Turn, d: ReportDraft) -> str:
    turn.say(
        turn.t("Where exactly? (e.g. building 3, lift B; the underground car park, row C)"),
        [[Button(turn.t("Skip"), encode("r", "skip"))]],
    )
    return "location"


def ask_urgency(turn: Turn, d: ReportDraft) -> str:
    if d.urgency is Urgency.EMERGENCY and not d.editing:
        return ask_after(turn, d, "urgency")  # recorded as an emergency: not asked
    rows = [
        [Button(labels.label(turn.tr, labels.URGENCY_CHOICE, u), encode("r", "urg", u.value))]
        for u in (Urgency.URGENT, Urgency.ORDINARY)
    ]
    turn.say(turn.t("How urgent is it?"), rows)
    return "urgency"


def ask_privacy(turn: Turn, d: ReportDraft) -> str:
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
    return "privacy"


ASK: dict[str, Callable[[Turn, ReportDraft], str]] = {
    "category": ask_category,
    "description": ask_description,
    "photos": ask_photos,
    "location": ask_location,
    "urgency": ask_urgency,
    "privacy": ask_privacy,
}


def ask_after(turn: Turn, d: ReportDraft, done: str) -> str:
    """Ask what comes after `done`, or show the summary when editing or at the end."""
    if d.editing or done == ORDER[-1]:
        d.editing = False
        summary(turn, d)
        return "confirm"
    return ASK[ORDER[ORDER.index(done) + 1]](turn, d)


def summary(turn: Turn, d: ReportDraft) -> None:
    turn.say(
        turn.t("Please check your report:") + "\n\n" + draft_text(turn, d),
        [
            [
                Button("📨 " + turn.t("Submit"), encode("r", "ok")),
                Button("✏️ " + turn.t("Edit"), encode("r", "edit")),
            ]
        ],
    )


def draft_text(turn: Turn, d: ReportDraft) -> str:
    """The report as the owner filled it in: the summary to check, and later the receipt."""
    lines = [
        turn.t("Category: {name}", name=labels.label(turn.tr, labels.CATEGORY, d.category or Category.OTHER)),
        turn.t(
            "Urgency: {name}",
            name=labels.label(turn.tr, labels.URGENCY, d.urgency or Urgency.ORDINARY),
        ),
        turn.t("Place: {place}", place=d.location or "—"),
        turn.t("Photos: {n}", n=len(d.photos)),
        turn.t(
            "Who sees my name: {choice}",
            choice=labels.label(turn.tr, labels.PRIVACY_CHOSEN, d.privacy or Privacy.GOVERNMENT),
        ),
        "",
        d.description or "",
    ]
    return "\n".join(lines)
