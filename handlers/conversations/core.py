"""The conversation core: one entry point, `Core.handle`, shared by every front end."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from handlers.conversations import (
    engine,
    group,
    ledger,
    menus,
    official,
    owner,
    owner_reports,
    registry,
    report,
    report_calendar,
    revenue,
    revenue_manager,
    revenue_official,
    revenue_owner,
    staff,
    stats,
    typical,
    web,
    welcome,
)
from handlers.conversations.buttons import decode, encode
from handlers.conversations.engine import Flow
from handlers.conversations.errors import explain
from handlers.conversations.io import Button, Incoming, Kind, Output, SetMenu
from handlers.conversations.turn import Turn
from handlers.ports import ChatState, TranslatorFactory
from handlers.services import people
from handlers.services.access import Actor
from handlers.services.context import Context
from handlers.services.errors import Conflict, NotAllowed, NotFound, UserError
from handlers.services.update_reads import one_update
from handlers.text import LANGUAGE_NAMES, LANGUAGES, Lang, resolve_language

log = logging.getLogger("wuye.core")

Step = Callable[[Turn], None]
MAX_TEXT = 4000  # anything longer is refused before any flow sees it


def cancel(turn: Turn) -> None:
    had = turn.state is not None
    turn.clear_state()
    turn.say(turn.t("Cancelled. Nothing was saved.") if had else turn.t("There is nothing to cancel."))


def language(turn: Turn) -> None:
    turn.say(
        turn.t("Choose your language:"),
        [[Button(LANGUAGE_NAMES[lang], encode("lg", lang))] for lang in LANGUAGES],
    )


def choose_language(turn: Turn) -> None:
    code = turn.arg(0)
    people.set_language(turn.ctx, turn.person_id, code)
    turn.switch_language(code)
    turn.toast()
    turn.edit_pressed(turn.t("Language set to English.") if code == "en" else turn.t("Language changed."))
    engine.after_press(turn, CONVERSATION_BY_NAME)  # joining: the language chosen finishes it


# Each command of the registry (handlers/conversations/registry.py) and the step that answers it.
STEPS: dict[str, Step] = {
    "start": welcome.start,
    "help": welcome.help_,
    "cancel": cancel,
    "language": language,
    "join": welcome.join_command,
    "report": report.begin,
    "my": owner_reports.my_tickets,
    "privacy": owner.privacy,
    "tasks": staff.tasks,
    "team": staff.team,
    "area": official.area,
    "supervision": official.supervision_list,
    "overdue": official.overdue_list,
    "revenue": revenue_owner.show,
    "revenue_template": revenue_manager.template,
    "disclosure": revenue_official.disclosure_overview,
    "stats": stats.show,
    "ledger": ledger.command,
    "web": web.sign_in_code,
    "reports": report_calendar.command,
}


def dispatch_table(
    steps: dict[str, Step], names: frozenset[str], commands: tuple[registry.Command, ...] = registry.REGISTRY
) -> dict[str, Step]:
    """The registry's commands with their steps; one list of commands, so the menus, /help and the
    dispatch agree: a command without a step, or a step without an entry, is refused here."""
    if set(steps) != names:
        raise RuntimeError(f"commands without a step or a registry entry: {sorted(set(steps) ^ names)}")
    return {c.name: steps[c.name] for c in commands if c.name in names}


COMMANDS: dict[str, Step] = dispatch_table(STEPS, registry.NAMES)

STEPS_IN_GROUPS: dict[str, Step] = {
    "bind": group.bind,
    "unbind": group.unbind,
    "help": group.help_,
    "cancel": cancel,
}
COMMANDS_IN_GROUPS: dict[str, Step] = dispatch_table(
    STEPS_IN_GROUPS, registry.GROUP_NAMES, registry.IN_GROUPS
)

# Every conversation of more than one message, each a table (handlers/conversations/engine.py).
CONVERSATIONS: tuple[Flow[Any], ...] = (
    *report.CONVERSATIONS,
    *owner.CONVERSATIONS,
    *owner_reports.CONVERSATIONS,
    *staff.CONVERSATIONS,
    *official.CONVERSATIONS,
    *revenue.CONVERSATIONS,
    *typical.CONVERSATIONS,
)
CONVERSATION_BY_NAME: dict[str, Flow[Any]] = {f.name: f for f in CONVERSATIONS}
# Buttons every chat has, that a conversation may also take where it is (after the core's own step).
SHARED_BUTTONS = frozenset({"lg"})


def button_table(steps: dict[str, Step], flows: tuple[Flow[Any], ...]) -> dict[str, Step]:
    """Each button action and its step: the commands' and cards' buttons, and the conversations' own
    (which only the engine runs). An action claimed twice stops the import."""
    table = dict(steps)
    for flow in flows:
        for action in flow.buttons:
            if action in SHARED_BUTTONS:
                continue
            if action in table:
                raise RuntimeError(f"button {action!r} claimed twice ({flow.name})")
            table[action] = engine.on_press(flow)
    return table


BUTTONS: dict[str, Step] = button_table(
    {
        "lg": choose_language,
        **owner.BUTTONS,
        **owner_reports.BUTTONS,
        **staff.BUTTONS,
        **official.BUTTONS,
        **revenue.BUTTONS,
        **group.BUTTONS,
        **stats.BUTTONS,
        **ledger.BUTTONS,
        **report_calendar.BUTTONS,
        **typical.BUTTONS,
    },
    CONVERSATIONS,
)
FLOWS: dict[str, Step] = {f.name: engine.on_message(f) for f in CONVERSATIONS}


# What can change who a person is or their language: then their chat's command menu is set anew.
MENU_COMMANDS = frozenset({"start", "join"})
MENU_BUTTONS = frozenset({"lg", "pd"})  # language chosen; data deleted
MENU_FLOWS = frozenset({"join"})


def _menu_may_change(inc: Incoming, state: ChatState | None) -> bool:
    if inc.chat_type != "private":
        return False
    if inc.kind is Kind.COMMAND:
        return inc.command in MENU_COMMANDS
    if inc.kind is Kind.BUTTON:
        press = decode(inc.data)
        return press is not None and press.action in MENU_BUTTONS
    return state is not None and state.flow in MENU_FLOWS


def _menu(turn: Turn) -> SetMenu:
    """The person's menu as they are after this update (a stranger's if they deleted their data)."""
    try:
        actor: Actor | None = turn.actor()
    except NotFound:
        actor = None
    return menus.set_menu(turn.inc.chat_id, actor, turn.tr)


class TurnBroken(Exception):
    """A turn failed after its flow began (its cause is the original error): part of what it did may
    be committed, so it is not one to try again by itself."""


class Core:
    """Turns one incoming update into the outputs a front end must perform."""

    def __init__(self, ctx: Context, translations: TranslatorFactory) -> None:
        self.ctx = ctx
        self.translations = translations

    def handle(self, inc: Incoming) -> list[Output]:
        """Handle one update; a redelivered one (same update id) changes nothing and says nothing.

        Two transactions of bookkeeping per update, whatever the flow does in between: one to check the
        update id, know the person and load the chat's state (committed only when the person was new
        or changed: a press costs the flow's commit and the last one); one to write the chat's new
        state and mark the update handled. Both, and the flow, inside the chat's turn
        (`Context.chat_turns`), so an update redelivered to another process meanwhile waits and then
        finds itself handled.

        The person and their roles (the actor) are read once per update, whichever of its units of work
        asks first (handlers/services/update_reads.py); the chat's state once, with the bookkeeping."""
        with self.ctx.chat_turns(inc.bot_id, inc.chat_id), one_update():
            return self._turn(inc.cleaned())

    def _turn(self, inc: Incoming) -> list[Output]:
        with self.ctx.uow() as uow:
            if inc.update_id is not None and uow.updates.seen(inc.bot_id, inc.update_id):
                log.info("update %s was already handled; ignored", inc.update_id)
                return []
            person, changed = people.know_person(uow, self.ctx.clock.now(), inc.user_id, inc.user_name)
            state = uow.conversations.get(inc.chat_id, inc.user_id)
            # Someone who never chose a language reads their estate's; a stranger, their Telegram app's.
            lang: Lang = people.language_of(uow, person) or resolve_language(inc.language_code)
            if changed:  # a read-only look-up ends without a commit
                uow.commit()
        turn = Turn(
            self.ctx,
            inc,
            person,
            lang,
            self.translations.for_lang(lang),
            state=state,
            translators=self.translations.for_lang,
        )
        try:
            return self._run(turn)
        except Exception as exc:
            # The flow may have committed part of its work: whoever runs turns must not simply try this
            # one again (a report could be filed twice). A failure before this point changed nothing.
            raise TurnBroken(f"{type(exc).__name__}: {exc}") from exc

    def _run(self, turn: Turn) -> list[Output]:
        inc = turn.inc
        handled = False
        try:
            outputs = self._handle(turn)
            handled = True
        finally:
            # The chat keeps the steps it completed even when the flow failed half-way; only a handled
            # update is marked, so a redelivery of a failed one gets another try.
            with self.ctx.uow() as uow:
                turn.save_state(uow)
                if handled and inc.update_id is not None:
                    uow.updates.mark(inc.bot_id, inc.update_id, self.ctx.clock.now())
                uow.commit()
        return outputs

    def _handle(self, turn: Turn) -> list[Output]:
        inc = turn.inc
        menu_may_change = _menu_may_change(inc, turn.state)
        try:
            self._dispatch(turn)
        except UserError as exc:
            turn.toast(explain(turn.tr, exc), alert=True) if inc.kind is Kind.BUTTON else turn.say(
                explain(turn.tr, exc)
            )
            if isinstance(exc, NotFound | NotAllowed | Conflict) or exc.code == "illegal_transition":
                turn.clear_state()  # not a typo to correct: the ticket moved on or is not theirs
        except Exception:
            # A fault of ours (or the database gone in the middle): the person is still answered and the
            # press stops spinning, the conversation starts clean, the traceback is logged once, here.
            # The update counts as handled: part of the flow may be done, so it is not run again.
            log.exception("update %s from chat %s failed in its flow", inc.update_id, inc.chat_id)
            turn.clear_state()
            sorry = turn.t("Sorry, that did not work on our side. Please try again in a moment.")
            turn.toast(sorry, alert=True) if inc.kind is Kind.BUTTON else turn.say(sorry)
        turn.toast()  # every button press gets an answer, or the client spins
        if menu_may_change:
            turn.out.append(_menu(turn))
        return turn.out

    def _dispatch(self, turn: Turn) -> None:
        inc = turn.inc
        if inc.kind is Kind.BUTTON:
            turn.press = decode(inc.data)
            if turn.press is None or turn.press.action not in BUTTONS:
                # Not a button of ours (forged, or from a version long gone): said once, no traceback.
                log.info("a press from chat %s carried data that is not a button of ours", inc.chat_id)
                turn.toast(turn.t("This button is no longer valid."), alert=True)
                return
        if inc.chat_type != "private":
            group.handle(turn, COMMANDS_IN_GROUPS, BUTTONS, FLOWS)
            return
        if turn.press is not None:
            BUTTONS[turn.press.action](turn)
            return
        if len(inc.text) > MAX_TEXT:
            turn.say(
                turn.t(
                    "That message is too long ({length} characters). Please keep it under {maximum}.",
                    length=len(inc.text),
                    maximum=MAX_TEXT,
                )
            )
            return
        if inc.kind is Kind.COMMAND:
            command = COMMANDS.get(inc.command or "")
            if command is None:
                turn.say(turn.t("I do not know that command."))
                welcome.help_(turn)
                return
            if inc.command not in ("cancel", "language", "help", "privacy") and turn.state is not None:
                turn.clear_state()  # a new command leaves the old conversation
            command(turn)
            return
        if turn.state is not None:
            flow = FLOWS.get(turn.state.flow)
            if flow is not None:
                flow(turn)
                return
            turn.clear_state()
        if revenue_manager.wants_document(turn):
            return
        if inc.kind is Kind.DOCUMENT:  # a file from someone who does not publish disclosures
            turn.say(revenue_manager.not_a_manager(turn))
            turn.say(turn.t("To report a problem, send /report: photos can be added there."))
            return
        if inc.kind is Kind.OTHER:
            turn.say(turn.t("I can only read text, photos and documents."))
            return
        if inc.kind is Kind.TEXT and report.offer(turn):
            return
        turn.say(turn.t("I did not understand that."))
        welcome.help_(turn)
