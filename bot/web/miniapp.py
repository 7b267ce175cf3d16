"""The Telegram Mini App's sign-in: Telegram hands the page `initData`, signed with a key derived from
the bot token; aiogram's own helper checks the signature, and the page is refused when it is older than
a day. The page's word is never taken for who someone is."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram.utils.web_app import safe_parse_webapp_init_data

from handlers.services import people
from handlers.services.context import Context

log = logging.getLogger("wuye.web")
FRESH = timedelta(hours=24)


def person_from_init_data(ctx: Context, bot_token: str | None, init_data: str) -> int | None:
    """The person behind valid, fresh initData (known on first contact, as in the chat); None when it
    is forged, stale, malformed or names no user."""
    if not bot_token or not init_data or len(init_data) > 8192:
        return None
    try:
        data = safe_parse_webapp_init_data(bot_token, init_data)
    except ValueError:
        log.info("Mini App initData that does not check out was refused")
        return None
    now = ctx.clock.now()
    if data.user is None or not (now - FRESH <= data.auth_date <= now + timedelta(minutes=5)):
        log.info("Mini App initData that is too old (or names nobody) was refused")
        return None
    name = " ".join(p for p in (data.user.first_name, data.user.last_name) if p)
    person = people.touch_person(ctx, data.user.id, name)
    return person.id
