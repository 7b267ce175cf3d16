"""Signed session cookies and the CSRF token every form carries.

A cookie holds the person's id (0: nobody signed in yet), a random nonce and when it was issued, signed
with HMAC-SHA256 under the web key; a cookie whose signature does not match, or that is too old, is
refused. The CSRF token is derived from the nonce, so it is the session's own and never stored."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

COOKIE = "wuye_session"
MAX_AGE = 30 * 24 * 3600  # seconds a sign-in lasts


@dataclass(frozen=True)
class Session:
    person_id: int  # 0: not signed in
    nonce: str
    issued: int  # unix seconds

    @property
    def signed_in(self) -> bool:
        return self.person_id > 0


class Signer:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the web key must be at least 32 bytes")
        self.key = key

    def _mac(self, what: str) -> str:
        return hmac.new(self.key, what.encode("ascii"), hashlib.sha256).hexdigest()

    def dump(self, session: Session) -> str:
        payload = f"{session.person_id}.{session.nonce}.{session.issued}"
        return f"{payload}.{self._mac('session:' + payload)}"

    def load(self, value: str, now: float) -> Session | None:
        """The session in a cookie, or None when it is forged, tampered with, malformed or too old."""
        found = self.genuine(value)
        return found if found is not None and not expired(found, now) else None

    def genuine(self, value: str) -> Session | None:
        """The session in a cookie we signed, however old; None when it is forged, tampered with or
        malformed."""
        parts = value.split(".")
        if len(parts) != 4 or len(value) > 200:
            return None
        person, nonce, issued, mac = parts
        payload = f"{person}.{nonce}.{issued}"
        if not hmac.compare_digest(mac, self._mac("session:" + payload)):
            return None
        if not person.isdigit() or not issued.isdigit():
            return None
        return Session(int(person), nonce, int(issued))

    def csrf(self, session: Session) -> str:
        return self._mac("csrf:" + session.nonce)[:32]

    def check_csrf(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf(session), str(token))


def expired(session: Session, now: float) -> bool:
    """Too old to be used (a sign-in lasts MAX_AGE), or issued in the future."""
    return not 0 <= now - session.issued <= MAX_AGE


def new_session(person_id: int, now: float) -> Session:
    """A fresh nonce for every sign-in: a session fixed before signing in is worth nothing after."""
    return Session(person_id, secrets.token_urlsafe(18), int(now))


def web_key(configured: str | None, data_dir: Path) -> bytes:
    """WUYE_WEB_SECRET, or a random key kept in the data folder (made on first use, readable by its
    owner only), so sessions survive a restart."""
    if configured:
        return configured.encode("utf-8")
    path = data_dir / "web_secret"
    if path.is_file():
        return path.read_bytes().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key
