"""What a turn queued for its own chat follows the turn's answers: the runtime's outbox waits for the
turn in hand in the chat it sends to (the /stats chart after the figures), and only in that chat."""

from __future__ import annotations

import asyncio

from bot.telegram.runtime import Runtime
from handlers.conversations.io import Edit, Incoming, Kind, Output, Send


class Answering:
    """Stands in for the conversation core: answers every update with one message."""

    def handle(self, inc: Incoming) -> list[Output]:
        return [Send(inc.chat_id, f"answer to {inc.text}")]


async def test_the_outbox_sends_to_a_chat_only_after_the_turn_in_hand_there_has_answered() -> None:
    rt = Runtime(ctx=None, core=Answering(), translators=None, read_sheet=None)  # type: ignore[arg-type]
    order: list[str] = []
    answering = asyncio.Event()
    go_on = asyncio.Event()

    async def perform(outputs: list[Output]) -> None:  # the answer is slow to go out (a 429, say)
        answering.set()
        await go_on.wait()
        order.extend(o.text for o in outputs if isinstance(o, Send))

    async def deliver(part: Send | Edit) -> int | None:
        order.append(part.text)
        return 1

    send = rt._after_turns(deliver)
    turn = asyncio.create_task(
        rt.handle(
            Incoming(chat_id=7, user_id=7, user_name="吴科长", kind=Kind.COMMAND, text="stats"), perform
        )
    )
    await answering.wait()  # the turn committed what it queued; its answer has not gone out yet
    chart = asyncio.create_task(send(Send(7, "the chart")))  # the outbox claimed it meanwhile
    await send(Send(8, "another chat's notice"))  # another chat does not wait
    await asyncio.sleep(0.05)
    assert order == ["another chat's notice"]
    go_on.set()
    await asyncio.gather(turn, chart)
    assert order == ["another chat's notice", "answer to stats", "the chart"]
    assert not rt._locks and not rt._holders  # nothing kept for an idle chat
