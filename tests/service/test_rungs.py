"""What the escalation ladder says as a case climbs (#17): a rung's card says how overdue the case is in
working days and its status, drawn when it is sent; the timeline names the office it went to; nobody
is told an office was informed when none of its people can be reached, and the managers are asked to
phone them instead; and each act has one word in the buttons, the timeline and the notices."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.conversations import labels
from handlers.rules.lifecycle import Event, Status
from handlers.services import ladder, tickets
from tests.service.talk import Seen, Talk
from tests.service.world import LIU_COMMUNITY, WANG_MANAGER, WU_STREET, ZHANG_OWNER, World, sh
from tests.support.translations import shared_translations

# An ordinary lift report of Monday 2026-11-23 10:00 is due in 7 working days: Wednesday 2 December
# 10:00. The community hears of it at the deadline, the street office 3 working days after it.
DUE = sh(2026, 12, 2, 10)
STREET_RUNG = sh(2026, 12, 7, 10, 5)  # Monday: Thursday, Friday, Monday are the 3 working days


def acknowledged_report(world: World) -> int:
    tid = world.report().id or 0
    assert world.ticket(tid).due_at == DUE
    tickets.acknowledge(world.ctx, world.ticket(tid).assignee_id or 0, tid)
    return tid


def rung_cards(talk: Talk, chat_id: int) -> list[Seen]:
    return [s for s in talk.seen if s.chat_id == chat_id and s.text.startswith("⬆️")]


def set_person(world: World, who: int, **fields: object) -> None:
    with world.ctx.uow() as uow:
        person = uow.people.by_telegram_id(who)
        assert person is not None
        for name, value in fields.items():
            setattr(person, name, value)
        uow.people.save(person)
        uow.commit()


async def test_the_street_office_card_says_how_many_working_days_overdue_and_the_status(world: World) -> None:
    talk = Talk(world.ctx)
    tid = acknowledged_report(world)
    world.clock.now = lambda: STREET_RUNG  # type: ignore[method-assign]
    ladder.sweep(world.ctx)
    await talk.outbox.drain()
    [card] = rung_cards(talk, WU_STREET)
    assert "🔴 已超期 3 个工作日（办理时限 2026年12月2日 10:00）；当前状态：已签收。" in card.text
    assert world.ticket(tid).status is Status.ACKNOWLEDGED


async def test_the_card_is_counted_when_it_is_sent_and_in_the_readers_language(world: World) -> None:
    talk = Talk(world.ctx)
    acknowledged_report(world)
    set_person(world, WU_STREET, language="en")
    world.clock.now = lambda: STREET_RUNG  # type: ignore[method-assign]
    ladder.sweep(world.ctx)
    # The outbox was down for a working day: the card says what is true when it goes out.
    world.clock.now = lambda: STREET_RUNG + timedelta(days=1)  # type: ignore[method-assign]
    await talk.outbox.drain()
    [card] = rung_cards(talk, WU_STREET)
    assert "Overdue by 4 working days (deadline" in card.text
    assert "status now: Acknowledged." in card.text


async def test_the_timeline_names_the_office_each_rung_went_to(world: World) -> None:
    talk = Talk(world.ctx)
    tid = acknowledged_report(world)
    world.clock.now = lambda: STREET_RUNG  # type: ignore[method-assign]
    ladder.sweep(world.ctx)
    mark = len(talk.seen)
    await talk.press(ZHANG_OWNER, f"tl:{tid}")
    timeline = "\n".join(s.text for s in talk.since(mark))
    assert "· 已上报至莲花社区居委会 ·" in timeline
    assert "· 已上报至嘉莲街道办事处 ·" in timeline
    assert "未能通过机器人联系到" not in timeline  # both offices could be reached


@pytest.mark.parametrize(
    ("unreachable", "why"),
    [({"unreachable": True}, "已屏蔽本机器人"), ({"telegram_id": None}, "尚未绑定 Telegram 账号")],
)
async def test_an_office_nobody_can_reach_is_not_said_to_be_informed_and_the_managers_are_asked_to_phone(
    world: World, unreachable: dict[str, object], why: str
) -> None:
    talk = Talk(world.ctx)
    tid = acknowledged_report(world)
    liu = world.pid(LIU_COMMUNITY)
    set_person(world, LIU_COMMUNITY, **unreachable)  # the community's only official
    world.clock.now = lambda: DUE + timedelta(minutes=5)  # type: ignore[method-assign]
    ladder.sweep(world.ctx)
    await talk.outbox.drain()
    if "telegram_id" in unreachable:
        # Their card is kept for the web pages (signing in with `wuye invite web`): neither a failure
        # nor a reason to mark them as having blocked the bot, and the rule below still fires.
        [card] = [n for n in world.notifications(tid, "ticket.escalated") if n.person_id == liu]
        assert card.outcome == "web" and card.failed_at is None
        assert talk.outbox.stats.failed == 0 and talk.outbox.stats.kept_for_web >= 1
        with world.ctx.uow() as uow:
            person = uow.people.get(liu)
            assert person is not None and not person.unreachable
    wang, zhang = world.pid(WANG_MANAGER), world.pid(ZHANG_OWNER)
    [asked] = world.notifications(tid, "ticket.unreached")
    assert asked.person_id == wang
    [to_wang] = [s for s in talk.seen if s.chat_id == WANG_MANAGER and s.text.startswith("⚠️")]
    assert to_wang.text.startswith("⚠️ HB-2026-000001 已上报至莲花社区居委会，但无法通过机器人联系到")
    assert f"• 刘主任（莲花社区）：{why}" in to_wang.text and "请电话联系他们" in to_wang.text
    [to_owner] = [s for s in talk.seen if s.chat_id == ZHANG_OWNER and s.text.startswith("📈")]
    assert "莲花社区居委会" in to_owner.text and "尚未收到通知" in to_owner.text
    everything = "\n".join(s.text for s in talk.seen)
    assert "由其跟进" not in everything and "已通知社区" not in everything  # nobody is told they were
    [escalation] = [e for e in world.events(tid) if e.event is Event.ESCALATE]
    assert escalation.data["unreached"] is True
    # The street office can be reached: it is told, and nobody is asked to phone it.
    world.clock.now = lambda: STREET_RUNG  # type: ignore[method-assign]
    ladder.sweep(world.ctx)
    await talk.outbox.drain()
    assert len(world.notifications(tid, "ticket.unreached")) == 1
    assert rung_cards(talk, WU_STREET)
    told = [s.text for s in talk.seen if s.chat_id == ZHANG_OWNER and s.text.startswith("📈")]
    assert told[-1].startswith("📈 HB-2026-000001 已超过办理时限，已上报至嘉莲街道办事处，由其跟进。")
    assert zhang not in {n.person_id for n in world.notifications(tid, "ticket.unreached")}


# ---- one word per act ------------------------------------------------------------------------------

# Every message that names the act, as the code writes it: the button, the timeline, the notices.
ACTS: dict[str, tuple[list[str], dict[str, str]]] = {
    "urge": (
        [
            "Urge the company",  # the official's button
            labels.EVENT[Event.URGE],  # the timeline
            "📢 {office} urges action on {number} (督办):\n“{note}”",  # to the assignee and manager
            "📢 {office} has urged the property company to act on {number}.",  # to the owner
        ],
        {"zh_Hans": "督办", "zh_Hant": "督辦", "en": "urge"},
    ),
    "transfer": (
        [
            "Transfer to a department",
            labels.EVENT[Event.TRANSFER_DEPARTMENT],
            labels.STATUS[Status.TRANSFERRED],
            "📣 A case has been transferred to your department (吹哨报到):\n“{note}”",
            "📣 {number} was transferred to a government department, which must report on it.",
            "{number} has been transferred to {name}, with a deadline of its own: {due}.",
        ],
        {"zh_Hans": "转交", "zh_Hant": "轉交", "en": "transfer"},
    ),
    "acknowledge": (
        [
            "Acknowledge",
            labels.EVENT[Event.ACKNOWLEDGE],
            labels.STATUS[Status.ACKNOWLEDGED],
            "Acknowledged {number}. The owner has been told.",
            "✅ Your report {number} was acknowledged by the property staff. Deadline: {due}.",
        ],
        {"zh_Hans": "签收", "zh_Hant": "簽收", "en": "acknowledg"},
    ),
    "resolve": (
        [
            "Resolve",
            labels.EVENT[Event.RESOLVE],
            labels.STATUS[Status.RESOLVED],
            "{number} has been marked resolved. The owner has been asked to confirm.",
            "✔️ {number} is marked resolved:\n“{note}”\n\nIs it fixed? If you do not answer, it closes "
            "unconfirmed on {close_at}.",
        ],
        {"zh_Hans": "办结", "zh_Hant": "辦結", "en": "resolve"},
    ),
    "escalate": (
        [
            labels.EVENT[Event.ESCALATE],
            "Escalated to {office}",
            "⬆️ {number} has been escalated to you: {reason}.",
            "📈 {number} is past its deadline and has been escalated to {office}, which now follows it up.",
        ],
        {"zh_Hans": "上报", "zh_Hant": "上報", "en": "escalat"},
    ),
}
# Words once used for these acts beside the chosen ones: no message uses them any more.
RETIRED = {"zh_Hans": ("催办", "转办"), "zh_Hant": ("催辦", "轉辦"), "en": ()}


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
@pytest.mark.parametrize("act", list(ACTS))
def test_an_act_has_one_word_in_the_button_the_timeline_and_the_notices(act: str, lang: str) -> None:
    messages, words = ACTS[act]
    tr = shared_translations().for_lang(lang)  # type: ignore[arg-type]
    for message in messages:
        shown = tr.gettext(message)
        assert lang == "en" or shown != message, f"not in the {lang} catalog: {message!r}"
        assert words[lang] in shown.lower(), f"{act}: {shown!r} does not say {words[lang]}"


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_no_message_uses_a_retired_word_for_an_act(lang: str) -> None:
    from babel.messages.pofile import read_po

    from bot.i18n.files import po_path
    from tests.unit.test_catalogs import ROOT

    with po_path(ROOT, lang).open("rb") as f:
        catalog = read_po(f)
    for message in catalog:
        texts = [message.string] if isinstance(message.string, str) else list(message.string or ())
        for text in texts:
            assert not any(word in text for word in RETIRED[lang]), text
