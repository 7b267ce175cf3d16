"""`wuye chat`: the core in a terminal, played as one person at a time.

What the bot sends someone else stays in the outbox, as it would sit unread on their phone, until the
console plays them (`/as ID`); meanwhile a dim line says it is waiting for them. After every line the
sweep that `wuye run` schedules runs once, and `/wait 2h` moves the console's clock on first, so that a
reminder or a rung of the ladder due in two hours can be seen now.
"""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from bot.console.chats import ConsoleChats, Unreadable, action_text, describe
from bot.delivery.outbox import Outbox
from bot.delivery.pace import console_pace
from bot.delivery.report_jobs import sweep_reports
from bot.delivery.status import parse_age
from bot.telegram.runtime import Runtime
from handlers.clock import ShiftedClock
from handlers.services.digests import sweep_digests
from handlers.services.ladder import sweep
from handlers.services.revenue_deadlines import sweep_deadlines

# The console's own commands; the bot has none of these names (tests/integration/test_console.py).
CONSOLE_COMMANDS = ("as", "wait")


class ConsoleSession:
    def __init__(
        self, runtime: Runtime, clock: ShiftedClock, out: TextIO, telegram_id: int, name: str
    ) -> None:
        self.ctx = runtime.ctx
        self.clock = clock
        self.out = out
        self.tr = runtime.translators("en")  # the console's own lines are English, as the CLI's are
        self.chats = ConsoleChats(
            runtime.core, out, {telegram_id: name}, describe=lambda chat: describe(self.ctx, self.tr, chat)
        )
        self.outbox = Outbox(self.ctx, runtime.translators, self.chats.deliver, limiter=console_pace())
        self.chats.outbox = self.outbox
        self.viewer = telegram_id
        self.name = name  # the display name a person new to the bot gets
        self.noted: dict[int, int] = {}  # person id -> how many waiting for them were last noted

    # -- the loop's steps ----------------------------------------------------------------------
    async def begin(self) -> None:
        self.out.write(
            f"wuye chat as {self.chats.who(self.viewer)} ({self.viewer}). Type /start, /report, text, "
            "'photo', or a button's number. /as ID plays someone else (/as alone lists who); "
            "/wait 2h moves the clock on and runs the sweep. Ctrl+D ends.\n"
        )
        self._play(self.viewer)
        await self._settle()

    @property
    def prompt(self) -> str:
        return f"{self._name()}> "

    def _name(self) -> str:
        """The played person's name: the bot's, once it knows them."""
        with self.ctx.uow() as uow:
            person = uow.people.by_telegram_id(self.viewer)
        return person.display_name if person is not None else self.name

    async def line(self, typed: str) -> None:
        """One typed line: a console command, or what the played person sends the bot."""
        command, _, arg = typed.strip().partition(" ")
        if command == "/as":
            await self._as(arg.strip())
        elif command == "/wait":
            self._wait(arg.strip())
        elif typed.strip():
            self._deliver_to_viewer()
            try:
                inc = self.chats.incoming(self.viewer, typed, name=self._name())
            except Unreadable as exc:
                self.chats.note(f"wuye chat: {exc}")
            else:
                await self.chats.handle(inc, echo=False)
        await self._settle()

    # -- console commands ------------------------------------------------------------------------
    async def _as(self, arg: str) -> None:
        if not arg:
            self._list_people()
            return
        if not arg.isdigit():
            self.chats.note(f"wuye chat: /as takes a Telegram id like 100002, not {arg!r}")
            return
        telegram_id = int(arg)
        with self.ctx.uow() as uow:
            known = uow.people.by_telegram_id(telegram_id) is not None
        if not known:
            self.chats.note(f"wuye chat: nobody with Telegram id {telegram_id} here; /as alone lists who")
            return
        self._play(telegram_id)

    def _wait(self, arg: str) -> None:
        delta = parse_age(arg)
        if delta is None:
            self.chats.note(f"wuye chat: /wait takes a duration like 30m, 2h or 1d ({arg!r})")
            return
        now = self.clock.advance(delta).astimezone(self.ctx.tz)
        self.chats.note(f"⏩ {arg} later: {now:%Y-%m-%d %H:%M} ({self.ctx.tz}); the sweep runs")

    def _list_people(self) -> None:
        with self.ctx.uow() as uow:
            ids = [p.telegram_id for p in uow.people.with_roles() if p.telegram_id]
        for telegram_id in ids:
            mark = " (you now)" if telegram_id == self.viewer else ""
            self.chats.note(f"/as {telegram_id}  {self.chats.who(telegram_id)}{mark}")

    # -- whom the console plays ------------------------------------------------------------------
    def _play(self, telegram_id: int) -> None:
        self.viewer = telegram_id
        self.chats.switch(telegram_id)
        self._deliver_to_viewer()

    def _deliver_to_viewer(self) -> None:
        """Only the played person's messages leave the outbox (none, until the bot knows them)."""
        with self.ctx.uow() as uow:
            person = uow.people.by_telegram_id(self.viewer)
        self.outbox.person_ids = {person.id} if person is not None and person.id is not None else set()

    async def _settle(self) -> None:
        """The sweep, as `wuye run` schedules it; the played person's messages; a note of the others'."""
        for number, action in sweep(self.ctx).steps:
            self.chats.note(f"⚙ {number}: {action_text(self.tr, action)}")
        sweep_deadlines(self.ctx)
        sweep_digests(self.ctx)
        sweep_reports(self.ctx)
        self._deliver_to_viewer()
        await self.outbox.drain()
        self._note_waiting()

    def _note_waiting(self) -> None:
        mine = next(iter(self.outbox.person_ids or ()), None)
        with self.ctx.uow() as uow:
            waiting = Counter(
                n.person_id
                for n in uow.notifications.pending(self.ctx.clock.now(), 1000)
                if n.chat_id is None and n.person_id != mine
            )
            people = {pid: uow.people.get(pid) for pid in waiting}
        for person_id, count in sorted(waiting.items()):
            if count > self.noted.get(person_id, 0):
                person = people[person_id]
                telegram_id = person.telegram_id if person is not None else None
                if telegram_id:
                    who, hint = self.chats.who(telegram_id), f" — /as {telegram_id} shows them"
                else:
                    who, hint = (person.display_name if person else "?"), " (not on Telegram yet)"
                self.chats.note(f"✉ {count} waiting for {who}{hint}")
        self.noted = dict(waiting)
