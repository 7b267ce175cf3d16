"""Quarterly disclosures on a real database (SQLite and PostgreSQL): publish, immutability, revisions,
one notification per owner, questions as tickets, and the deadline sweep on a controlled clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.demo.revenue_examples import example_rows
from bot.documents.revenue_chart import render_chart
from bot.documents.revenue_files import RevenueDocuments, read_grid, write_csv
from bot.documents.setup_file import read_setup
from handlers.clock import FixedClock
from handlers.conversations.buttons import unversioned
from handlers.conversations.cards import questioned_line
from handlers.conversations.core import Core
from handlers.conversations.io import Answer, Incoming, Kind, Send
from handlers.conversations.revenue_text import chart_spec
from handlers.domain.notifications import Notification
from handlers.domain.people import Person, Role, RoleKind
from handlers.ports import Grid
from handlers.rules.categories import Category, Privacy
from handlers.rules.lifecycle import Status
from handlers.services import revenue, revenue_oversight, revenue_reading
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, UserError
from handlers.services.revenue_deadlines import sweep_deadlines
from handlers.services.revenue_import import MAX_FILE_BYTES, disclosure_from_grid
from handlers.services.setup import apply_setup
from handlers.text import NullTranslator, NullTranslatorFactory
from storage.mapping import to_domain
from storage.tables import NotificationRow
from storage.uow import SqlUnitOfWork

SHANGHAI = ZoneInfo("Asia/Shanghai")
SETUP = Path(__file__).resolve().parents[2] / "examples" / "setup.yaml"
MANAGER, OWNER, COMMUNITY, STREET = 100001, 200001, 100041, 100051


class Holidays2026:
    """Mon–Fri, but National Day 2026 (Oct 1–7) off and Saturday Oct 10 a make-up working day (调休)."""

    def is_working_day(self, day: date) -> bool | None:
        if date(2026, 10, 1) <= day <= date(2026, 10, 7):
            return False
        if day == date(2026, 10, 10):
            return True
        return day.weekday() < 5


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def ctx(uow: Callable[[], SqlUnitOfWork]) -> Context:
    context = Context(
        uow=uow,
        clock=FixedClock(at(date(2026, 6, 1))),
        holidays=Holidays2026(),
        documents=RevenueDocuments(),
    )
    apply_setup(context, read_setup(SETUP))  # the estates joined in June, before the quarter ended
    context.clock.set(at(date(2026, 10, 12)))  # type: ignore[attr-defined]
    return context


def person(ctx: Context, telegram_id: int) -> int:
    with ctx.uow() as uow:
        found = uow.people.by_telegram_id(telegram_id)
        assert found is not None and found.id is not None
        return found.id


def estate_id(ctx: Context, key: str = "haibin") -> int:
    with ctx.uow() as uow:
        estate = uow.estates.by_key(key)
        assert estate is not None and estate.id is not None
        return estate.id


def grid(change: dict[str, str] | None = None, closing: str | None = None, quarter: str = "2026Q3") -> Grid:
    rows = [list(r) for r in example_rows(NullTranslator(), quarter)]
    for row in rows:
        if row and row[0] in (change or {}):
            row[3] = (change or {})[row[0]]
        if row and row[0] == "Closing balance [closing]" and closing is not None:
            row[1] = closing
    return read_grid(write_csv(rows, "utf-8"), "q.csv")


def notifications(ctx: Context, kind: str) -> list[Notification]:
    with ctx.uow() as uow:
        session = uow.session  # type: ignore[attr-defined]
        rows = session.scalars(select(NotificationRow).where(NotificationRow.kind == kind)).all()
        return [to_domain(row, Notification) for row in rows]


def owners_of(ctx: Context, key: str = "haibin") -> set[int]:
    with ctx.uow() as uow:
        eid = estate_id(ctx, key)
        return {
            r.person_id for k in (RoleKind.OWNER, RoleKind.COMMITTEE) for r in uow.roles.at_estate(eid, k)
        }


def test_import_previews_then_publish_tells_every_owner_once(ctx: Context) -> None:
    manager = person(ctx, MANAGER)
    preview = revenue.import_draft(ctx, manager, estate_id(ctx), grid(), source="q.csv")
    assert preview.stored.status == "draft" and preview.revision == 1
    assert (preview.figures.income_fen, preview.figures.net_fen, preview.figures.closing_fen) == (
        18_640_000,
        13_362_000,
        27_862_000,
    )
    assert preview.warnings == [] and preview.due_on == date(2026, 10, 15)
    assert notifications(ctx, "revenue.published") == []  # a preview tells nobody

    done = revenue.publish(ctx, manager, preview.stored.id or 0)
    assert done.on_time and not done.correction
    queued = notifications(ctx, "revenue.published")
    assert sorted(n.person_id for n in queued) == sorted(owners_of(ctx)) and done.notified == len(queued) == 3
    with pytest.raises(UserError) as again:
        revenue.publish(ctx, manager, preview.stored.id or 0)
    assert again.value.code == "disclosure_not_draft"
    assert len(notifications(ctx, "revenue.published")) == 3

    view = revenue_reading.owner_view(ctx, person(ctx, OWNER), estate_id(ctx))
    assert view.current is not None and view.current.id == preview.stored.id
    assert view.timeliness.value == "on_time" and [h.quarter for h in view.history] == ["2026Q3"]


def test_drafts_put_aside_use_up_no_revision_number(ctx: Context) -> None:
    manager, eid = person(ctx, MANAGER), estate_id(ctx)
    for _ in range(3):  # uploaded, looked at, thrown away (or replaced by the next upload)
        draft = revenue.import_draft(ctx, manager, eid, grid())
        assert draft.revision == 1
    revenue.discard(ctx, manager, draft.stored.id or 0)
    again = revenue.import_draft(ctx, manager, eid, grid())
    done = revenue.publish(ctx, manager, again.stored.id or 0)
    assert done.disclosure.revision == 1 and not done.correction  # the first publication is revision 1
    fix = revenue.import_draft(ctx, manager, eid, grid({"ads_lift": "36500.00"}, closing="279120.00"))
    assert fix.revision == 2 and fix.previous is not None and fix.previous.revision == 1
    with ctx.uow() as uow:
        kept = uow.disclosures.revisions(eid, "revenue", "2026Q3")
    assert [d.revision for d in kept if d.status == "published"] == [1]
    assert all(d.revision < 0 for d in kept if d.status != "published")  # drafts take no owners' number


def test_a_published_disclosure_never_changes(ctx: Context) -> None:
    manager = person(ctx, MANAGER)
    preview = revenue.import_draft(ctx, manager, estate_id(ctx), grid())
    revenue.publish(ctx, manager, preview.stored.id or 0)
    with ctx.uow() as uow, pytest.raises(ValueError, match="only a draft"):
        uow.disclosures.set_status(preview.stored.id or 0, "discarded", ctx.clock.now(), manager)
    with pytest.raises(UserError):
        revenue.discard(ctx, manager, preview.stored.id or 0)
    with ctx.uow() as uow:
        stored = uow.disclosures.get(preview.stored.id or 0)
    assert stored is not None and stored.status == "published" and len(stored.lines) == 14


def test_figures_that_do_not_reconcile_are_refused_and_nothing_is_stored(ctx: Context) -> None:
    with pytest.raises(revenue.DisclosureRefused) as refused:
        revenue.import_draft(ctx, person(ctx, MANAGER), estate_id(ctx), grid(closing="278620.01"))
    [finding] = refused.value.findings
    assert finding.code == "does_not_reconcile" and finding.params["difference"] == 1
    with ctx.uow() as uow:
        assert uow.disclosures.revisions(estate_id(ctx), "revenue", "2026Q3") == []


def test_only_the_estates_project_manager_may_import(ctx: Context) -> None:
    with pytest.raises(NotAllowed):
        revenue.import_draft(ctx, person(ctx, OWNER), estate_id(ctx), grid())
    with pytest.raises(NotAllowed):  # a manager of another estate
        revenue.import_draft(ctx, person(ctx, 100011), estate_id(ctx), grid())


def test_a_correction_is_a_new_revision_with_a_reason_and_owners_see_what_changed(ctx: Context) -> None:
    manager, eid = person(ctx, MANAGER), estate_id(ctx)
    first = revenue.import_draft(ctx, manager, eid, grid())
    revenue.publish(ctx, manager, first.stored.id or 0)
    ctx.clock.advance(timedelta(days=10))  # type: ignore[attr-defined]
    second = revenue.import_draft(ctx, manager, eid, grid({"ads_lift": "36500.00"}, closing="279120.00"))
    assert second.revision == 2 and second.previous is not None
    assert second.changes == [("ads_lift", 3_600_000, 3_650_000), ("closing", 27_862_000, 27_912_000)]
    with pytest.raises(UserError) as no_reason:
        revenue.publish(ctx, manager, second.stored.id or 0)
    assert no_reason.value.code == "text_too_short"
    done = revenue.publish(ctx, manager, second.stored.id or 0, "电梯广告合同补充协议漏记")
    assert done.correction and done.on_time  # timeliness counts from the first publication

    view = revenue_reading.owner_view(ctx, person(ctx, OWNER), eid)
    assert view.current is not None and view.current.revision == 2
    assert view.revision_reason == "电梯广告合同补充协议漏记" and view.changes == second.changes
    assert [h.revision for h in view.history] == [2]
    with ctx.uow() as uow:
        revisions = uow.disclosures.revisions(eid, "revenue", "2026Q3")
    assert [(d.revision, d.status) for d in revisions] == [(1, "published"), (2, "published")]
    assert revisions[0].lines[1].amount_fen == 3_600_000  # the first revision is kept as it was
    assert len(notifications(ctx, "revenue.revised")) == len(owners_of(ctx))


def test_publishing_to_thousands_of_owners_queues_one_each_in_bulk(ctx: Context) -> None:
    eid = estate_id(ctx)
    with ctx.uow() as uow:
        for i in range(2500):
            p = uow.people.add(Person(f"业主{i}", telegram_id=300_000 + i, created_at=ctx.clock.now()))
            uow.roles.add(Role(p.id or 0, RoleKind.OWNER, estate_id=eid, unit=f"{i}"))
        uow.commit()
    manager = person(ctx, MANAGER)
    done = revenue.publish(ctx, manager, revenue.import_draft(ctx, manager, eid, grid()).stored.id or 0)
    assert done.notified == 2503
    with ctx.uow() as uow:
        session = uow.session  # type: ignore[attr-defined]
        total, distinct = session.execute(
            select(func.count(), func.count(func.distinct(NotificationRow.person_id))).where(
                NotificationRow.kind == "revenue.published"
            )
        ).one()
    assert total == distinct == 2503


def test_an_owner_questions_a_line_and_a_ticket_is_opened_linked_to_it(ctx: Context) -> None:
    manager = person(ctx, MANAGER)
    preview = revenue.import_draft(ctx, manager, estate_id(ctx), grid())
    revenue.publish(ctx, manager, preview.stored.id or 0)
    share = next(x for x in preview.stored.lines if x.item == "management_share")
    ticket = revenue_reading.question_line(
        ctx, person(ctx, OWNER), share.id or 0, "管理费分成比例依据是什么？", Privacy.GOVERNMENT
    )
    assert ticket.category is Category.REVENUE_DISCLOSURE and ticket.status is Status.ASSIGNED
    assert ticket.assignee_id == manager and ticket.description == "管理费分成比例依据是什么？"
    with ctx.uow() as uow:  # every card names the line in its reader's language, from the link
        stored = uow.tickets.get(ticket.id or 0)
        assert stored is not None
        assert questioned_line(uow, NullTranslator(), stored) == (
            "Line questioned: The company's agreed management share · Public revenue of 海滨花园, Q3 2026"
        )
    with ctx.uow() as uow:
        link = uow.disclosures.question_of(ticket.id or 0)
    assert link is not None and (link.disclosure_id, link.line_id) == (preview.stored.id, share.id)


def test_a_draft_cannot_be_questioned(ctx: Context) -> None:
    preview = revenue.import_draft(ctx, person(ctx, MANAGER), estate_id(ctx), grid())
    with pytest.raises(UserError):
        revenue_reading.question_line(
            ctx, person(ctx, OWNER), preview.stored.lines[0].id or 0, "这是什么收入？", Privacy.NOBODY
        )


def sweep_on(ctx: Context, day: date) -> tuple[list[tuple[str, str, int]], list[tuple[str, str]]]:
    ctx.clock.set(at(day))  # type: ignore[attr-defined]
    report = sweep_deadlines(ctx)
    assert report.failed == 0
    return [x for x in report.reminded if x[0] == "haibin"], [x for x in report.missed if x[0] == "haibin"]


def test_deadline_reminders_and_warnings_follow_working_days_and_go_out_once(ctx: Context) -> None:
    # Due Thursday 2026-10-15. Five working days before: Fri 9th, since Sat 10th is a make-up day.
    assert sweep_on(ctx, date(2026, 10, 7)) == ([], [])  # a holiday: nobody is told anything
    assert sweep_on(ctx, date(2026, 10, 8)) == ([], [])  # a working day, but not yet 5 working days before
    assert sweep_on(ctx, date(2026, 10, 9)) == ([("haibin", "2026Q3", 5)], [])
    assert sweep_on(ctx, date(2026, 10, 9)) == ([], [])  # the same day again: nothing twice
    assert sweep_on(ctx, date(2026, 10, 11)) == ([], [])  # Sunday
    assert sweep_on(ctx, date(2026, 10, 14)) == ([("haibin", "2026Q3", 1)], [])
    assert sweep_on(ctx, date(2026, 10, 15)) == ([("haibin", "2026Q3", 0)], [])
    assert sweep_on(ctx, date(2026, 10, 17)) == ([], [])  # Saturday after the due date: waits for Monday
    assert sweep_on(ctx, date(2026, 10, 19)) == ([], [("haibin", "2026Q3")])
    assert sweep_on(ctx, date(2026, 10, 20)) == ([], [])

    reminders = notifications(ctx, "revenue.reminder")
    haibin_reminders = [n for n in reminders if n.params["estate_id"] == estate_id(ctx)]
    assert sorted(n.person_id for n in haibin_reminders) == [person(ctx, MANAGER)] * 3
    missed = [n for n in notifications(ctx, "revenue.missed") if n.params["estate_id"] == estate_id(ctx)]
    assert {n.person_id for n in missed} == {
        person(ctx, COMMUNITY),
        person(ctx, STREET),
        person(ctx, MANAGER),
    }
    assert len(missed) == 3
    with ctx.uow() as uow:
        mark = uow.disclosures.deadline(estate_id(ctx), "revenue", "2026Q3")
    assert mark is not None and mark.missed_at == at(date(2026, 10, 19))

    view = revenue_oversight.area_view(ctx, person(ctx, STREET))
    haibin = next(s for s in view.estates if s.estate.key == "haibin")
    assert haibin.status.value == "missing" and haibin.marked


def test_an_estate_that_joined_after_the_quarter_ended_is_not_asked_for_it(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    """Loaded on 12 October, an estate owes no disclosure for the third quarter (its manager's first
    message is not a warning about it); the fourth is asked of it as of everyone."""
    ctx = Context(uow=uow, clock=FixedClock(at(date(2026, 10, 12))), holidays=Holidays2026())
    apply_setup(ctx, read_setup(SETUP))
    for day in (date(2026, 10, 14), date(2026, 10, 15), date(2026, 10, 19)):
        assert sweep_on(ctx, day) == ([], [])
    assert not notifications(ctx, "revenue.reminder") and not notifications(ctx, "revenue.missed")
    with ctx.uow() as uow:
        assert uow.disclosures.deadline(estate_id(ctx), "revenue", "2026Q3") is None
    # 2026Q4 is due 15 January 2027 (five working days before: 8 January)
    assert sweep_on(ctx, date(2027, 1, 8)) == ([("haibin", "2026Q4", 5)], [])


def test_a_disclosure_published_in_time_stops_the_reminders(ctx: Context) -> None:
    ctx.clock.set(at(date(2026, 10, 9)))  # type: ignore[attr-defined]
    manager = person(ctx, MANAGER)
    revenue.publish(ctx, manager, revenue.import_draft(ctx, manager, estate_id(ctx), grid()).stored.id or 0)
    for day in (date(2026, 10, 9), date(2026, 10, 14), date(2026, 10, 16)):
        assert sweep_on(ctx, day) == ([], [])
    view = revenue_oversight.area_view(ctx, person(ctx, COMMUNITY))
    assert [(s.estate.key, s.status.value) for s in view.estates] == [("haibin", "on_time")]
    # One quarter out of one is no record to rank an estate on: shown apart, never placed first.
    assert view.estate_ranking.ranked == []
    [only] = view.estate_ranking.unranked
    assert (only.subject, only.rate.hits, only.rate.cases, only.position) == ("海滨花园", 1, 1, None)


def test_the_disclosure_ranking_places_only_rates_over_the_minimum_sample(
    ctx: Context, tmp_path: Path
) -> None:
    ctx.clock.set(at(date(2026, 10, 9)))  # type: ignore[attr-defined]
    manager = person(ctx, MANAGER)
    revenue.publish(ctx, manager, revenue.import_draft(ctx, manager, estate_id(ctx), grid()).stored.id or 0)
    ctx.clock.set(at(date(2026, 10, 20)))  # type: ignore[attr-defined]
    sweep_on(ctx, date(2026, 10, 20))  # the others' due date passed unpublished: 0 of 1 each

    def disclosure() -> str:
        core = Core(ctx, NullTranslatorFactory())
        incoming = Incoming(
            chat_id=STREET,
            user_id=STREET,
            user_name="吴",
            kind=Kind.COMMAND,
            command="disclosure",
            text="2026Q3",
        )
        return "\n".join(o.text for o in core.handle(incoming) if isinstance(o, Send))

    shown = disclosure()
    assert "1. " not in shown  # nobody ranked on one quarter
    assert "– 海滨花园: 1/1 (n < 4, not ranked)" in shown  # a case is a quarter: four in the window
    path = tmp_path / "supervision.yaml"
    path.write_text("supervision:\n  min_sample: 1\n", encoding="utf-8")
    apply_setup(ctx, read_setup(path))
    view = revenue_oversight.area_view(ctx, person(ctx, STREET))
    assert [(p.position, p.subject, p.rate.hits) for p in view.estate_ranking.ranked][0] == (1, "海滨花园", 1)
    assert view.estate_ranking.unranked == []
    assert "1. 海滨花园: 1/1" in disclosure()


def test_a_file_over_the_limit_is_refused_before_it_is_downloaded(ctx: Context) -> None:
    core = Core(ctx, NullTranslatorFactory())

    def fetch() -> bytes:
        raise AssertionError("the file must not be downloaded")

    outputs = core.handle(
        Incoming(
            chat_id=MANAGER,
            user_id=MANAGER,
            user_name="王建国",
            kind=Kind.DOCUMENT,
            file_id="big",
            file_size=MAX_FILE_BYTES + 1,
            file_name="q3.xlsx",
            fetch=fetch,
        )
    )
    [reply] = [o for o in outputs if isinstance(o, Send)]
    assert "limit is 20 MB" in reply.text and "Nothing was published" in reply.text
    with ctx.uow() as uow:
        assert uow.disclosures.revisions(estate_id(ctx), "revenue", "2026Q3") == []


def test_a_maintenance_fund_disclosure_is_imported_published_and_read_the_same_way(ctx: Context) -> None:
    from bot.documents.revenue_files import template_rows
    from handlers.rules.revenue import DisclosureKind

    rows = template_rows(
        NullTranslator(),
        DisclosureKind.MAINTENANCE_FUND,
        quarter="2026Q3",
        bank="建设银行",
        account="6217 0000 1111 2222",
        opening="1200000.00",
        closing="1158000.00",  # 1,200,000 + 80,000 + 3,000 − 125,000
        amounts={
            "owner_deposits": ("80000.00", ""),
            "fund_interest": ("3000.00", ""),
            "repairs_approved": ("125000.00", "业主大会决议〔2026〕4号 3栋屋面防水"),
        },
    )
    manager, eid = person(ctx, MANAGER), estate_id(ctx)
    preview = revenue.import_draft(ctx, manager, eid, read_grid(write_csv(rows, "gbk"), "fund.csv"))
    assert preview.stored.kind == "maintenance_fund" and preview.figures.uses_fen == 12_500_000
    revenue.publish(ctx, manager, preview.stored.id or 0)
    owner = person(ctx, OWNER)
    assert [d.id for d in revenue_reading.other_kinds(ctx, owner, eid)] == [preview.stored.id]
    view = revenue_reading.owner_view(ctx, owner, eid, disclosure_id=preview.stored.id)
    assert view.figures is not None and view.figures.kind is DisclosureKind.MAINTENANCE_FUND
    assert [h.kind for h in view.history] == ["maintenance_fund"]
    assert revenue_reading.owner_view(ctx, owner, eid).current is None  # no public revenue published yet


def chat(core: Core, user: int, **kw: object) -> list[Send]:
    kind = kw.pop("kind", Kind.TEXT)
    inc = Incoming(chat_id=user, user_id=user, user_name=str(user), kind=kind, **kw)  # type: ignore[arg-type]
    return [o for o in core.handle(inc) if isinstance(o, Send)]


def pressed(core: Core, user: int, data: str) -> list[object]:
    return core.handle(
        Incoming(user, user, str(user), Kind.BUTTON, data=data, callback_id="cb", message_id=1)
    )


def test_in_chat_a_correction_asks_for_the_reason_and_owners_read_it(ctx: Context) -> None:
    core = Core(ctx, NullTranslatorFactory())
    first = write_csv([list(r) for r in example_rows(NullTranslator())], "gbk")
    [preview] = chat(
        core, MANAGER, kind=Kind.DOCUMENT, file_name="q3.csv", file_size=len(first), fetch=lambda: first
    )
    assert preview.text.startswith("📝") and unversioned(preview.buttons[0][0].data).startswith("rv:pub:")
    pressed(core, MANAGER, preview.buttons[0][0].data)

    rows = [list(r) for r in example_rows(NullTranslator())]
    for row in rows:
        if row and row[0] == "tax":
            row[3] = "10000.00"
        if row and row[0] == "Closing balance [closing]":
            row[1] = "278870.00"
    second = write_csv(rows, "utf-8")
    [preview2] = chat(
        core, MANAGER, kind=Kind.DOCUMENT, file_name="q3b.csv", file_size=len(second), fetch=lambda: second
    )
    assert "Changes" in preview2.text and "¥10,250.00 → ¥10,000.00" in preview2.text
    outputs = pressed(core, MANAGER, preview2.buttons[0][0].data)
    assert any(isinstance(o, Send) and "Why?" in o.text for o in outputs)
    [done] = chat(core, MANAGER, text="税费多计了250元，已按税票更正")
    assert "revision 2" in done.text

    shown = chat(core, OWNER, kind=Kind.COMMAND, command="revenue")
    chart, statement = shown[0], shown[1]
    assert chart.image is not None and chart.image.startswith(b"\x89PNG")
    assert "Corrected (revision 2): 税费多计了250元，已按税票更正" in statement.text
    assert "Tax: ¥10,250.00 → ¥10,000.00" in statement.text


def test_bulk_queueing_skips_keys_already_queued(ctx: Context) -> None:
    owner, manager = person(ctx, OWNER), person(ctx, MANAGER)

    def n(person_id: int, key: str) -> Notification:
        return Notification(
            key=key,
            person_id=person_id,
            kind="revenue.published",
            params={},
            created_at=at(date(2026, 10, 12)),
        )

    with ctx.uow() as uow:
        assert uow.notifications.add_many([n(owner, "k1"), n(manager, "k2")]) == 2
        uow.commit()
    with ctx.uow() as uow:
        assert uow.notifications.add_many([n(owner, "k1"), n(manager, "k3"), n(owner, "k4")]) == 2
        assert uow.notifications.add_many([]) == 0
        uow.commit()
    assert sorted(x.key for x in notifications(ctx, "revenue.published")) == ["k1", "k2", "k3", "k4"]


def test_a_forged_question_press_asks_nothing_and_leaves_no_state_behind(ctx: Context) -> None:
    core = Core(ctx, NullTranslatorFactory())
    manager = person(ctx, MANAGER)
    preview = revenue.import_draft(ctx, manager, estate_id(ctx), grid())
    revenue.publish(ctx, manager, preview.stored.id or 0)
    line = preview.stored.lines[0].id
    stranger_to_it = 200003  # an owner at another estate: not theirs to question
    for user, data in (
        (OWNER, "rv:ql:999999"),
        (OWNER, "1/rv:ql:2147483647"),
        (OWNER, "rv:ql:99999999999999999999"),
        (OWNER, "rv:ql:²"),
        (stranger_to_it, f"rv:ql:{line}"),
    ):
        outputs = pressed(core, user, data)
        [answer] = [o for o in outputs if isinstance(o, Answer)]
        assert answer.alert and not [o for o in outputs if isinstance(o, Send)], data
        with ctx.uow() as uow:
            assert uow.conversations.get(user, user) is None, data
    # The owner's next message is an ordinary one, not the answer to a question about nothing.
    [reply, *_] = core.handle(Incoming(OWNER, OWNER, "张女士", Kind.TEXT, text="你好"))
    assert isinstance(reply, Send) and reply.text == "I did not understand that."


def test_an_old_revision_says_it_was_superseded_and_notes_are_shown(ctx: Context) -> None:
    core = Core(ctx, NullTranslatorFactory())
    manager, eid = person(ctx, MANAGER), estate_id(ctx)
    rows = [list(r) for r in example_rows(NullTranslator())]
    for row in rows:
        if row and row[0] == "energy":
            row[5] = "含地库照明"  # the manager's note on the line
    first = revenue.import_draft(ctx, manager, eid, read_grid(write_csv(rows, "utf-8"), "q.csv"))
    revenue.publish(ctx, manager, first.stored.id or 0)
    second = revenue.import_draft(ctx, manager, eid, grid({"ads_lift": "36500.00"}, closing="279120.00"))
    done = revenue.publish(ctx, manager, second.stored.id or 0, "补记电梯广告")
    # An owner opens revision 1 from the message that told them of it, after revision 2 was published.
    outputs = pressed(core, OWNER, f"rv:v:{first.stored.id}")
    [statement] = [o for o in outputs if isinstance(o, Send) and o.image is None]
    assert statement.text.startswith("⚠️ Superseded: revision 2 of this quarter was published on")
    assert f"rv:v:{done.disclosure.id}" in [unversioned(b.data) for row in statement.buttons for b in row]
    assert "— 含地库照明" in statement.text


def test_only_managers_get_the_template_and_others_are_told_who_publishes(ctx: Context) -> None:
    core = Core(ctx, NullTranslatorFactory())
    [told] = chat(core, OWNER, kind=Kind.COMMAND, command="revenue_template")
    assert told.document is None and "project manager publishes" in told.text and "/revenue" in told.text
    [template] = chat(core, MANAGER, kind=Kind.COMMAND, command="revenue_template")
    assert template.document is not None and template.filename == "revenue-template.xlsx"
    sent = chat(core, OWNER, kind=Kind.DOCUMENT, file_name="q.xlsx", file_size=10, fetch=lambda: b"PK")
    assert [s.text for s in sent][0].startswith("Only the estate's project manager publishes")
    assert "/report" in sent[1].text


def test_a_chart_is_drawn_once_per_revision_and_language() -> None:
    figures = disclosure_from_grid(grid(), today=date(2026, 10, 12))
    spec = chart_spec(NullTranslator(), "海滨花园", figures, [figures])
    first = render_chart(spec)
    assert render_chart(spec) is first  # the same picture, not drawn again
    assert render_chart(chart_spec(NullTranslator(), "上都嘉园", figures, [figures])) is not first
