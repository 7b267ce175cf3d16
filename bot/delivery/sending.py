"""A front end's send as the outbox sees it: `Deliver` takes one message out and returns its id, and
Telegram's refusals come back as a DeliveryError whose `Failure` says what to do about it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum

from handlers.conversations.io import Edit, Send


class Failure(StrEnum):
    """Why a send failed, which says what to do about it."""

    BLOCKED = "blocked"  # the recipient blocked the bot: someone stands in (handlers.services.notify)
    RETRY_AFTER = "retry_after"  # Telegram's flood control: wait as long as it says
    TRANSIENT = "transient"  # the network or Telegram faltered: try again
    BAD_REQUEST = "bad_request"  # Telegram refused it: sending it again would not help
    UNCERTAIN = "uncertain"  # timed out after sending: it may have arrived, so it is not sent twice


class DeliveryError(Exception):
    """A send that failed; `kind` says what to do about it."""

    def __init__(self, kind: Failure, detail: str = "", retry_after: float = 0.0) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[type[DeliveryError], tuple[Failure, str, float]]:
        return DeliveryError, (self.kind, self.detail, self.retry_after)  # to a core process and back


Deliver = Callable[[Send | Edit], Awaitable[int | None]]
