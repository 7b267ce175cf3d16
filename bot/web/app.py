"""The web application: who is asking (a signed cookie), in which language, every form's CSRF token, and
bad input answered with a clear page in the reader's language that changed nothing.

Pages call the same use cases as the chat (handlers/services), on a thread of their own (one on SQLite,
which takes one writer at a time), and draw tickets through the chat's own renderers and privacy rules
(handlers/conversations/cards.py, audience.py): nothing about who may see or do what is decided here."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from sqlalchemy.engine import Engine

from bot.web.page_cache import Kept, PageCache
from bot.web.session import COOKIE, MAX_AGE, Session, Signer, new_session
from handlers.conversations.errors import explain
from handlers.conversations.ledger import MESSAGES as LEDGER_MESSAGES
from handlers.domain.people import RoleKind
from handlers.ports import Translator, TranslatorFactory
from handlers.services import people, web_access
from handlers.services.access import Actor, load_actor
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, NotFound, UserError
from handlers.services.update_reads import one_update
from handlers.text import LANGUAGE_NAMES, LANGUAGES, N_, Lang, resolve_language
from storage.uow import again_if_dropped, reading

log = logging.getLogger("wuye.web")
HERE = Path(__file__).resolve().parent
LANG_COOKIE = "wuye_lang"
MAX_REQUEST = 42 * 1024 * 1024  # five photos of at most 8 MB and the form around them
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Refusals only the pages make (the use cases' own are explained as in the chat).
WEB_MESSAGES = {
    "illegal_action": N_("That cannot be done from this page."),
    "send_back_nobody": N_("Nobody at the company to send it back to."),
    "photo_unavailable": N_("That photo cannot be fetched from Telegram just now. Please try again later."),
    "photo_missing": N_("Please choose a photo first."),
    "photo_too_large": N_("That photo is too large: at most 8 MB, please."),
    "photo_not_image": N_("That file is not a photo that can be read (JPEG, PNG, WebP or GIF)."),
    "report_incomplete": N_("Please choose a category, how urgent it is and who may see your name."),
    "disclosure_unknown": N_("There is no such published disclosure, or it is not yours to see."),
    "not_your_estate": N_("You can only read the disclosures of your own estate."),
    "period_unreadable": N_(
        "That is not a period I can read. Write a month like 2026-11, a quarter like 2026Q3, or days "
        "like 2026-11-01..2026-11-15."
    ),
}


@dataclass
class WebDeps:
    ctx: Context
    translations: TranslatorFactory
    signer: Signer
    data_dir: Path
    bot_token: str | None = None  # checks a Mini App's initData, fetches Telegram's photos; None: neither
    api_url: str | None = None  # the Bot API's address (WUYE_API_URL); None: Telegram's own
    secure: bool = False  # cookies only over HTTPS (WUYE_WEB_URL is https://)
    # the database's engine and its reading engine (storage/engine.py): the session check and the pages
    # marked `only_reads` run their units of work on the latter; None: every unit of work as usual
    reader: tuple[Engine, Engine] | None = None
    # the reading pages drawn for a session, served again until something changes (bot/web/page_cache.py);
    # None: every page drawn afresh
    pages: PageCache | None = None
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="wuye-web")
    )
    env: jinja2.Environment = field(
        default_factory=lambda: jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,  # everything a person wrote is escaped, everywhere
            undefined=jinja2.StrictUndefined,
            auto_reload=False,  # compiled once: no look at the template's file on every page
            trim_blocks=True,
            lstrip_blocks=True,
        )
    )


DEPS = web.AppKey("wuye", WebDeps)
READ_ONLY: set[Handler] = set()  # pages whose GET only reads


def only_reads(handler: Handler) -> Handler:
    """Mark a page whose GET only reads: its units of work run without a transaction, on the reading
    engine, where the database refuses a write (storage/uow.py `reading`)."""
    READ_ONLY.add(handler)
    return handler


def reads(request: web.Request) -> AbstractContextManager[None]:
    """The block's units of work only read (if the web has a reading engine)."""
    pair = deps(request).reader
    return reading(*pair) if pair is not None else contextlib.nullcontext()


@dataclass
class Visit:
    """Who is asking and in which language, for one request."""

    session: Session
    actor: Actor | None
    tr: Translator
    new_session: bool  # the response carries a fresh cookie


VISIT = web.RequestKey("wuye_visit", Visit)


def deps(request: web.Request) -> WebDeps:
    return request.app[DEPS]


async def db(request: web.Request, fn: Callable[..., Any], *args: Any) -> Any:
    """Blocking database work (a use case) on the web's thread(s), off the event loop, in the request's
    context: its units of work share what they read of people (see `front_door`)."""
    loop = asyncio.get_running_loop()
    work = functools.partial(contextvars.copy_context().run, again_if_dropped, functools.partial(fn, *args))
    return await loop.run_in_executor(deps(request).executor, work)


def tr(request: web.Request) -> Translator:
    return request[VISIT].tr


def t(message: str, request: web.Request, **params: Any) -> str:
    text = tr(request).gettext(message)
    return text.format(**params) if params else text


def actor(request: web.Request) -> Actor | None:
    return request[VISIT].actor


def person_id(request: web.Request) -> int:
    """The signed-in person; a page that needs one sends anybody else to sign in."""
    who = actor(request)
    if who is None:
        raise web.HTTPSeeOther("/signin")
    return who.id


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    translator = tr(request)
    session = request[VISIT].session
    who = actor(request)
    kinds = {r.kind for r in who.roles} if who is not None else set()
    page = (
        deps(request)
        .env.get_template(template)
        .render(
            _=translator.gettext,
            ngettext=translator.ngettext,
            when=lambda moment: translator.format_datetime(moment) if moment else "—",
            csrf=deps(request).signer.csrf(session),
            lang=translator.lang,
            html_lang=translator.lang.replace("_", "-"),
            languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
            who=who,
            kinds=kinds,
            RoleKind=RoleKind,
            official=bool(who and who.office_ids()),
            path=request.path,
            **values,
        )
    )
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")


def message_page(request: web.Request, title: str, text: str, status: int = 200) -> web.Response:
    return render(request, "message.html", status=status, title=title, text=text)


def refused(request: web.Request, exc: UserError) -> web.Response:
    """A use case's refusal as a page: what was wrong, in the reader's language; nothing changed."""
    status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, NotAllowed) else 400
    if exc.code == "code_wait":
        status = 429
    own = WEB_MESSAGES.get(exc.code) or LEDGER_MESSAGES.get(exc.code)
    text = tr(request).gettext(own) if own else explain(tr(request), exc)
    return message_page(request, t("That did not work", request), text, status)


def browser_language(header: str | None) -> Lang:
    """The first language of Accept-Language (by weight) that we speak; Simplified Chinese otherwise."""
    weighted: list[tuple[float, str]] = []
    for i, item in enumerate((header or "").split(",")[:20]):
        tag, _, rest = item.strip().partition(";")
        q = 1.0
        if rest.strip().startswith("q="):
            try:
                q = float(rest.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and tag != "*":
            weighted.append((-q + i * 1e-6, tag))
    for _, tag in sorted(weighted):
        code = tag.lower()
        if code.startswith(("zh", "en", "yue")):
            return resolve_language(code)
    return "zh_Hans"


def _who(ctx: Context, session: Session) -> tuple[Actor | None, Lang | None]:
    if session.person_id <= 0:
        return None, None
    with ctx.uow() as uow:
        try:
            found = load_actor(uow, session.person_id)
        except NotFound:
            return None, None
        if web_access.session_over(found.person, session.issued):  # signed out since, on some device
            return None, None
        return found, people.language_of(uow, found.person)


def clock_now(request: web.Request) -> float:
    """Now, in unix seconds, by the core's clock: sessions begin and end by it."""
    return deps(request).ctx.clock.now().timestamp()


def redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def set_session(request: web.Request, session: Session, who: Actor | None = None) -> None:
    """Replace the request's session (signing in or out); the response carries the new cookie."""
    visit = request[VISIT]
    visit.session, visit.actor, visit.new_session = session, who, True


@web.middleware
async def front_door(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One request is one update (handlers/services/update_reads.py): who is asking, and their roles,
    are read once, by the session check, and the page's use case reads them from there."""
    with one_update():
        return await _answer(request, handler)


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    d = deps(request)
    now = d.ctx.clock.now().timestamp()
    raw = request.cookies.get(COOKIE)
    session = d.signer.load(raw, now) if raw else None
    # a cookie we signed that is merely too old signs nobody in, quietly: only a forged one is refused
    tampered = raw is not None and session is None and d.signer.genuine(raw) is None
    fresh = session is None
    session = session or new_session(0, now)
    drawn_at, generation = d.ctx.clock.now(), None
    kept_as = _kept_as(request, d.pages, raw, fresh)
    if kept_as is not None and d.pages is not None:
        kept, generation = d.pages.get(kept_as, drawn_at)
        if kept is not None:
            again = web.Response(body=kept.body, content_type=kept.content_type, charset=kept.charset)
            _headers(again)
            return again
    with reads(request):
        found, lang = await db(request, _who, d.ctx, session)
    if found is None and session.signed_in:  # their data was deleted, they are gone, or signed out
        session, fresh = new_session(0, now), True
    chosen = request.cookies.get(LANG_COOKIE)
    lang = (
        lang
        or (chosen if chosen in LANGUAGES else None)
        or browser_language(request.headers.get("Accept-Language"))
    )
    request[VISIT] = Visit(session, found, d.translations.for_lang(lang), fresh)
    if request.path.startswith("/static/"):
        return await handler(request)
    try:
        if tampered:
            log.info("a session cookie that does not check out was refused")
            response: web.StreamResponse = message_page(
                request,
                t("Please sign in again", request),
                t("Your sign-in could not be checked, so it was not used. Nothing was changed.", request),
                400,
            )
        elif request.method == "POST" and not await _csrf_ok(request, session):
            response = message_page(
                request,
                t("This form has expired", request),
                t(
                    "The form was not sent from this page, or it is too old. Nothing was changed: go back, "
                    "reload the page and try again.",
                    request,
                ),
                403,
            )
        elif request.method == "GET" and request.match_info.route.handler in READ_ONLY:
            with reads(request):
                response = await handler(request)
        else:
            response = await handler(request)
    except UserError as exc:
        response = refused(request, exc)
    except web.HTTPSeeOther as exc:  # a page that needs someone signed in: the sign-in page
        response = redirect(str(exc.location or "/"))
    except web.HTTPRequestEntityTooLarge:
        response = message_page(
            request,
            t("That did not work", request),
            t("What you sent is too large. Nothing was changed.", request),
            413,
        )
    _headers(response)
    if (
        kept_as is not None
        and generation is not None
        and d.pages is not None
        and response.status == 200
        and not request[VISIT].new_session
        and isinstance(response, web.Response)
        and isinstance(response.body, bytes)
    ):
        kept = Kept(response.body, response.content_type, response.charset or "utf-8", generation, drawn_at)
        d.pages.put(kept_as, kept)
    if request[VISIT].new_session:
        response.set_cookie(
            COOKIE,
            d.signer.dump(request[VISIT].session),
            max_age=MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=d.secure,
            path="/",
        )
    return response


def _kept_as(request: web.Request, pages: PageCache | None, raw: str | None, fresh: bool) -> Hashable | None:
    """What a page drawn for this request is kept under, if it may be kept (bot/web/page_cache.py): a
    GET of a page that only reads, by a session whose cookie checked out."""
    if pages is None or not raw or fresh or request.method != "GET":
        return None
    if request.match_info.route.handler not in READ_ONLY:
        return None
    return (raw, request.path_qs, request.cookies.get(LANG_COOKIE), request.headers.get("Accept-Language"))


async def _csrf_ok(request: web.Request, session: Session) -> bool:
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return False
    form = await request.post()
    token = form.get("csrf")
    return deps(request).signer.check_csrf(session, token if isinstance(token, str) else None)


def _headers(response: web.StreamResponse) -> None:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'self' https://web.telegram.org",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")  # sign-in links must not leak
    response.headers.setdefault("Cache-Control", "no-store")


async def not_found(request: web.Request) -> web.Response:
    return message_page(
        request, t("Not found", request), t("There is no such page, or it is not yours to see.", request), 404
    )
