"""Signing in and out, owners joining with the estate's code, the home page, language, privacy, and the
Telegram Mini App's door (initData checked with aiogram's own helper, never trusted from the page)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from bot.web.app import (
    LANG_COOKIE,
    actor,
    clock_now,
    db,
    deps,
    message_page,
    person_id,
    redirect,
    render,
    set_session,
    t,
    tr,
)
from bot.web.session import new_session
from handlers.conversations import labels, notices
from handlers.ports import Translator
from handlers.rules.lifecycle import Event
from handlers.services import people, web_access
from handlers.services.context import Context
from handlers.text import LANGUAGES


def client_of(request: web.Request) -> str:
    """Whom sign-in attempts are counted against: the address the request came from."""
    return "ip:" + (request.remote or "?")[:64]


async def _form(request: web.Request) -> dict[str, str]:
    form = await request.post()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _news(ctx: Context, words: Translator, pid: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The messages kept for the reader (no Telegram chat), drawn now in the page's language as their
    private chat would show them, and what changed on their reports (people on Telegram)."""
    found = web_access.news_since_last_visit(ctx, pid)
    kept: list[dict[str, Any]] = []
    with ctx.uow() as uow:
        for n in found.kept:
            parts = notices.render(uow, lambda _lang: words, n, ctx, for_web=True)
            texts = [p.text for p in parts if p.photo is None and p.image is None and p.text]
            if not texts:
                continue  # drawn for who may read it now: a case they may no longer see says nothing
            ticket = uow.tickets.get(n.ticket_id) if n.ticket_id else None
            link = f"/t/{ticket.number}" if ticket else "/revenue" if n.kind.startswith("revenue.") else None
            kept.append({"texts": texts, "at": n.sent_at or n.created_at, "link": link})
    changes = [
        {"number": c.number, "what": labels.label(words, labels.EVENT, Event(c.event)), "at": c.at}
        for c in found.changes
    ]
    return kept, changes


async def home(request: web.Request) -> web.Response:
    who = actor(request)
    if who is None:
        return render(request, "signin.html", code="")
    kept, changes = await db(request, _news, deps(request).ctx, tr(request), who.id)
    return render(request, "home.html", kept=kept, changes=changes)


async def signin_page(request: web.Request) -> web.Response:
    code = request.query.get("code", "")[:64]
    return render(request, "signin.html", code=code)


async def personal_link(request: web.Request) -> web.Response:
    """An owner's personal link: the sign-in form with their code filled in (one press signs in; a link
    preview fetching the address signs nobody in)."""
    return render(request, "signin.html", code=request.match_info["code"][:64])


async def signin(request: web.Request) -> web.Response:
    form = await _form(request)
    ctx = deps(request).ctx
    signed = await db(request, web_access.sign_in, ctx, client_of(request), form.get("code", ""))
    who = await db(request, _actor_of, ctx, signed.person_id)
    set_session(request, new_session(signed.person_id, clock_now(request)), who)
    if signed.link is not None:  # signed in with the recovery code: the new link and code, once
        return _codes_page(request, signed.link, signed.recovery or "", title=t("Signed in", request))
    return redirect("/")


def _actor_of(ctx: Any, pid: int) -> Any:
    from handlers.services.access import load_actor

    with ctx.uow() as uow:
        return load_actor(uow, pid)


def _codes_page(request: web.Request, link: str, recovery: str, title: str) -> web.Response:
    base = f"{request.scheme}://{request.host}"
    return render(
        request,
        "joined.html",
        title=title,
        link=f"{base}/s/{link}",
        recovery=web_access.pretty(recovery),
    )


async def signout(request: web.Request) -> web.Response:
    who = actor(request)
    if who is not None:
        await db(request, web_access.sign_out, deps(request).ctx, who.id)
    set_session(request, new_session(0, clock_now(request)))
    return redirect("/")


async def join_page(request: web.Request) -> web.Response:
    return render(request, "join.html", code=request.query.get("code", "")[:40], unit="", name="")


async def join(request: web.Request) -> web.Response:
    form = await _form(request)
    ctx = deps(request).ctx
    joined = await db(
        request,
        web_access.join_by_code,
        ctx,
        client_of(request),
        form.get("code", ""),
        form.get("unit", ""),
        form.get("name", ""),
        tr(request).lang,
    )
    who = await db(request, _actor_of, ctx, joined.person_id)
    set_session(request, new_session(joined.person_id, clock_now(request)), who)
    title = t("Welcome to {estate}!", request, estate=joined.estate_name)
    return _codes_page(request, joined.link, joined.recovery, title=title)


async def language(request: web.Request) -> web.Response:
    form = await _form(request)
    chosen = form.get("lang", "")
    if chosen not in LANGUAGES:
        return redirect("/")
    who = actor(request)
    if who is not None:
        await db(request, people.set_language, deps(request).ctx, who.id, chosen)
    response = redirect(form.get("back", "/") if form.get("back", "/").startswith("/") else "/")
    response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, httponly=True, samesite="Lax")
    return response


async def privacy(request: web.Request) -> web.Response:
    data = await db(request, people.my_data, deps(request).ctx, person_id(request))
    return render(request, "privacy.html", data=data)


async def delete_data(request: web.Request) -> web.Response:
    form = await _form(request)
    pid = person_id(request)
    if form.get("confirm") != "yes":
        return redirect("/privacy")
    kept = await db(request, people.delete_my_data, deps(request).ctx, pid)
    set_session(request, new_session(0, clock_now(request)))
    return message_page(
        request,
        t("Your data has been deleted", request),
        t(
            "Your name, homes and what you wrote besides the problems themselves are gone; {n} report(s) "
            "stay for the record without your name.",
            request,
            n=kept,
        ),
    )


# ---- the Mini App -----------------------------------------------------------------------------------
_TICKET_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,40}$")


def _after_miniapp(number: str | None) -> str:
    """Where the Mini App goes once signed in: a ticket's page (a card's button), else home. Only a
    ticket number is taken from the address, never a path: nobody is sent elsewhere from here."""
    return f"/t/{number}" if number and _TICKET_NUMBER.match(number) else "/"


async def miniapp(request: web.Request) -> web.Response:
    return render(request, "miniapp.html", next=_after_miniapp(request.query.get("t")))


async def miniapp_auth(request: web.Request) -> web.Response:
    """The Mini App page posts Telegram's initData here: checked with aiogram's helper against the bot
    token (the signature) and for freshness; the person is the Telegram user it names, as in the chat."""
    from bot.web.miniapp import person_from_init_data

    form = await _form(request)
    d = deps(request)
    found = await db(request, person_from_init_data, d.ctx, d.bot_token, form.get("init_data", ""))
    if found is None:
        return message_page(
            request,
            t("Please open this from the bot", request),
            t("Telegram's sign-in for this page could not be checked. Nothing was changed.", request),
            403,
        )
    set_session(request, new_session(found, clock_now(request)))
    target = form.get("next", "")
    return redirect(_after_miniapp(target[3:] if target.startswith("/t/") else None))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/signin", signin_page)
    app.router.add_post("/signin", signin)
    app.router.add_get("/s/{code}", personal_link)
    app.router.add_post("/signout", signout)
    app.router.add_get("/join", join_page)
    app.router.add_post("/join", join)
    app.router.add_post("/language", language)
    app.router.add_get("/privacy", privacy)
    app.router.add_post("/privacy/delete", delete_data)
    app.router.add_get("/app", miniapp)
    app.router.add_post("/app/auth", miniapp_auth)
