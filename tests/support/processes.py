"""Helpers for the reliability tests: a seeded world, `wuye run` as a real subprocess, counting.

The stand-in Bot API runs on the test's event loop, so everything that waits here waits with
``asyncio.sleep`` and never blocks the loop the server answers on.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.config import load_settings
from bot.delivery.pace import RateLimiter
from bot.documents.setup_file import read_setup
from bot.wiring import App, build_app
from handlers.clock import FixedClock
from handlers.rules.categories import Category, Urgency
from handlers.rules.policy import AfterHours
from handlers.services.context import Context
from handlers.services.setup import apply_setup
from handlers.services.tickets import TicketDraft, open_ticket
from tests.support.botapi import StandInBotAPI

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "examples" / "setup.yaml"
WUYE = Path(sys.executable).with_name("wuye")
OWNER = 200001  # 张女士 at 海滨花园
# Everyone in examples/setup.yaml with a Telegram id: the stand-in must know their private chats.
TELEGRAM_IDS = (
    100001,
    100002,
    100003,
    100004,
    100005,
    100011,
    100021,
    100022,
    100031,
    100041,
    100051,
    100061,
    100071,
    200001,
    200002,
    200003,
)
# The stand-in holds no chat to Telegram's limits unless a test asks it to: the tests that are about
# what is sent, not how fast, keep a pace of milliseconds (bot/config.py's settings; the ones about the
# pace itself keep Telegram's, the defaults).
FAST_PACE = {"chat_interval": 0.01, "group_interval": 0.01, "send_rate": 1000.0}
SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup"})


def world_app(database_url: str, now: datetime, by_day: bool = True) -> tuple[App, FixedClock]:
    """The example world loaded into `database_url` (migrated), on a clock fixed at `now`; `by_day`:
    behaving at any hour as by day (see `as_by_day`), since `wuye run` reads the real clock."""
    clock = FixedClock(now)
    app = build_app(load_settings(database_url=database_url), clock=clock)
    apply_setup(app.ctx, read_setup(SETUP))
    if by_day:
        as_by_day(app.ctx)
    return app, clock


def as_by_day(ctx: Context) -> None:
    """Make the loaded world behave at any hour as it does in office hours: every policy pings after
    hours and nobody is on call. For tests on the real clock, so that what they see does not depend on
    the hour they run at (night and holidays have tests of their own on a clock they set)."""
    with ctx.uow() as uow:
        for policy in ctx.policies(uow):
            uow.policies.put(policy.key, replace(policy, after_hours=AfterHours.PING).to_dict())
        for estate in uow.estates.all():
            estate.on_call = []
            uow.estates.save(estate)
        uow.commit()


def open_tickets(
    app: App,
    count: int,
    category: Category = Category.LIFT,
    urgency: Urgency = Urgency.URGENT,
    owner: int = OWNER,
) -> list[int]:
    """`count` tickets reported by `owner` at the app's clock; returns their ids."""
    with app.ctx.uow() as uow:
        person = uow.people.by_telegram_id(owner)
    assert person is not None and person.id is not None
    return [
        open_ticket(
            app.ctx, person.id, TicketDraft(category, urgency, f"电梯故障 {i}: 门关不上, 困人风险")
        ).id
        or 0
        for i in range(count)
    ]


def committee_owed_a_comment(app: App, first: int, count: int, comment: str, tag: str) -> list[int]:
    """`count` committee members of 海滨花园 (Telegram ids `first`, `first` + 1, ...), each owed one
    comment on a new ticket, queued as a state change queues a fan-out; returns their person ids."""
    from sqlalchemy import insert, select
    from sqlmodel import col

    from handlers.domain.notifications import Notification
    from handlers.services.notify import notification_key
    from storage.tables import EstateRow, PersonRow, RoleRow

    now = datetime.now(UTC)
    [ticket_id] = open_tickets(app, 1)
    with app.engine.begin() as c:
        c.execute(insert(PersonRow.__table__), [  # type: ignore[attr-defined]
            {"telegram_id": first + i, "display_name": f"委员{i}", "language": "zh_Hans",
             "unreachable": False, "created_at": now} for i in range(count)])  # fmt: skip
        ids = list(c.execute(select(col(PersonRow.id)).where(col(PersonRow.telegram_id) >= first)).scalars())
        estate = c.execute(select(col(EstateRow.id)).where(col(EstateRow.key) == "haibin")).scalar_one()
        c.execute(insert(RoleRow.__table__), [  # type: ignore[attr-defined]
            {"person_id": p, "kind": "committee", "estate_id": estate, "active": True, "created_at": now}
            for p in ids])  # fmt: skip
    with app.ctx.uow() as uow:
        ticket = uow.tickets.get(ticket_id)
        uow.notifications.add_many([
            Notification(key=notification_key("ticket.comment", p, ticket, tag=tag), person_id=p,
                         kind="ticket.comment", params={"comment": comment}, created_at=now,
                         ticket_id=ticket_id) for p in ids])  # fmt: skip
        uow.commit()
    return ids


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def know_everyone(server: StandInBotAPI) -> None:
    for telegram_id in TELEGRAM_IDS:
        server.add_user(telegram_id, first_name=f"u{telegram_id}")


def fast_pace() -> RateLimiter:
    """The in-process pace at FAST_PACE."""
    return RateLimiter(
        per_second=FAST_PACE["send_rate"],
        private_interval=FAST_PACE["chat_interval"],
        group_interval=FAST_PACE["group_interval"],
    )


def wuye_env(
    database_url: str, server: StandInBotAPI, framework: str = "ptb", token: str | None = None, **extra: str
) -> dict[str, str]:
    """`wuye run`'s environment: this test's database and stand-in, at FAST_PACE (`extra` overrides)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUYE_")}
    env.update(
        WUYE_DATABASE_URL=database_url,
        WUYE_BOT_TOKEN=token or server.token,
        WUYE_API_URL=server.url,
        WUYE_FRAMEWORK=framework,
        PYTHONUNBUFFERED="1",
    )
    env.update({f"WUYE_{name.upper()}": str(value) for name, value in FAST_PACE.items()})
    env.update(extra)
    return env


def start_wuye(
    database_url: str,
    server: StandInBotAPI,
    workdir: Path,
    framework: str = "ptb",
    name: str = "wuye",
    token: str | None = None,
    **extra: str,
) -> subprocess.Popen[bytes]:
    """`wuye run` as a real process; its output goes to files in `workdir` (read them on failure).
    `extra`: more WUYE_* settings, e.g. WUYE_WEBHOOK_URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    out = open(workdir / f"{name}.out", "ab")  # noqa: SIM115 (the child owns it)
    try:
        return subprocess.Popen(
            [str(WUYE), "run"],
            cwd=workdir,
            env=wuye_env(database_url, server, framework, token, **extra),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    finally:
        out.close()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_settings(port: int) -> dict[str, str]:
    """Take updates by webhook on 127.0.0.1:`port` (several instances share one token this way)."""
    return {
        "WUYE_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "WUYE_WEBHOOK_SECRET": "reliability-test-secret-0123",
        "WUYE_LISTEN": f"127.0.0.1:{port}",
    }


def output_of(workdir: Path, name: str = "wuye") -> str:
    path = workdir / f"{name}.out"
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


async def wait_for(
    condition: Callable[[], Any],
    timeout: float,
    what: str,
    proc: subprocess.Popen[bytes] | None = None,
    workdir: Path | None = None,
) -> Any:
    """Poll `condition` (without blocking the event loop) until it is truthy; fail naming `what`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await asyncio.to_thread(condition)
        if result:
            return result
        if proc is not None and proc.poll() is not None:
            raise AssertionError(
                f"wuye exited ({proc.returncode}) while waiting for {what}:\n"
                + (output_of(workdir) if workdir else "")
            )
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


async def kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    await asyncio.to_thread(proc.wait, 10)


async def stop(proc: subprocess.Popen[bytes]) -> int:
    """A clean stop (SIGTERM), as an operator would; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return await asyncio.to_thread(proc.wait, 20)
    except subprocess.TimeoutExpired:
        proc.kill()
        await asyncio.to_thread(proc.wait, 10)
        raise AssertionError(f"{proc.args} did not stop within 20 s of SIGTERM") from None


@contextmanager
def reaped(*procs: subprocess.Popen[bytes]) -> Iterator[None]:
    try:
        yield
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


# ---- counting, straight from the database ---------------------------------------------------------
def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(sql), params).all())


def escalations(engine: Engine) -> Counter[tuple[int, str]]:
    """(ticket id, rung) of every escalation event recorded."""
    found: Counter[tuple[int, str]] = Counter()
    for ticket_id, data in rows(engine, "SELECT ticket_id, data FROM ticket_event WHERE event = 'escalate'"):
        rung = (data if isinstance(data, dict) else __import__("json").loads(data or "{}")).get("rung")
        found[(ticket_id, str(rung))] += 1
    return found


def undelivered(engine: Engine, due_by: datetime | None = None) -> int:
    """Notifications not yet sent nor failed; with `due_by`, only those due by then (a new ordinary card
    reported after office hours waits for the morning: a test on the real clock must not wait for it)."""
    sql = "SELECT count(*) FROM notification WHERE sent_at IS NULL AND failed_at IS NULL"
    if due_by is None:
        return int(scalar(engine, sql))
    return int(scalar(engine, sql + " AND (not_before IS NULL OR not_before <= :due_by)", due_by=due_by))


def sent_message_parts(engine: Engine) -> int:
    """Messages (not edits) the outbox recorded as delivered: parts of every finished notification
    except card refreshes, which edit messages in place."""
    return int(
        scalar(
            engine,
            "SELECT coalesce(sum(parts_sent), 0) FROM notification "
            "WHERE kind <> 'card.refresh' AND sent_at IS NOT NULL",
        )
    )


def committed_parts_by_chat(engine: Engine) -> dict[int, int]:
    """Messages (not edits) the outbox committed as delivered, per chat (a group, or the person's)."""
    found = rows(
        engine,
        "SELECT coalesce(n.chat_id, p.telegram_id), sum(n.parts_sent) FROM notification n "
        "JOIN person p ON p.id = n.person_id WHERE n.kind <> 'card.refresh' "
        "AND n.sent_at IS NOT NULL GROUP BY coalesce(n.chat_id, p.telegram_id)",
    )
    return {int(chat): int(n) for chat, n in found if n}


def delivered_messages(server: StandInBotAPI) -> list[tuple[int, str]]:
    """(chat, text or caption) of every message the stand-in accepted, in order."""
    return [(int(m["chat"]["id"]), str(m.get("text") or m.get("caption") or "")) for m in server.sent()]


def doubled(server: StandInBotAPI) -> Counter[tuple[int, str]]:
    """Messages the stand-in accepted more than once (same chat, same text): the extra copies."""
    counts = Counter(delivered_messages(server))
    return Counter({k: n - 1 for k, n in counts.items() if n > 1})
