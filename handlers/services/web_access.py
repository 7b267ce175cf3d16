"""Ways into the web front door (bot/web): one-time sign-in codes for people the bot knows (from /web in
the chat, or `wuye invite web`), owners joining with the estate's code and their unit (no Telegram
needed) who get a personal sign-in link and a recovery code, a manager issuing an owner a new link, and
sign-in attempts limited per client in the database (so the limit holds across restarts and processes).

Only a digest of every code is stored: whoever reads the database cannot sign in with it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.domain.notifications import Notification
from handlers.domain.people import Person, Role, RoleKind, WebCode, WebCodeKind
from handlers.ports import UnitOfWork
from handlers.rules.attempts import Attempts, after_failure, locked_until
from handlers.services import access
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, NotFound, UserError
from handlers.services.people import UNIT_MAX, new_code
from handlers.services.tickets.records import check_text
from handlers.text import LANGUAGES

ONCE_TTL = timedelta(minutes=15)  # a one-time code is read off a phone and typed at once
NAME_MAX = 60


def digest(code: str) -> str:
    """The stored form of a code; typed codes are read without spaces, dashes or case."""
    cleaned = "".join(ch for ch in (code or "") if ch.isalnum()).upper()
    return hashlib.sha256(cleaned.encode("utf-8")).hexdigest()


def pretty(code: str) -> str:
    """A code as printed: groups of four, easier to read aloud and type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@dataclass(frozen=True)
class SignedIn:
    person_id: int
    # An owner who signed in with their recovery code gets a new link and recovery code (shown once).
    link: str | None = None
    recovery: str | None = None


@dataclass(frozen=True)
class Joined:
    person_id: int
    estate_name: str
    unit: str
    link: str  # the personal sign-in link's code: /s/<link>
    recovery: str


# ---- attempts, per client -------------------------------------------------------------------------
def _check_client(uow: UnitOfWork, client: str, now: datetime) -> None:
    failures, since = uow.web.attempts(client)
    until = locked_until(Attempts(failures, since), now)
    if until is not None:
        minutes = max(1, int((until - now).total_seconds() + 59) // 60)
        raise UserError("code_wait", minutes=minutes)


def _refuse(uow: UnitOfWork, client: str, now: datetime, code: str = "code_invalid") -> UserError:
    """Count the failure (committed: the refusal must not roll it back) and return the error to raise."""
    failures, since = uow.web.attempts(client)
    counted = after_failure(Attempts(failures, since), now)
    uow.web.set_attempts(client, counted.failures, counted.since)
    uow.commit()
    return UserError(code)


def _new_codes(
    uow: UnitOfWork, person_id: int, now: datetime, kinds: tuple[WebCodeKind, ...]
) -> dict[WebCodeKind, str]:
    """Fresh codes of these kinds for the person; the unused ones they replace stop working."""
    uow.web.retire_codes(person_id, kinds, now)
    made: dict[WebCodeKind, str] = {}
    for kind in kinds:
        code = new_code("", 24 if kind is WebCodeKind.LINK else 12)
        expires = now + ONCE_TTL if kind is WebCodeKind.ONCE else None
        uow.web.add_code(WebCode(person_id, kind, digest(code), now, expires_at=expires))
        made[kind] = code
    return made


# ---- the people the bot knows: a one-time code -------------------------------------------------------
def issue_sign_in_code(ctx: Context, person_id: int) -> tuple[str, datetime]:
    """/web in the chat: a one-time code for the web pages, valid a quarter of an hour. Only for someone
    with a role (a stranger has nothing to see there)."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        actor = access.load_actor(uow, person_id)
        if not actor.roles:
            raise UserError("join_first")
        code = _new_codes(uow, person_id, now, (WebCodeKind.ONCE,))[WebCodeKind.ONCE]
        uow.commit()
    return code, now + ONCE_TTL


def sign_in_code_for_key(ctx: Context, key: str) -> tuple[str, datetime]:
    """`wuye invite web --person KEY`: the same one-time code, for someone the setup file names."""
    with ctx.uow() as uow:
        person = uow.people.by_key(key)
    if person is None or person.id is None or person.deleted_at is not None:
        raise NotFound("person_unknown", key=key)
    return issue_sign_in_code(ctx, person.id)


def sign_in(ctx: Context, client: str, code: str) -> SignedIn:
    """A one-time code, a personal link or a recovery code; unknown, used and expired codes get one
    answer, and after five wrong ones in ten minutes the client must wait the window out."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        _check_client(uow, client, now)
        found = uow.web.code_by_digest(digest(code)) if code and len(code) <= 64 else None
        if found is None or found.used_at is not None or (found.expires_at and found.expires_at <= now):
            raise _refuse(uow, client, now)
        person = uow.people.get(found.person_id)
        if person is None or person.deleted_at is not None:
            raise _refuse(uow, client, now)
        if found.kind in (WebCodeKind.ONCE, WebCodeKind.RECOVERY) and not uow.web.use_code(
            found.id or 0, now
        ):
            raise _refuse(uow, client, now)  # two sign-ins with the same code at once: one wins
        signed = SignedIn(found.person_id)
        if found.kind is WebCodeKind.RECOVERY:  # the lost link stops working; a new link and recovery code
            _end_sessions(uow, person, now)  # and whoever signed in with it is signed out
            made = _new_codes(uow, found.person_id, now, (WebCodeKind.LINK, WebCodeKind.RECOVERY))
            signed = SignedIn(found.person_id, made[WebCodeKind.LINK], made[WebCodeKind.RECOVERY])
        uow.commit()
    return signed


# ---- owners without Telegram ------------------------------------------------------------------------
def join_by_code(ctx: Context, client: str, estate_code: str, unit: str, name: str, lang: str) -> Joined:
    """An owner joins on the web with the estate's code (the notice board's) and their unit: a person
    without Telegram, their home, a personal sign-in link and a recovery code (shown once)."""
    now = ctx.clock.now()
    unit = check_text(unit, field_name="unit", maximum=UNIT_MAX)
    name = check_text(name, field_name="name", minimum=0, maximum=NAME_MAX) if name else ""
    with ctx.uow() as uow:
        _check_client(uow, client, now)
        cleaned = (estate_code or "").strip().upper()
        estate = uow.estates.by_invite_code(cleaned) if 0 < len(cleaned) <= 40 else None
        if estate is None or estate.id is None:
            raise _refuse(uow, client, now)
        person = uow.people.add(
            Person(
                display_name=name or unit,
                language=lang if lang in LANGUAGES else None,
                created_at=now,
            )
        )
        assert person.id is not None
        uow.roles.add(Role(person.id, RoleKind.OWNER, estate_id=estate.id, unit=unit, created_at=now))
        made = _new_codes(uow, person.id, now, (WebCodeKind.LINK, WebCodeKind.RECOVERY))
        uow.web.seen(person.id, now)  # what happens to their reports from now on is news to them
        uow.commit()
    return Joined(person.id, estate.name, unit, made[WebCodeKind.LINK], made[WebCodeKind.RECOVERY])


def new_owner_link(ctx: Context, manager_id: int, owner_id: int) -> tuple[str, str]:
    """The estate's project manager issues an owner who lost their link a new one (and a new recovery
    code); the old ones stop working."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        manager = access.load_actor(uow, manager_id)
        owner = access.load_actor(uow, owner_id)
        homes = {r.estate_id for r in owner.owner_roles()}
        if not any(manager.has(RoleKind.MANAGER, estate_id) for estate_id in homes if estate_id):
            raise NotAllowed("managers_only")
        made = _new_codes(uow, owner_id, now, (WebCodeKind.LINK, WebCodeKind.RECOVERY))
        _end_sessions(uow, owner.person, now)  # a lost phone signed in with the old link is signed out
        uow.commit()
    return made[WebCodeKind.LINK], made[WebCodeKind.RECOVERY]


def sign_out(ctx: Context, person_id: int) -> None:
    """Signing out ends every web session of the person, on every device: a session lives in a signed
    cookie, and one copied before signing out must not outlive it."""
    with ctx.uow() as uow:
        person = uow.people.get(person_id)
        if person is not None:
            _end_sessions(uow, person, ctx.clock.now())
            uow.commit()


def _end_sessions(uow: UnitOfWork, person: Person, now: datetime) -> None:
    person.signed_out_at = now
    uow.people.save(person)


def session_over(person: Person, issued: float) -> bool:
    """Whether a session begun at `issued` (unix seconds, whole: as a cookie holds it) has been ended."""
    return person.signed_out_at is not None and issued < int(person.signed_out_at.timestamp())


# ---- what changed since the last visit -------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    ticket_id: int
    number: str
    event: str  # handlers.rules.lifecycle.Event value
    at: datetime


@dataclass(frozen=True)
class News:
    """What a person is shown on arriving at the web pages."""

    kept: list[Notification]  # the messages kept for them (no Telegram chat), newest first
    changes: list[Change]  # what happened to their own reports (people on Telegram, told there too)


def news_since_last_visit(ctx: Context, person_id: int, limit: int = 30) -> News:
    """Since the person last looked: for someone with no Telegram chat, the messages the chat would
    have brought them (kept by the outbox; every one of them on the first visit); for someone on
    Telegram, what happened to their own reports (not their own steps). The visit is noted, so the next
    arrival starts from now."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        since = uow.web.last_seen(person_id)
        person = uow.people.get(person_id)
        kept: list[Notification] = []
        changes: list[Change] = []
        if person is not None and person.telegram_id is None:
            kept = uow.notifications.kept_for_web(person_id, since, limit)
        elif since is not None:
            mine = uow.tickets.of_reporter(person_id, limit=200)
            events = uow.events.of_tickets([t.id for t in mine if t.id is not None])
            for ticket in mine:
                for e in events.get(ticket.id or 0, []):
                    if e.at > since and e.actor_id != person_id:
                        changes.append(Change(ticket.id or 0, ticket.number, e.event.value, e.at))
        uow.web.seen(person_id, now)
        uow.commit()
    changes.sort(key=lambda c: c.at, reverse=True)
    return News(kept, changes[:limit])
