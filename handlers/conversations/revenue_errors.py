"""What a disclosure step says when a use case refuses: the problems of a file, the findings that keep
figures from being published, and the disclosure error codes; anything else as errors.explain says it."""

from __future__ import annotations

from handlers.conversations import revenue_text as rt
from handlers.conversations.errors import explain
from handlers.conversations.turn import Turn
from handlers.services import revenue
from handlers.services.errors import UserError
from handlers.services.revenue_import import RevenueFileError
from handlers.text import N_

MAX_SHOWN_PROBLEMS = 15
ERRORS: dict[str, str] = {
    "disclosure_unknown": N_("That disclosure does not exist or is no longer a draft."),
    "disclosure_not_draft": N_("That disclosure is already {status}; a published one never changes."),
    "not_your_estate": N_("You can only read the disclosures of your own estate."),
}


def explain_problem(turn: Turn, exc: UserError) -> str:
    if isinstance(exc, RevenueFileError):
        shown = [rt.file_problem_text(turn.tr, p) for p in exc.problems[:MAX_SHOWN_PROBLEMS]]
        more = len(exc.problems) - len(shown)
        tail = "\n" + turn.t("… and {count} more.", count=more) if more > 0 else ""
        return (
            turn.t("❌ The file was not accepted. Nothing was published.")
            + "\n"
            + "\n".join("• " + s for s in shown)
            + tail
        )
    if isinstance(exc, revenue.DisclosureRefused):
        return (
            turn.t("❌ These figures cannot be published. Nothing was published.")
            + "\n"
            + "\n".join("• " + rt.finding_text(turn.tr, f) for f in exc.findings)
        )
    if exc.code in ERRORS:
        return turn.t(ERRORS[exc.code], **exc.params)
    return explain(turn.tr, exc)
