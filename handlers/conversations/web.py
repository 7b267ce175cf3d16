"""/web: a one-time code (and link, when the web address is known) to sign in on the web pages."""

from __future__ import annotations

from urllib.parse import quote

from handlers.conversations.turn import Turn
from handlers.services import web_access


def sign_in_code(turn: Turn) -> None:
    code, until = web_access.issue_sign_in_code(turn.ctx, turn.person_id)
    lines = [
        turn.t(
            "Your one-time code for the web pages: {code}\nIt works once, until {until}. Keep it to "
            "yourself: whoever types it is signed in as you.",
            code=web_access.pretty(code),
            until=turn.tr.format_datetime(until),
        )
    ]
    if turn.ctx.web_url:
        link = turn.ctx.web_url.rstrip("/") + "/signin?code=" + quote(code)
        lines.append(turn.t("Or open: {link}", link=link))
    turn.say("\n\n".join(lines))
