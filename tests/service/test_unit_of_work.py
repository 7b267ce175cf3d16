"""One press, one unit of work: a button press costs the use case's transaction and the turn's
bookkeeping (where the chat now is, the update marked handled), no more; and it answers the press and
redraws the pressed card once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from handlers.conversations.io import Answer, Edit, Incoming, Kind, Send
from tests.service.talk import Talk
from tests.service.world import LI_REPAIR, World


@contextmanager
def commits(world: World) -> Iterator[list[int]]:
    counted: list[int] = []

    def one(_connection: object) -> None:
        counted.append(1)

    event.listen(world.engine, "commit", one)
    try:
        yield counted
    finally:
        event.remove(world.engine, "commit", one)


async def test_acknowledge_and_start_cost_two_commits_and_draw_the_card_once(world: World) -> None:
    talk = Talk(world.ctx)
    talk.names[LI_REPAIR] = "李师傅"
    tid = world.report().id or 0
    await talk.outbox.drain()
    [card] = [s for s in talk.seen if s.chat_id == LI_REPAIR and f"ak:{tid}" in s.buttons]
    await talk.command(LI_REPAIR, "help")  # the name they chat under is noted once, before
    for update, data in ((901, f"1/ak:{tid}"), (902, f"1/st:{tid}")):
        press = Incoming(
            LI_REPAIR, LI_REPAIR, "李师傅", Kind.BUTTON, data=data, callback_id=str(update),
            message_id=card.message_id, update_id=update,
        )  # fmt: skip
        with commits(world) as counted:
            outputs = talk.core.handle(press)
        assert len(counted) == 2, (data, len(counted))  # the use case, the bookkeeping
        answers = [o for o in outputs if isinstance(o, Answer)]
        drawn = [o for o in outputs if isinstance(o, Edit | Send)]
        assert len(answers) == 1 and len(drawn) == 1 and isinstance(drawn[0], Edit), outputs
        assert drawn[0].message_id == card.message_id


async def test_a_press_reads_the_estate_and_each_office_once(world: World) -> None:
    """The card names the estate and the access check walks the office chain, more than once per
    drawing: each of those rows is read from the database once per unit of work (a press has several:
    the bookkeeping, the use case, the drawing)."""
    talk = Talk(world.ctx)
    tid = world.report().id or 0
    await talk.outbox.drain()
    [card] = [s for s in talk.seen if s.chat_id == LI_REPAIR and f"ak:{tid}" in s.buttons]
    reads: list[tuple[int, str, str]] = []  # (which unit of work, statement, parameters)
    units = [0]

    def begin(_connection: object) -> None:
        units[0] += 1

    def before(_c: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        if statement.lstrip().startswith("SELECT") and (
            "FROM estate" in statement or "FROM office" in statement
        ):
            reads.append((units[0], statement, repr(params)))

    press = Incoming(
        LI_REPAIR, LI_REPAIR, "李师傅", Kind.BUTTON, data=f"1/ak:{tid}", callback_id="903",
        message_id=card.message_id, update_id=903,
    )  # fmt: skip
    event.listen(world.engine, "before_cursor_execute", before)
    event.listen(world.engine, "begin", begin)
    try:
        talk.core.handle(press)
    finally:
        event.remove(world.engine, "before_cursor_execute", before)
        event.remove(world.engine, "begin", begin)
    assert reads, "the card names the estate: read at least once"
    assert len(reads) == len(set(reads)), f"read again in one unit of work: {sorted(reads)}"
