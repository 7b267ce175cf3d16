"""The ticket lifecycle as use cases: open, assign, acknowledge, work, resolve, confirm, reopen.

One module per part of the loop; callers use them through this package (`tickets.acknowledge(...)`).
"""

from handlers.services.tickets.closing import (
    add_photo,
    close_unconfirmed,
    comment_on_rating,
    confirm,
    rate,
    reopen,
    withdraw,
)
from handlers.services.tickets.handling import (
    acknowledge,
    ask_owner,
    owner_reply,
    reject,
    resolve,
    start_work,
    transfer_department,
)
from handlers.services.tickets.opening import TicketDraft, assign, open_ticket
from handlers.services.tickets.records import (
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    MAX_PHOTOS,
    NOTE_MAX,
    check_text,
)

__all__ = [
    "DESCRIPTION_MAX",
    "DESCRIPTION_MIN",
    "MAX_PHOTOS",
    "NOTE_MAX",
    "TicketDraft",
    "acknowledge",
    "add_photo",
    "ask_owner",
    "assign",
    "check_text",
    "close_unconfirmed",
    "confirm",
    "open_ticket",
    "owner_reply",
    "rate",
    "comment_on_rating",
    "reject",
    "reopen",
    "resolve",
    "start_work",
    "transfer_department",
    "withdraw",
]
