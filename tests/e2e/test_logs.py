"""`wuye run` at WUYE_LOG_LEVEL=DEBUG, on each framework and door, writes no secret: not the bot token
(its requests' URLs carry it), not the webhook secret, not the database password.

The real `wuye` console script against the stand-in Bot API, on a PostgreSQL database of its own owned by
a role with a password (the local server may trust everyone: the password is in the URL all the same).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from storage.engine import make_engine
from tests.e2e.harness import DOORS, Door
from tests.support import processes as P
from tests.support.botapi import StandInBotAPI

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

# Shaped like real ones, and new for every run, so nothing else in the log can look like them.
TOKEN = f"{secrets.randbelow(9 * 10**9) + 10**9}:AA{secrets.token_urlsafe(26)}"
SECRET = secrets.token_urlsafe(24)
PASSWORD = f"pw/{secrets.token_hex(8)}@{secrets.token_hex(4)}"  # "/" and "@" are escaped in the URL


def spellings(*secret: str) -> set[str]:
    return {form for s in secret for form in (s, quote(s, safe=""), quote_plus(s, safe=""))}


@pytest.fixture
def url_with_password(postgres_server: str) -> Iterator[str]:
    """A fresh database owned by a fresh role that has PASSWORD; its URL carries the password."""
    name = f"wuye_logs_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres_server, poolclass=NullPool).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {name} LOGIN PASSWORD '{PASSWORD}'"))
        connection.execute(text(f"CREATE DATABASE {name} OWNER {name}"))
    try:
        server = make_url(postgres_server)
        yield server.set(username=name, password=PASSWORD, database=name).render_as_string(
            hide_password=False
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            connection.execute(text(f"DROP ROLE IF EXISTS {name}"))
        admin.dispose()


@pytest.mark.parametrize("door", DOORS, ids=lambda d: d.id)
async def test_at_debug_the_log_shows_requests_and_no_token_webhook_secret_or_database_password(
    url_with_password: str, door: Door, tmp_path: Path
) -> None:
    assert PASSWORD not in url_with_password and quote(PASSWORD, safe="") in url_with_password
    app, _ = P.world_app(url_with_password, P.days_ago(0))
    app.engine.dispose()
    doorway = P.webhook_settings(P.free_port()) | {"WUYE_WEBHOOK_SECRET": SECRET} if door.webhook else {}
    async with StandInBotAPI(TOKEN) as server:
        P.know_everyone(server)
        proc = P.start_wuye(
            url_with_password, server, tmp_path, door.framework, WUYE_LOG_LEVEL="DEBUG", **doorway
        )
        with P.reaped(proc):
            await P.wait_for(lambda: "running as" in P.output_of(tmp_path), 60, "start-up", proc, tmp_path)
            for command in ("start", "help"):
                mark = server.mark()
                update = server.make_command(P.OWNER, command)
                if door.webhook:
                    assert await server.post_webhook(update) == 200
                else:
                    server.push_raw(update)
                await server.messages_since(mark, P.OWNER, timeout=30)
            assert await P.stop(proc) == 0
    log = P.output_of(tmp_path)
    leaked = [form for form in spellings(TOKEN, TOKEN.partition(":")[2], SECRET, PASSWORD) if form in log]
    assert not leaked, f"secrets in the log: {leaked}\n{log[-5000:]}"
    debug = {line.partition(":")[0] for line in log.splitlines() if line.startswith("DEBUG ")}
    assert "DEBUG wuye.core_process" in debug, log[-5000:]  # the level took in the core process,
    assert "DEBUG apscheduler.scheduler" in debug, log[-5000:]  # and in the bot's (the ladder's timer)
    if door.framework == "ptb":  # aiogram's HTTP client writes no requests; wuye's for PTB does
        requests = [
            line for line in log.splitlines() if line.startswith("DEBUG wuye.telegram: HTTP Request:")
        ]
        assert len(requests) > 3 and all("/bot<token>/" in line for line in requests), requests[:5]
    # The Telegram libraries stay at INFO: at DEBUG they would write every update and message in full
    # (the people's names, what they typed, every card), which no privacy choice lets an operator read.
    wire = ("DEBUG telegram", "DEBUG aiogram", "DEBUG httpcore")
    assert not {line for line in debug if line.startswith(wire)}
    assert f"u{P.OWNER}" not in log and "张女士" not in log
