"""The log's filter (bot/logs.py) takes the bot token, the webhook secret and the database password out
of every part of a record, in each way a library may write them."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from bot.config import load_settings
from bot.logs import FORMAT, Redact, secrets_of

TOKEN = "7351624980:AAHk3p9Zq-rT_5vWx2yB8nLm4cD6fG0jKsQ"
SECRET = "hook-secret_0123456789abcdef"
PASSWORD = "s3cr3t/p@ss:word"
URL = f"postgresql+psycopg://wuye:{quote(PASSWORD, safe='')}@db.example:5432/wuye"


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose records reach a handler with the filter only by propagating from a child, as a
    library's records reach the root logger's handler; and what that handler wrote."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(
        Redact(secrets_of(load_settings(bot_token=TOKEN, webhook_secret=SECRET, database_url=URL)))
    )
    parent = logging.getLogger("test_log_redaction")
    parent.addHandler(handler)
    parent.setLevel(logging.DEBUG)
    parent.propagate = False
    try:
        yield logging.getLogger("test_log_redaction.httpx"), out
    finally:
        parent.removeHandler(handler)


def assert_no_secret(text: str) -> None:
    for secret in (TOKEN, TOKEN.partition(":")[2], SECRET, PASSWORD):
        for spelling in (secret, quote(secret, safe=""), quote(secret, safe="").lower()):
            assert spelling not in text


def test_a_token_in_the_message_and_in_its_arguments_is_replaced(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    log, out = logged
    log.info(f'HTTP Request: POST https://api.telegram.org/bot{TOKEN}/getUpdates "HTTP/1.1 200 OK"')
    log.debug("GET %s/file/bot%s/%s", "https://api.telegram.org", TOKEN, "photos/file_1.jpg")
    log.debug("form %r", {"token": quote(TOKEN, safe=""), "key": TOKEN.partition(":")[2]})
    written = out.getvalue()
    assert_no_secret(written)
    assert "api.telegram.org/bot<token>/getUpdates" in written
    assert "api.telegram.org/file/bot<token>/photos/file_1.jpg" in written
    assert "{'token': '<token>', 'key': '<token>'}" in written


def test_the_webhook_secret_and_the_database_password_are_replaced_decoded_and_encoded(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    log, out = logged
    log.debug("setWebhook %s", {"url": "https://bot.example/hook", "secret_token": SECRET})
    log.info("connecting to %s", URL)
    log.info("password authentication failed: %s", PASSWORD)
    log.info("as a form field: password=%s", quote(PASSWORD, safe="").lower())  # %2f, not %2F
    written = out.getvalue()
    assert_no_secret(written)
    assert "'secret_token': '<secret>'" in written
    assert "wuye:<password>@db.example" in written and "failed: <password>" in written
    assert "password=<password>" in written


def test_a_token_in_a_traceback_is_replaced_and_the_traceback_kept(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    log, out = logged
    try:
        raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")
    except ConnectionError:
        log.exception("start failed")
    written = out.getvalue()
    assert_no_secret(written)
    assert "Traceback (most recent call last)" in written
    assert "ConnectionError: cannot reach https://api.telegram.org/bot<token>/getMe" in written


def test_arguments_that_do_not_fit_their_message_are_still_written_without_secrets(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    log, out = logged
    log.info("one %s and %s", TOKEN)
    written = out.getvalue()
    assert_no_secret(written)
    assert "<token>" in written
