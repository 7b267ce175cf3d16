"""One press, one unit of work: a button press costs the use case's transaction and the turn's
bookkeeping (where the chat now is, the update marked handled), no more; and it answers the press and
redraws the pressed card once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from handlers.conversations.io import Answer, Edit, Incoming, Kind, Send
from handlers.domain.people import Role, RoleKind
from handlers.services.update_reads import one_update
from tests.service.talk import Seen, Talk
from tests.service.world import LI_REPAIR, ZHANG_OWNER, World


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


async def reported(world: World) -> tuple[Talk, int, Seen]:
    """A report, the repairman's card for it, and his name noted (he has written once, before)."""
    talk = Talk(world.ctx)
    talk.names[LI_REPAIR] = "李师傅"
    tid = world.report().id or 0
    await talk.outbox.drain()
    [card] = [s for s in talk.seen if s.chat_id == LI_REPAIR and f"ak:{tid}" in s.buttons]
    await talk.command(LI_REPAIR, "help")
    return talk, tid, card


async def test_acknowledge_and_start_cost_two_commits_and_draw_the_card_once(world: World) -> None:
    talk, tid, card = await reported(world)
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


@contextmanager
def statements(world: World) -> Iterator[list[tuple[str, str]]]:
    """(statement, parameters) of every SELECT run meanwhile."""
    run: list[tuple[str, str]] = []

    def before(_c: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        if statement.lstrip().startswith("SELECT"):
            run.append((" ".join(statement.split()), repr(params)))

    event.listen(world.engine, "before_cursor_execute", before)
    try:
        yield run
    finally:
        event.remove(world.engine, "before_cursor_execute", before)


def _reads_of(run: list[tuple[str, str]], table: str) -> list[tuple[str, str]]:
    return [(s, p) for s, p in run if f" FROM {table} " in f"{s} "]


async def test_acknowledge_and_start_read_the_ticket_once(world: World) -> None:
    """The use case reads the ticket, checks the presser and changes it; the card is drawn from the ticket
    it gives back: one read of the ticket per press, not one for the check, one for the use case and one
    for the drawing."""
    talk, tid, card = await reported(world)
    for update, data in ((911, f"1/ak:{tid}"), (912, f"1/st:{tid}")):
        press = Incoming(
            LI_REPAIR, LI_REPAIR, "李师傅", Kind.BUTTON, data=data, callback_id=str(update),
            message_id=card.message_id, update_id=update,
        )  # fmt: skip
        with statements(world) as run:
            outputs = talk.core.handle(press)
        assert len(_reads_of(run, "ticket")) == 1, (data, _reads_of(run, "ticket"))
        assert [o for o in outputs if isinstance(o, Edit)], outputs  # and the card is still drawn


async def test_an_update_reads_its_actor_and_its_chat_once(world: World) -> None:
    """An update opens several units of work (the bookkeeping, the check of what the press names, the use
    case, the card drawn after it): the presser and their roles are read once in all of them, and the
    chat's state once, whatever the update is (a press, a command, an answer in a conversation)."""
    talk, tid, card = await reported(world)
    pid = world.pid(LI_REPAIR)
    updates = [
        Incoming(
            LI_REPAIR, LI_REPAIR, "李师傅", Kind.BUTTON, data=f"1/ak:{tid}", callback_id="904",
            message_id=card.message_id, update_id=904,
        ),
        Incoming(LI_REPAIR, LI_REPAIR, "李师傅", Kind.COMMAND, command="tasks", update_id=905),
        Incoming(
            LI_REPAIR, LI_REPAIR, "李师傅", Kind.BUTTON, data=f"1/as:{tid}", callback_id="906",
            message_id=card.message_id, update_id=906,
        ),
        Incoming(LI_REPAIR, LI_REPAIR, "李师傅", Kind.TEXT, text="电梯是哪一部？", update_id=907),
    ]  # fmt: skip
    for inc in updates:
        with statements(world) as run:
            talk.core.handle(inc)
        people, roles = _reads_of(run, "person"), _reads_of(run, "role")
        chats = _reads_of(run, "conversation")
        assert len(people) == len(set(people)), (inc.kind, "a person read twice", people)
        presser = [r for r in roles if "WHERE role.person_id =" in r[0] and str(pid) in r[1]]
        assert len(presser) == 1, (inc.kind, inc.data, "the presser's roles read", len(presser))
        assert len(chats) == 1, (inc.kind, "the chat's state read", len(chats))
    assert talk.state(LI_REPAIR) is None  # the question was asked and sent


def test_what_an_update_remembers_of_people_follows_its_own_writes(world: World) -> None:
    """A role added in one unit of work of the update is seen by the next; one rolled back is not, even
    though the unit that wrote it read it back before rolling back."""
    pid = world.pid(ZHANG_OWNER)
    with one_update():
        with world.ctx.uow() as uow:
            before = uow.roles.of_person(pid)
        with world.ctx.uow() as uow:
            uow.roles.add(Role(pid, RoleKind.OWNER, estate_id=before[0].estate_id, unit="9栋1单元101"))
            assert len(uow.roles.of_person(pid)) == len(before) + 1
            uow.rollback()
        with world.ctx.uow() as uow:
            assert len(uow.roles.of_person(pid)) == len(before)  # the rollback left nothing behind
        with world.ctx.uow() as uow:
            uow.roles.add(Role(pid, RoleKind.OWNER, estate_id=before[0].estate_id, unit="9栋1单元102"))
            uow.commit()
        with world.ctx.uow() as uow:
            assert len(uow.roles.of_person(pid)) == len(before) + 1
            person = uow.people.get(pid)
            assert person is not None
            person.language = "zh_Hant"
            uow.people.save(person)
            uow.commit()
        with world.ctx.uow() as uow:
            again = uow.people.get(pid)
            assert again is not None and again.language == "zh_Hant"
