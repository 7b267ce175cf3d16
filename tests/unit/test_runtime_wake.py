"""The runtime wakes the outbox after a turn only when a commit queued a notification since the last wake."""

from __future__ import annotations

from typing import Any

from bot.delivery.outbox import Queued
from bot.telegram.runtime import Runtime
from handlers.conversations.io import Incoming, Kind, Output


class Turns:
    """Stands in for the conversation core: a turn whose text is "queue" commits a notification."""

    def __init__(self, queued: Queued) -> None:
        self.queued = queued
        self.handled: list[str] = []

    def handle(self, inc: Incoming) -> list[Output]:
        self.handled.append(inc.text)
        if inc.text == "queue":
            self.queued()
        return []


def update(text: str, chat: int = 1) -> Incoming:
    return Incoming(chat_id=chat, user_id=chat, user_name="业主", kind=Kind.TEXT, text=text)


async def nothing(_: list[Output]) -> None:
    return None


def runtime(core: Any, queued: Queued | None) -> Runtime:
    return Runtime(ctx=None, core=core, translators=None, queued=queued)  # type: ignore[arg-type]


async def test_a_turn_that_queued_nothing_leaves_the_outbox_asleep_and_one_that_queued_wakes_it() -> None:
    queued = Queued()
    core = Turns(queued)
    rt = runtime(core, queued)
    await rt.handle(update("hello"), nothing)
    assert not rt._wake.is_set()
    await rt.handle(update("queue", chat=2), nothing)
    assert rt._wake.is_set()
    rt._wake.clear()  # the outbox took it
    await rt.handle(update("hello again"), nothing)
    assert not rt._wake.is_set()  # nothing new since that wake
    queued()  # a commit elsewhere (the ladder's sweep, another use case): the next turn passes it on
    await rt.handle(update("and again"), nothing)
    assert rt._wake.is_set()
    assert core.handled == ["hello", "queue", "hello again", "and again"]


async def test_without_the_counter_every_turn_wakes_the_outbox() -> None:
    rt = runtime(Turns(Queued()), None)
    await rt.handle(update("hello"), nothing)
    assert rt._wake.is_set()
