"""`wuye status` on a seeded database: the outbox backlog, the oldest undelivered message, the next
ladder actions. Run as the real command, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

import pytest

from bot.config import load_settings
from bot.wiring import build_app
from handlers.services.ladder import advance, sweep
from tests.support import processes as P

pytestmark = pytest.mark.slow  # `wuye status` in a process of its own: left out of the daily loop


def wuye_status(database_url: str, cwd: Path, *options: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUYE_")}
    env["WUYE_DATABASE_URL"] = database_url
    done = subprocess.run(
        [str(P.WUYE), "status", *options],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_status_prints_backlog_oldest_waiting_and_next_ladder_actions(
    database_url: str, tmp_path: Path
) -> None:
    # Two tickets reported 30 days ago (every rung overdue), one reported just now (nothing due yet).
    # Each is planned once by the sweep, as a running bot does within seconds of a change.
    app, clock = P.world_app(database_url, P.days_ago(30))
    old = P.open_tickets(app, 2)
    sweep(app.ctx)
    clock.set(datetime.now(UTC))
    [fresh] = P.open_tickets(app, 1)
    advance(app.ctx, fresh, clock.now())
    with app.ctx.uow() as uow:
        queued = sorted(
            uow.notifications.pending(datetime.now(UTC) + timedelta(days=1), 100), key=lambda n: n.id or 0
        )
        assert len(queued) == 3  # one assignment card per ticket
        sent, failing = queued[0], queued[1]
        sent.sent_at, sent.outcome = datetime.now(UTC), "sent"
        failing.attempts, failing.last_error = 3, "transient: Bad Gateway"
        uow.notifications.save(sent)
        uow.notifications.save(failing)
        uow.commit()
        numbers = {t: (uow.tickets.get(t) or _missing()).number for t in [*old, fresh]}
    app.engine.dispose()

    lines = wuye_status(database_url, tmp_path, "--max-age", "31d")  # its backlog is 30 days old

    assert lines[0] == "outbox: waiting 2", lines  # the one sent is not counted: only the unfinished
    oldest = lines[1]
    assert oldest.startswith(
        f"oldest undelivered: #{failing.id} ticket.assigned to person {failing.person_id}, "
    )
    waiting = re.search(r"waiting (\d+) min", oldest)
    assert waiting is not None and int(waiting[1]) >= 30 * 24 * 60 - 1
    assert oldest.endswith("attempts 3, last error: transient: Bad Gateway")
    assert lines[2] == "next ladder actions (times in Asia/Shanghai):"
    actions = lines[3:]
    assert len(actions) == 3
    # the overdue tickets first (earliest next action first), marked overdue; the fresh one last, not
    for line, ticket in zip(actions, [*old, fresh], strict=True):
        assert numbers[ticket] in line
    assert all(line.endswith("(overdue, action due now)") for line in actions[:2])
    assert "  assigned  escalate/manager, " in actions[0]  # not acknowledged in time: rung 1 comes first
    assert not actions[2].endswith(")")
    stamp = re.match(r"\s+(\d{4}-\d\d-\d\d \d\d:\d\d)\s", actions[2])
    assert stamp is not None
    shown = datetime.strptime(stamp[1], "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    assert shown > datetime.now(UTC) - timedelta(minutes=1)


def test_status_of_an_empty_database(database_url: str, tmp_path: Path) -> None:
    build_app(load_settings(database_url=database_url)).engine.dispose()  # wuye's tables, nothing in them
    lines = wuye_status(database_url, tmp_path)
    assert lines == [
        "outbox: empty",
        "oldest undelivered: none",
        "next ladder actions (times in Asia/Shanghai):",
        "  none",
    ]


def _missing() -> NoReturn:
    raise AssertionError("ticket vanished")


def test_a_reminder_due_now_is_not_called_overdue() -> None:
    """Half-time has come (a reminder is due), the deadline has not: the ticket is not late."""
    from bot.delivery.status import lateness
    from handlers.domain.ticket import Ticket
    from handlers.rules.categories import Category, Urgency
    from handlers.rules.lifecycle import Status

    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    ticket = Ticket(
        number="HB-2026-000001", estate_id=1, category=Category.LIFT, urgency=Urgency.ORDINARY,
        description="电梯异响", status=Status.ACKNOWLEDGED, policy={}, created_at=now - timedelta(days=3),
        due_at=now + timedelta(days=3), next_action_at=now - timedelta(minutes=5),
    )  # fmt: skip
    assert lateness(ticket, now) == " (action due now)"
    ticket.due_at = now - timedelta(hours=1)
    assert lateness(ticket, now) == " (overdue, action due now)"
    ticket.status = Status.WAITING_OWNER  # the clock is paused while the owner is asked
    assert lateness(ticket, now) == " (action due now)"
    ticket.status, ticket.due_at, ticket.ack_due_at = Status.ASSIGNED, now + timedelta(days=3), now
    ticket.next_action_at = None
    assert lateness(ticket, now + timedelta(minutes=1)) == " (not acknowledged in time)"


def test_a_message_queued_after_now_has_waited_nothing() -> None:
    """A database a console moved on (`wuye chat`, `/wait 400d`) holds messages queued after the real
    now: `wuye status` says they waited 0 min, not a negative time."""
    from bot.delivery.status import waited
    from handlers.domain.notifications import Notification

    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    ahead = Notification("k", 1, "revenue.reminder", {}, created_at=now + timedelta(days=400))
    assert waited(ahead, now) == timedelta(0)
    ahead.created_at = now - timedelta(minutes=30)
    assert waited(ahead, now) == timedelta(minutes=30)
