"""The supervision figures of a scope over a month, loaded from a real database (SQLite and PostgreSQL)
after a month of tickets handled through the use cases; and the rating asked of an owner whose ticket
was closed without their confirmation."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.documents.setup_file import read_setup
from handlers.rules.categories import Category, Urgency
from handlers.rules.figures import Figures
from handlers.rules.lifecycle import Event, Status
from handlers.rules.periods import Period
from handlers.rules.ranking import Rate
from handlers.services import ladder, supervision, tickets
from handlers.services.errors import NotFound
from handlers.services.figures import Scope, ScopeKind, figures_for
from handlers.services.setup import apply_setup
from tests.service.talk import Talk
from tests.service.world import LIU_COMMUNITY, SMITH_OWNER, ZHANG_OWNER, World, sh

DECEMBER, NOVEMBER = Period.month(2026, 12), Period.month(2026, 11)


def report_at(world: World, when: datetime, owner: int = ZHANG_OWNER) -> int:
    """A lift that traps nobody but must be fixed today: acknowledge within 1 hour, resolve within 12."""
    world.clock.set(when)
    return world.report(owner, category=Category.LIFT, urgency=Urgency.URGENT).id or 0


def at(world: World, when: datetime) -> World:
    world.clock.set(when)
    return world


def handler(world: World, tid: int) -> int:
    return world.ticket(tid).assignee_id or 0


def scope(world: World, kind: ScopeKind, key: str) -> Scope:
    """A scope named by its key in the setup file."""
    with world.ctx.uow() as uow:
        repository = {ScopeKind.ESTATE: uow.estates, ScopeKind.COMPANY: uow.companies}.get(kind, uow.offices)
        found = repository.by_key(key)
        assert found is not None and found.id is not None
        return Scope(kind, found.id)


def a_month_of_tickets(world: World) -> dict[str, int]:
    """Five tickets at 海滨花园 and one at 前埔 (another street, another company), handled in December."""
    ctx = world.ctx
    zhang, smith = world.pid(ZHANG_OWNER), world.pid(SMITH_OWNER)
    liu = world.pid(LIU_COMMUNITY)
    t = {}
    # Reported at 23:30 on 30 November (Shanghai): a November report; acknowledged late in December.
    t["november"] = report_at(world, sh(2026, 11, 30, 23, 30))
    tickets.acknowledge(at(world, sh(2026, 12, 1, 9)).ctx, handler(world, t["november"]), t["november"])
    tickets.resolve(
        at(world, sh(2026, 12, 1, 10)).ctx, handler(world, t["november"]), t["november"], "已修好"
    )
    # Everything in time, confirmed and rated 5.
    t["model"] = report_at(world, sh(2026, 12, 1, 10))
    tickets.acknowledge(at(world, sh(2026, 12, 1, 10, 30)).ctx, handler(world, t["model"]), t["model"])
    tickets.resolve(at(world, sh(2026, 12, 1, 15)).ctx, handler(world, t["model"]), t["model"], "已修好")
    tickets.confirm(at(world, sh(2026, 12, 1, 16)).ctx, zhang, t["model"])
    tickets.rate(ctx, zhang, t["model"], 5)
    # Acknowledged and resolved late; closed without the owner's confirmation, who then rates it 3.
    t["slow"] = report_at(world, sh(2026, 12, 2, 10))
    tickets.acknowledge(at(world, sh(2026, 12, 2, 12)).ctx, handler(world, t["slow"]), t["slow"])
    tickets.resolve(at(world, sh(2026, 12, 3, 10)).ctx, handler(world, t["slow"]), t["slow"], "已修好")
    tickets.close_unconfirmed(at(world, sh(2026, 12, 8, 10)).ctx, t["slow"])
    tickets.rate(ctx, zhang, t["slow"], 3)
    # Resolved after its first deadline (22:00) but within the day the community granted; then reopened.
    t["extended"] = report_at(world, sh(2026, 12, 3, 10))
    staff = handler(world, t["extended"])
    tickets.acknowledge(at(world, sh(2026, 12, 3, 10, 10)).ctx, staff, t["extended"])
    supervision.request_extension(at(world, sh(2026, 12, 3, 12)).ctx, staff, t["extended"], 1)
    supervision.decide_extension(at(world, sh(2026, 12, 3, 13)).ctx, liu, t["extended"], True)
    assert world.ticket(t["extended"]).due_at > sh(2026, 12, 4, 12)  # type: ignore[operator]
    tickets.resolve(at(world, sh(2026, 12, 4, 12)).ctx, staff, t["extended"], "已修好")
    tickets.reopen(at(world, sh(2026, 12, 4, 15)).ctx, zhang, t["extended"], "还是关不上")
    # Passed to the city management bureau before anyone acknowledged it; the bureau never resolves it.
    t["transferred"] = report_at(world, sh(2026, 12, 5, 10))
    tickets.transfer_department(
        at(world, sh(2026, 12, 5, 10, 20)).ctx, liu, t["transferred"], "siming-chengguan", "占道施工"
    )
    # At 前埔, in another street and company: left unacknowledged.
    t["elsewhere"] = report_at(world, sh(2026, 12, 6, 10), SMITH_OWNER)
    assert world.ticket(t["elsewhere"]).reporter_id == smith
    # The year's last day: the ladder climbs whatever came due (listed supervision included) and closes
    # the November ticket the owner never confirmed.
    ladder.sweep(at(world, sh(2026, 12, 31, 12)).ctx)
    return t


def test_a_month_at_one_estate_counts_each_figure_as_the_readme_defines_it(world: World) -> None:
    t = a_month_of_tickets(world)
    assert world.ticket(t["november"]).status is Status.CLOSED_UNCONFIRMED
    assert {e.data.get("rung") for e in world.events(t["extended"]) if e.event is Event.ESCALATE} >= {
        "bureau"
    }
    haibin = scope(world, ScopeKind.ESTATE, "haibin")
    assert figures_for(world.ctx, haibin, DECEMBER) == Figures(
        received=4,  # the 23:30 report of 30 November is November's
        responded_in_time=Rate(2, 4),  # model, extended; november (limit 00:30 on 1 December), slow
        resolved_on_time=Rate(3, 5),  # november, model, extended (by the extension); slow, transferred
        closed_confirmed=1,
        closed_unconfirmed=2,  # slow; november, closed by the sweep
        withdrawn=0,
        satisfaction=Rate(1, 2),  # 5 stars on a confirmed fix, 3 on an unconfirmed one
        overdue_now=2,  # extended (its fresh deadline after reopening), transferred (the bureau's)
        reopened=1,
        supervised=2,  # extended and transferred reached the bureau's rung
        transferred=1,
    )
    november = figures_for(world.ctx, haibin, NOVEMBER)
    assert (november.received, november.responded_in_time, november.resolved_on_time) == (
        1,
        Rate(0, 0),
        Rate(0, 0),
    )


def test_a_late_first_acknowledgement_stays_late_after_a_reopening_sets_a_fresh_limit(world: World) -> None:
    tid = report_at(world, sh(2026, 12, 1, 10))  # acknowledge by 11:00
    staff = handler(world, tid)
    tickets.acknowledge(at(world, sh(2026, 12, 1, 14)).ctx, staff, tid)
    tickets.resolve(at(world, sh(2026, 12, 1, 16)).ctx, staff, tid, "已修好")
    tickets.reopen(at(world, sh(2026, 12, 2, 9)).ctx, world.pid(ZHANG_OWNER), tid, "还是坏的")
    assert world.ticket(tid).ack_due_at == sh(2026, 12, 2, 10)  # the fresh cycle's limit, on the ticket
    found = figures_for(at(world, sh(2026, 12, 3, 9)).ctx, scope(world, ScopeKind.ESTATE, "haibin"), DECEMBER)
    assert found.responded_in_time == Rate(0, 1)  # judged by 11:00 on 1 December, kept with the report


def test_wider_scopes_take_in_every_estate_under_them(world: World) -> None:
    a_month_of_tickets(world)

    def received(kind: ScopeKind, key: str) -> tuple[int, Rate]:
        found = figures_for(world.ctx, scope(world, kind, key), DECEMBER)
        return found.received, found.responded_in_time

    assert received(ScopeKind.COMPANY, "haixin-pm") == (4, Rate(2, 4))
    assert received(ScopeKind.COMMUNITY, "lianhua-community") == (4, Rate(2, 4))
    assert received(ScopeKind.STREET, "jialian-street") == (4, Rate(2, 4))
    assert received(ScopeKind.STREET, "lianqian-street") == (1, Rate(0, 1))  # 前埔, never acknowledged
    assert received(ScopeKind.COMPANY, "lujiang-pm") == (1, Rate(0, 1))
    assert received(ScopeKind.DISTRICT, "siming-bureau") == (5, Rate(2, 5))
    assert received(ScopeKind.ESTATE, "shangdu") == (0, Rate(0, 0))


def test_a_scope_of_the_wrong_kind_is_refused(world: World) -> None:
    street = scope(world, ScopeKind.STREET, "jialian-street").id
    with pytest.raises(NotFound) as caught:
        figures_for(world.ctx, Scope(ScopeKind.DISTRICT, street), DECEMBER)
    assert caught.value.code == "office_unknown"
    with pytest.raises(NotFound) as unknown:
        figures_for(world.ctx, Scope(ScopeKind.COMPANY, 99999), DECEMBER)
    assert unknown.value.code == "company_unknown"


def test_the_minimum_sample_comes_from_the_setup_file(world: World, tmp_path: Path) -> None:
    haibin = scope(world, ScopeKind.ESTATE, "haibin")
    assert figures_for(world.ctx, haibin, DECEMBER).responded_in_time.min_sample == 5
    path = tmp_path / "supervision.yaml"
    path.write_text("supervision: {min_sample: 2}\n", encoding="utf-8")
    apply_setup(world.ctx, read_setup(path))
    a_month_of_tickets(world)
    rate = figures_for(world.ctx, haibin, DECEMBER).responded_in_time
    assert (rate, rate.ranked) == (Rate(2, 4, 2), True)


async def test_an_owner_whose_ticket_closed_unconfirmed_is_asked_to_rate_it_apart(world: World) -> None:
    talk = Talk(world.ctx)
    tid = report_at(world, sh(2026, 12, 1, 10))
    tickets.acknowledge(at(world, sh(2026, 12, 1, 10, 20)).ctx, handler(world, tid), tid)
    tickets.resolve(at(world, sh(2026, 12, 1, 15)).ctx, handler(world, tid), tid, "已更换门机控制板")
    await talk.outbox.drain()
    mark = len(talk.seen)
    tickets.close_unconfirmed(at(world, sh(2026, 12, 4, 15)).ctx, tid)
    await talk.outbox.drain()
    shown = [s for s in talk.since(mark) if s.chat_id == ZHANG_OWNER]
    assert len(shown) == 2  # the notice, and the question on a message of its own
    assert shown[1].buttons == tuple(f"rt:{tid}:{n}" for n in range(1, 6))
    await talk.press(ZHANG_OWNER, f"rt:{tid}:3")
    await talk.press(ZHANG_OWNER, f"rc:{tid}")
    ticket = world.ticket(tid)
    assert (ticket.status, ticket.rating) == (Status.CLOSED_UNCONFIRMED, 3)
    haibin = scope(world, ScopeKind.ESTATE, "haibin")
    found = figures_for(world.ctx, haibin, DECEMBER)
    assert (found.satisfaction, found.closed_confirmed, found.closed_unconfirmed) == (Rate(0, 1), 0, 1)


async def test_the_question_is_left_out_once_the_owner_has_reopened_the_ticket(world: World) -> None:
    talk = Talk(world.ctx)
    tid = report_at(world, sh(2026, 12, 1, 10))
    tickets.acknowledge(at(world, sh(2026, 12, 1, 10, 20)).ctx, handler(world, tid), tid)
    tickets.resolve(at(world, sh(2026, 12, 1, 15)).ctx, handler(world, tid), tid, "已更换门机控制板")
    tickets.close_unconfirmed(at(world, sh(2026, 12, 4, 15)).ctx, tid)
    tickets.reopen(at(world, sh(2026, 12, 4, 15, 5)).ctx, world.pid(ZHANG_OWNER), tid, "还是坏的")
    await talk.outbox.drain()  # the closing notice goes out only now, after the reopening
    closing = [s for s in talk.seen if s.chat_id == ZHANG_OWNER and "/my" in s.text]
    assert len(closing) == 1  # the notice itself still says it was closed
    assert not [b for s in talk.seen for b in s.buttons if b.startswith("rt:")]


async def test_my_reports_offer_the_stars_on_an_unconfirmed_closure_until_rated(world: World) -> None:
    talk = Talk(world.ctx)
    tid = report_at(world, sh(2026, 12, 1, 10))
    tickets.acknowledge(at(world, sh(2026, 12, 1, 10, 20)).ctx, handler(world, tid), tid)
    tickets.resolve(at(world, sh(2026, 12, 1, 15)).ctx, handler(world, tid), tid, "已更换门机控制板")
    tickets.close_unconfirmed(at(world, sh(2026, 12, 4, 15)).ctx, tid)
    await talk.outbox.drain()  # the notice's own stars are not what /my offers
    mark = len(talk.seen)
    await talk.press(ZHANG_OWNER, f"mt:{tid}")
    assert f"rt:{tid}:4" in [b for s in talk.since(mark) for b in s.buttons]
    tickets.rate(world.ctx, world.pid(ZHANG_OWNER), tid, 4)
    mark = len(talk.seen)
    await talk.press(ZHANG_OWNER, f"mt:{tid}")
    assert not [b for s in talk.since(mark) for b in s.buttons if b.startswith("rt:")]
