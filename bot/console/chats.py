"""The core in a terminal: buttons shown as numbered choices, so every flow can be tried offline."""

from __future__ import annotations

import hashlib
import itertools
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.delivery.outbox import Outbox
from handlers.conversations.buttons import unversioned
from handlers.conversations.core import Core
from handlers.conversations.io import Answer, Button, Edit, Incoming, Kind, Output, Send, Sender
from handlers.conversations.labels import DUTY, ROLE, RUNG, label
from handlers.domain.people import RoleKind
from handlers.ports import Translator
from handlers.rules.ladder import Action, Rung
from handlers.services.context import Context
from handlers.text import N_

ACTIONS = {
    Action.REMIND_HALF: N_("reminder: half the time has passed"),
    Action.REMIND_BEFORE: N_("reminder: the deadline is near"),
    Action.REMIND_DEADLINE: N_("reminder: the deadline is reached"),
    Action.REMIND_OVERDUE: N_("reminder: overdue"),
    Action.ESCALATE: N_("escalated"),
    Action.CLOSE_UNCONFIRMED: N_("closed, the owner did not answer"),
}


def action_text(tr: Translator, action: str) -> str:
    """A sweep step (``escalate/street``) as a reader says it: "escalated → Street office"."""
    code, _, rung = action.partition("/")
    text = label(tr, ACTIONS, Action(code)) if code in Action.__members__.values() else code
    if rung in Rung.__members__.values():
        text += " → " + label(tr, RUNG, Rung(rung))
    return text


def describe(ctx: Context, tr: Translator, telegram_id: int) -> str | None:
    """Who a chat belongs to, by name and role: "李师傅（维修） · Property staff (Repairs), 海滨花园";
    None for an id the database does not know."""
    with ctx.uow() as uow:
        person = uow.people.by_telegram_id(telegram_id)
        if person is None:
            return None
        roles: list[str] = []
        for role in uow.roles.of_person(person.id or 0):
            what = label(tr, ROLE, role.kind)
            if role.kind is RoleKind.STAFF and role.duty is not None:
                what = tr.gettext("{role} ({duty})").format(role=what, duty=label(tr, DUTY, role.duty))
            place = None
            if role.estate_id is not None:
                place = getattr(uow.estates.get(role.estate_id), "name", None)
            elif role.office_id is not None:
                place = getattr(uow.offices.get(role.office_id), "name", None)
            roles.append(tr.gettext("{role}, {place}").format(role=what, place=place) if place else what)
        if not roles:
            return person.display_name
        return tr.gettext("{name} · {roles}").format(
            name=person.display_name, roles=tr.gettext("; ").join(roles)
        )


class Unreadable(ValueError):
    """A typed `file PATH` that names nothing the console can read: said to the operator, nothing sent."""


@dataclass
class Shown:
    id: int
    text: str
    buttons: list[list[Button]] = field(default_factory=list)


class ConsoleChats:
    """Keeps what each private chat shows, performs the core's outputs and prints them.

    With no `viewer` (the demo) every chat is printed in full, each under a line naming whose it is.
    With a `viewer` (`wuye chat`) only the viewer's chat is: a message for someone else is kept for them
    (`switch` shows it) and only noted, dim and indented, as going to them."""

    def __init__(
        self,
        core: Core,
        out: TextIO,
        names: dict[int, str] | None = None,
        width: int = 88,
        describe: Callable[[int], str | None] | None = None,
    ) -> None:
        self.core = core
        self.out = out
        self.names = names or {}
        self.width = width
        self.describe = describe  # a chat's owner by name and role; else `names`
        self.viewer: int | None = None
        self.unseen: dict[int, list[Shown]] = {}  # the viewer's: messages for others, not printed yet
        self.chats: dict[int, list[Shown]] = {}
        self._ids = itertools.count(1)
        self._files = itertools.count(1)
        self.outbox: Outbox | None = None
        self.save_dir: Path | None = None  # where pictures and files sent in chats are saved, if anywhere
        self._saved_as: dict[tuple[str, bytes], Path] = {}  # (name, digest) -> where it was saved first
        self.uploads: dict[str, Path] = {}  # file id -> where a file sent to the bot was kept

    @property
    def saved(self) -> list[Path]:
        """The files the bot sent, each once, in the order they were first saved."""
        return list(self._saved_as.values())

    # -- what people type -------------------------------------------------------------
    def incoming(
        self, user_id: int, typed: str, name: str | None = None, language_code: str | None = None
    ) -> Incoming:
        """Read a typed line: '/cmd args', a number for a button, 'photo [caption]', or text."""
        base = Sender(
            chat_id=user_id,
            user_id=user_id,
            user_name=name or self.names.get(user_id, str(user_id)),
            language_code=language_code,
        )
        typed = typed.strip()
        if typed.startswith("/"):
            command, _, args = typed[1:].partition(" ")
            return Incoming(
                kind=Kind.COMMAND, command=command.split("@")[0].lower(), text=args.strip(), **base
            )
        if typed.isdigit() and (found := self._button(user_id, int(typed))) is not None:
            shown, button = found
            return Incoming(
                kind=Kind.BUTTON,
                data=button.data,
                callback_id=f"cb{next(self._ids)}",
                message_id=shown.id,
                **base,
            )
        if typed.lower().startswith("file "):
            path, _, caption = typed[5:].strip().partition(" ")
            file = Path(path).expanduser()
            try:
                data = file.read_bytes()
            except OSError as exc:  # a typo in the path, a folder, a file not ours to read
                raise Unreadable(f"file {path}: {exc.strerror or exc}; nothing was sent") from exc
            return self.document(user_id, data, file.name, caption, name)
        if typed.lower().startswith("photo"):
            n = next(self._files)
            return Incoming(
                kind=Kind.PHOTO,
                file_id=f"console-photo-{n}",
                file_unique_id=f"cp{n}",
                text=typed[5:].strip(),
                **base,
            )
        return Incoming(kind=Kind.TEXT, text=typed, **base)

    def document(
        self, user_id: int, data: bytes, filename: str, caption: str = "", name: str | None = None
    ) -> Incoming:
        """A document sent by `user_id` ('file PATH [caption]' when typed); kept in `save_dir`, if any, so
        that the transcript can point at what was sent."""
        n = next(self._files)
        if self.save_dir is not None:
            self.save_dir.mkdir(parents=True, exist_ok=True)
            self.uploads[f"console-file-{n}"] = path = self.save_dir / f"{n:02d}-{filename}"
            path.write_bytes(data)
        return Incoming(
            chat_id=user_id,
            user_id=user_id,
            user_name=name or self.names.get(user_id, str(user_id)),
            kind=Kind.DOCUMENT,
            text=caption,
            file_id=f"console-file-{n}",
            file_unique_id=f"cf{n}",
            file_size=len(data),
            file_name=filename,
            fetch=lambda: data,
        )

    def press(self, user_id: int, data_prefix: str, name: str | None = None, suffix: str = "") -> Incoming:
        """Press the newest button in the user's chat whose data starts with `data_prefix`."""
        for shown in reversed(self.chats.get(user_id, [])):
            for row in shown.buttons:
                for button in row:
                    data = unversioned(button.data)
                    if data.startswith(data_prefix) and data.endswith(suffix):
                        self._print_line(user_id, f"▶ [{button.text}]")
                        return Incoming(
                            chat_id=user_id,
                            user_id=user_id,
                            kind=Kind.BUTTON,
                            data=button.data,
                            callback_id=f"cb{next(self._ids)}",
                            message_id=shown.id,
                            user_name=name or self.names.get(user_id, str(user_id)),
                        )
        raise LookupError(f"no button {data_prefix!r} in chat {user_id}")

    def _button(self, chat_id: int, number: int) -> tuple[Shown, Button] | None:
        for shown in reversed(self.chats.get(chat_id, [])):
            flat = [b for row in shown.buttons for b in row]
            if flat:
                return (shown, flat[number - 1]) if 1 <= number <= len(flat) else None
        return None

    # -- handling -------------------------------------------------------------------------
    async def handle(self, inc: Incoming, echo: bool = True) -> None:
        """Let the core handle `inc` and show what it answers."""
        if echo and inc.kind is not Kind.BUTTON:
            shown = f"/{inc.command} {inc.text}".strip() if inc.kind is Kind.COMMAND else inc.text
            if inc.kind is Kind.PHOTO:
                shown = f"📷 ({inc.file_id}) {inc.text}".strip()
            if inc.kind is Kind.DOCUMENT:
                where = self.uploads.get(inc.file_id or "") or f"{(inc.file_size or 0) // 1024 + 1} KB"
                shown = f"📎 [{inc.file_name}: {where}] {inc.text}".rstrip()
            self._print_line(inc.user_id, f"▶ {shown}")
        self._answering = inc.chat_id
        self.perform(self.core.handle(inc))
        if self.outbox is not None:
            await self.outbox.drain()

    def perform(self, outputs: list[Output]) -> None:
        for output in outputs:
            if isinstance(output, Send):
                self._show(output.chat_id, self._attachment(output), output.buttons, photo=output.photo)
            elif isinstance(output, Edit):
                for shown in self.chats.get(output.chat_id, []):
                    if shown.id == output.message_id:
                        shown.text, shown.buttons = output.text, output.buttons
                if self._elsewhere(output.chat_id):
                    self._keep(output.chat_id, Shown(output.message_id, "✎ " + output.text, output.buttons))
                elif output.text.startswith("🔄"):  # a card edited in place: one line is enough here
                    lines = [ln for ln in output.text.splitlines() if ln.strip() and not ln.startswith("🏛")]
                    self._print_line(output.chat_id, f"✎ {lines[0]} — {lines[1] if len(lines) > 1 else ''}")
                else:
                    self._print_block(output.chat_id, "✎ " + output.text, output.buttons)
            elif isinstance(output, Answer) and output.text:
                self._print_line(self._answering or self._last_chat, f"ⓘ {output.text}")

    async def deliver(self, part: Send | Edit) -> int | None:
        """The outbox's way out: notifications land in the recipient's console chat."""
        if isinstance(part, Edit):
            self.perform([part])
            return part.message_id
        return self._show(part.chat_id, self._attachment(part), part.buttons, photo=part.photo, pushed=True)

    def _attachment(self, send: Send) -> str:
        """The text of a message, after a note of the picture or file it carries (saved if asked)."""
        data, name = (send.image, "chart.png") if send.image is not None else (send.document, send.filename)
        if data is None:
            return send.text
        label = f"{len(data) // 1024 + 1} KB"
        if self.save_dir is not None:
            # The same file sent again (an archived ledger to the official who asked, to the one who
            # confirms it, to the one it is sent up to) is the one saved first, as Telegram sends it again.
            key = (name or "file", hashlib.sha256(data).digest())
            path = self._saved_as.get(key) or self.save_dir / f"{next(self._files):02d}-{key[0]}"
            if key not in self._saved_as:
                self.save_dir.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                self._saved_as[key] = path
            label = str(path)
        icon = "🖼" if send.image is not None else "📎"
        return f"{icon} [{name}: {label}] {send.text}".rstrip()

    # -- whose chat is shown ------------------------------------------------------------------
    def _elsewhere(self, chat_id: int) -> bool:
        return self.viewer is not None and chat_id not in (self.viewer, 0)

    def _keep(self, chat_id: int, shown: Shown) -> None:
        """A message for someone the console does not play now: kept for them, noted as theirs."""
        self.unseen.setdefault(chat_id, []).append(shown)
        first = next((ln for ln in shown.text.splitlines() if ln.strip()), "")
        self.note(f"→ to {self.who(chat_id)}: {first}")

    def note(self, line: str) -> None:
        """A line of the console's own, dim and indented, so it never reads as a message to the viewer."""
        dim, plain = ("\x1b[2m", "\x1b[0m") if self.out.isatty() else ("", "")
        self.out.write(f"{dim}      {line}{plain}\n")

    def switch(self, viewer: int) -> None:
        """Play `viewer` from now on: their header, then what was kept for them meanwhile."""
        self.viewer = viewer
        self._last_chat = 0
        self._header(viewer)
        for shown in self.unseen.pop(viewer, []):
            self._print_block(viewer, shown.text, shown.buttons)

    def who(self, chat_id: int) -> str:
        found = self.describe(chat_id) if self.describe is not None else None
        return found or self.names.get(chat_id) or str(chat_id)

    # -- printing -------------------------------------------------------------------------
    _last_chat = 0
    _answering = 0

    def _show(
        self,
        chat_id: int,
        text: str,
        buttons: list[list[Button]],
        photo: str | None = None,
        pushed: bool = False,
    ) -> int:
        shown = Shown(next(self._ids), text, buttons)
        self.chats.setdefault(chat_id, []).append(shown)
        prefix = "🔔 " if pushed else ""
        if photo:
            text = f"📷 [{photo}] {text}"
        if self._elsewhere(chat_id):
            self._keep(chat_id, Shown(shown.id, prefix + text, buttons))
        else:
            self._print_block(chat_id, prefix + text, buttons)
        return shown.id

    def _print_line(self, chat_id: int, line: str) -> None:
        if self._elsewhere(chat_id):
            self._keep(chat_id, Shown(0, line, []))
            return
        self._header(chat_id)
        self.out.write(textwrap.indent(line, "   ") + "\n")

    def _header(self, chat_id: int) -> None:
        if chat_id not in (self._last_chat, 0):
            who = self.who(chat_id)
            self.out.write(f"\n── {who} " + "─" * max(4, self.width - len(who) * 2 - 4) + "\n")
            self._last_chat = chat_id

    def _print_block(self, chat_id: int, text: str, buttons: list[list[Button]]) -> None:
        if self._elsewhere(chat_id):
            self._keep(chat_id, Shown(0, text, buttons))
            return
        self._header(chat_id)
        for i, line in enumerate(text.splitlines() or [""]):
            self.out.write(("   ◀ " if i == 0 else "     ") + line + "\n")
        flat = [b for row in buttons for b in row]
        for i, button in enumerate(flat, 1):
            self.out.write(f"       [{i}] {button.text}\n")
