"""Public revenue in the open (公共收益公示): managers publish, owners read and question, officials watch.

manager: /revenue_template ─▶ fills it in ─▶ sends the file ─▶ preview ─▶ [Publish] ─▶ owners told
                                                                  │         (a correction: reason ─▶ publish)
                                                                  └▶ [Discard]
owner:   /revenue ─▶ chart + statement (what changed, if corrected) ─▶ [Earlier quarters] [Question a line]
                                                                  └▶ line ─▶ question:text ─▶ ticket
official: /disclosure ─▶ the area: on time / late / not published, the ranking

This module routes the feature's buttons (rv:…) and conversation steps, and gives its /help lines; what
the manager, an owner and an official see is in revenue_manager, revenue_owner and revenue_official.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.conversations import engine
from handlers.conversations.drafts import Draft
from handlers.conversations.engine import END, MESSAGE, TEXT, Flow, Move
from handlers.conversations.revenue_errors import explain_problem
from handlers.conversations.revenue_manager import publish_draft, publish_with_reason
from handlers.conversations.revenue_owner import ask_about_line, choose_line, show_disclosure, show_history
from handlers.conversations.turn import Turn
from handlers.rules.revenue import DisclosureStatus
from handlers.services import revenue, revenue_reading
from handlers.services.errors import UserError


@dataclass
class Disclosing(Draft):
    disclosure_id: int | None = None  # a correction to publish, once its reason is written
    line_id: int | None = None  # the line an owner questions


def _publish_button(turn: Turn, disclosure_id: int) -> None:
    p = revenue.preview(turn.ctx, disclosure_id)
    if p.stored.status != DisclosureStatus.DRAFT:
        raise UserError("disclosure_not_draft", status=p.stored.status)
    if p.previous is not None:
        engine.start(turn, REVENUE, "reason", Disclosing(disclosure_id=disclosure_id))
        turn.say(turn.t("This corrects a published disclosure. Why? Owners will read the reason."))
        return
    publish_draft(turn, disclosure_id, None)


def reason_written(turn: Turn, d: Disclosing) -> str:
    return END if publish_with_reason(turn, d.disclosure_id or 0) else "reason"


def reason_in_words(turn: Turn, d: Disclosing) -> str:
    turn.say(turn.t("Please write the reason for the correction."))
    return "reason"


def question_written(turn: Turn, d: Disclosing) -> str:
    return END if ask_about_line(turn, d.line_id or 0) else "question"


def question_in_words(turn: Turn, d: Disclosing) -> str:
    turn.say(turn.t("Please write your question."))
    return "question"


REVENUE = Flow(
    "revenue",
    Disclosing,
    {
        ("reason", TEXT): Move(reason_written, to=(END,)),
        ("reason", MESSAGE): Move(reason_in_words),
        ("question", TEXT): Move(question_written, to=(END,)),
        ("question", MESSAGE): Move(question_in_words),
    },
    starts=(("📢 Publish a correction (rv:pub)", "reason"), ("❓ a line questioned (rv:ql)", "question")),
    doc="Public revenue: the reason for a correction; an owner's question about one line.",
)


def on_button(turn: Turn) -> None:
    action, number = turn.arg(0), turn.arg(1)
    try:
        if action == "pub":
            turn.toast()
            _publish_button(turn, number)
        elif action == "dis":
            revenue.discard(turn.ctx, turn.person_id, number)
            turn.toast()
            turn.edit_pressed(turn.t("🗑 Discarded. Nothing was published."))
        elif action == "v":
            turn.toast()
            p = revenue.preview(turn.ctx, number)
            show_disclosure(turn, p.stored.estate_id, number)
        elif action == "h":
            turn.toast()
            show_history(turn, number)
        elif action == "q":
            turn.toast()
            choose_line(turn, number)
        elif action == "ql":
            revenue_reading.questionable_line(turn.ctx, turn.person_id, number)
            turn.toast()
            engine.start(turn, REVENUE, "question", Disclosing(line_id=number))
            turn.say(
                turn.t(
                    "What is your question about this line? It becomes a ticket for the project manager; "
                    "your name is shown only to the community, street and district offices."
                )
            )
        else:
            turn.toast(turn.t("This button is no longer valid."), alert=True)
    except UserError as exc:
        turn.toast(explain_problem(turn, exc)[:190], alert=True)


BUTTONS = {"rv": on_button}
CONVERSATIONS: tuple[Flow[Disclosing], ...] = (REVENUE,)
