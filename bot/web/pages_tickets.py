"""Tickets on the web: an owner's report (the chat's steps on one page, the same privacy choice), their
cases, and the ticket page with its card, timeline, photos and the actions the reader may take now.

The card, the timeline and the actions are drawn by the chat's own renderers for a private reader
(handlers/conversations/cards.py through an Audience), so a page shows exactly what the reader's chat
would; every action is the chat's use case, which checks the reader's rights again."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.web import ticket_actions
from bot.web.app import db, deps, only_reads, person_id, redirect, render, t, tr
from bot.web.photos import MAX_BYTES, NotAPhoto, PhotoFault, keep_photo, stored_photo, telegram_photo
from handlers.conversations import cards, labels
from handlers.conversations.audience import audience_for
from handlers.conversations.report_questions import emergency_text
from handlers.domain.people import RoleKind
from handlers.domain.ticket import AttachmentKind, Ticket
from handlers.ports import Translator
from handlers.rules.categories import EVERYDAY, Category, Privacy, Urgency
from handlers.rules.lifecycle import OPEN_STATUSES, TRANSITIONS, Event, Status
from handlers.services import tickets, web_lists
from handlers.services.after_hours import held_until
from handlers.services.context import Context
from handlers.services.errors import UserError

WITHDRAWABLE = frozenset(s for s in Status if (s, Event.WITHDRAW) in TRANSITIONS)


@dataclass
class TicketView:
    ticket: Ticket
    card: str
    timeline: str
    photos: list[int]  # indexes of the photos this reader may see
    web_photos: set[int]  # uploaded on the web: kept under the data folder
    telegram_photos: dict[int, tuple[str, str]] = field(default_factory=dict)  # index: (file id, unique id)
    actions: list[ticket_actions.Action] = field(default_factory=list)  # the card's, for staff and officials
    owner: bool = False  # the reader reported it


def _view(ctx: Context, words: Translator, pid: int, number: str) -> TicketView:
    with ctx.uow() as uow:  # one unit of work: the check and the page read the same rows once
        ticket = web_lists.readable_in(uow, pid, number)
        audience = audience_for(uow, pid, pid)
        card = cards.card_text(uow, words, ticket, audience)
        timeline = cards.timeline(uow, words, ticket, audience)
        attached = uow.attachments.of_ticket(ticket.id or 0)
        photos = audience.photos(uow, ticket, attached)
        all_photos = [a for a in attached if a.kind is AttachmentKind.PHOTO]
        shown = [i for i, a in enumerate(all_photos) if a in photos]
        web_shown = {i for i in shown if all_photos[i].file_id.startswith("web:")}
        view = TicketView(ticket, card, timeline, shown, web_shown, owner=ticket.reporter_id == pid)
        view.telegram_photos = {
            i: (all_photos[i].file_id, _kept_as(all_photos[i].file_id, all_photos[i].file_unique_id))
            for i in shown
            if i not in web_shown
        }
        if not view.owner:
            view.actions = ticket_actions.card_actions(uow, words, ticket, audience, ctx.clock.now())
    return view


def _kept_as(file_id: str, unique_id: str | None) -> str:
    """The name a Telegram photo is kept under: Telegram's unique id (the same picture sent twice is
    one file), or a digest of its file id when none was recorded."""
    return unique_id or hashlib.sha256(file_id.encode("utf-8")).hexdigest()[:40]


async def ticket_page(request: web.Request, notice: str | None = None) -> web.Response:
    pid = person_id(request)
    number = request.match_info["number"]
    view = await db(request, _view, deps(request).ctx, tr(request), pid, number)
    status = view.ticket.status
    return render(
        request,
        "ticket.html",
        view=view,
        FormKind=ticket_actions.FormKind,
        number=view.ticket.number,
        telegram_photos=deps(request).bot_token is not None,
        notice=notice,
        can_reply=view.owner and status is Status.WAITING_OWNER,
        can_confirm=view.owner and status is Status.RESOLVED,
        can_reopen=view.owner and status in (Status.RESOLVED, Status.CLOSED_UNCONFIRMED),
        can_rate=view.owner
        and status in (Status.CLOSED, Status.CLOSED_UNCONFIRMED)
        and view.ticket.rating is None,
        can_add=view.owner and status in OPEN_STATUSES and status is not Status.TRANSFERRED,
        can_withdraw=view.owner and status in WITHDRAWABLE,
        max_bytes_mb=MAX_BYTES // (1024 * 1024),
    )


def _act(ctx: Context, pid: int, number: str, action: str, form: dict[str, str]) -> None:
    """One action on the ticket, by the chat's use case (which checks the reader's rights)."""
    ticket = web_lists.readable_ticket(ctx, pid, number)
    tid = ticket.id or 0
    text = form.get("text", "")
    if action in ticket_actions.STAFF_ACTIONS:  # the card's, as the chat's buttons do them
        ticket_actions.act(ctx, pid, ticket, action, form)
        return
    match action:
        case "cf":
            tickets.confirm(ctx, pid, tid)
        case "nf":
            tickets.reopen(ctx, pid, tid, text)
        case "rt":
            stars = form.get("stars", "")
            tickets.rate(ctx, pid, tid, int(stars) if stars.isdigit() else 0, text or None)
        case "rp":
            tickets.owner_reply(ctx, pid, tid, text)
        case "wd":
            tickets.withdraw(ctx, pid, tid)
        case _:
            raise UserError("illegal_action")


async def act(request: web.Request) -> web.Response:
    pid = person_id(request)
    number = request.match_info["number"]
    form = await request.post()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    action = fields.get("action", "")
    if action == "ph":
        upload = _uploads(form)[:1]
        if not upload:
            raise UserError("photo_missing")
        file_id, unique = _keep(request, upload[0])
        ticket = await db(request, web_lists.readable_ticket, deps(request).ctx, pid, number)
        await db(request, tickets.add_photo, deps(request).ctx, pid, ticket.id or 0, file_id, unique)
    else:
        await db(request, _act, deps(request).ctx, pid, number, action, fields)
    return redirect(f"/t/{number}?done=1")


def _uploads(form: MultiDictProxy[Any]) -> list[bytes]:
    """The photo fields that carry a file (an empty file input sends an empty part)."""
    out = []
    for item in form.getall("photo", []):
        data = getattr(item, "file", None)
        if data is not None:
            content = data.read(MAX_BYTES + 1)
            if content:
                out.append(content)
    return out


def _keep(request: web.Request, data: bytes) -> tuple[str, str]:
    try:
        return keep_photo(data, deps(request).data_dir)
    except NotAPhoto as exc:
        raise UserError(
            "photo_too_large" if exc.code is PhotoFault.TOO_LARGE else "photo_not_image"
        ) from None


async def photo(request: web.Request) -> web.StreamResponse:
    """A photo of a ticket, for a reader the chat would show it to: one uploaded on the web from the data
    folder, one sent on Telegram fetched once through the Bot API and kept there too."""
    pid = person_id(request)
    d = deps(request)
    view = await db(request, _view, d.ctx, tr(request), pid, request.match_info["number"])
    index = request.match_info["index"]
    if index.isdigit() and int(index) in view.telegram_photos:
        file_id, unique_id = view.telegram_photos[int(index)]
        found = await telegram_photo(file_id, unique_id, d.data_dir, d.bot_token, d.api_url)
        if found is None:
            raise UserError("photo_unavailable")
        return web.Response(body=found, content_type="image/jpeg", headers={"Cache-Control": "private"})
    if not index.isdigit() or int(index) not in view.web_photos:
        raise UserError("ticket_unknown")
    ctx = d.ctx

    def read() -> bytes | None:
        with ctx.uow() as uow:
            found = [
                a for a in uow.attachments.of_ticket(view.ticket.id or 0) if a.kind is AttachmentKind.PHOTO
            ]
        return stored_photo(found[int(index)].file_id, deps(request).data_dir)

    data = await db(request, read)
    if data is None:
        raise UserError("ticket_unknown")
    return web.Response(body=data, content_type="image/jpeg", headers={"Cache-Control": "private"})


# ---- reporting --------------------------------------------------------------------------------------
def _report_choices(request: web.Request) -> dict[str, Any]:
    words = tr(request)
    ordered = [*EVERYDAY, *(c for c in Category if c not in EVERYDAY)]
    return {
        "categories": [
            (c.value, f"{labels.CATEGORY_ICON[c]} {labels.label(words, labels.CATEGORY, c)}") for c in ordered
        ],
        "urgencies": [
            (u.value, labels.label(words, labels.URGENCY_CHOICE, u))
            for u in (Urgency.EMERGENCY, Urgency.URGENT, Urgency.ORDINARY)
        ],
        "privacies": [
            (
                p.value,
                labels.label(words, labels.PRIVACY, p),
                labels.label(words, labels.PRIVACY_EXPLAINED, p),
            )
            for p in Privacy
        ],
        "emergency": emergency_text_for(words),
        "max_photos": tickets.MAX_PHOTOS,
        "max_bytes_mb": MAX_BYTES // (1024 * 1024),
    }


def emergency_text_for(words: Translator) -> str:
    """The chat's emergency advice (call 119 / 110 / 96333 first), the same words."""

    class _Say:
        def __init__(self) -> None:
            self.tr = words

        def t(self, message: str, **params: Any) -> str:
            text = words.gettext(message)
            return text.format(**params) if params else text

    return emergency_text(_Say())  # type: ignore[arg-type]


def _homes(ctx: Context, pid: int) -> list[tuple[int, str]]:
    with ctx.uow() as uow:
        roles = [r for r in uow.roles.of_person(pid) if r.kind is RoleKind.OWNER and r.estate_id]
        return [
            (r.estate_id or 0, (e.name if (e := uow.estates.get(r.estate_id or 0)) else "?")) for r in roles
        ]


async def report_page(request: web.Request) -> web.Response:
    pid = person_id(request)
    homes = await db(request, _homes, deps(request).ctx, pid)
    if not homes:
        raise UserError("join_first")
    values = {
        "category": "",
        "urgency": "ordinary",
        "privacy": "",
        "description": "",
        "location": "",
    }
    return render(
        request,
        "report.html",
        homes=homes,
        draft_key=secrets.token_hex(16),
        values=values,
        **_report_choices(request),
    )


async def report(request: web.Request) -> web.Response:
    pid = person_id(request)
    form = await request.post()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    uploads = _uploads(form)
    if len(uploads) > tickets.MAX_PHOTOS:
        raise UserError("too_many_photos", maximum=tickets.MAX_PHOTOS)
    try:
        draft = tickets.TicketDraft(
            category=Category(fields.get("category", "")),
            urgency=Urgency(fields.get("urgency", "ordinary")),
            description=fields.get("description", ""),
            location=fields.get("location") or None,
            privacy=Privacy(fields.get("privacy", "")),
            estate_id=int(fields["estate"]) if fields.get("estate", "").isdigit() else None,
            key=fields.get("key") or None,
        )
    except ValueError:
        raise UserError("report_incomplete") from None
    # Checked before any photo is kept: a refused report leaves nothing behind.
    tickets.check_text(
        draft.description,
        field_name="description",
        minimum=tickets.DESCRIPTION_MIN,
        maximum=tickets.DESCRIPTION_MAX,
    )
    draft.photos = [_keep(request, data) for data in uploads]
    ticket = await db(request, tickets.open_ticket, deps(request).ctx, pid, draft)
    return redirect(f"/t/{ticket.number}?sent=1")


def _mine(ctx: Context, pid: int) -> list[Ticket]:
    with ctx.uow() as uow:
        return uow.tickets.of_reporter(pid, limit=100)


@only_reads
async def my_cases(request: web.Request) -> web.Response:
    pid = person_id(request)
    mine = await db(request, _mine, deps(request).ctx, pid)
    now = deps(request).ctx.clock.now()
    rows = [(x.number, cards.ticket_line(tr(request), x, now)) for x in mine]
    return render(request, "my.html", rows=rows)


def _opens(ctx: Context, number: str) -> datetime | None:
    """When the staff get a report filed now: None at once, else when the office opens (night, holidays)."""
    with ctx.uow() as uow:
        ticket = uow.tickets.by_number(number)
        return held_until(ctx.calendar(uow), ticket, ctx.clock.now()) if ticket is not None else None


@only_reads
async def ticket_get(request: web.Request) -> web.Response:
    notice = None
    if request.query.get("sent"):
        opens = await db(request, _opens, deps(request).ctx, request.match_info["number"])
        if opens is None:
            notice = t("Report sent. The staff have been told; this page shows every step.", request)
        else:  # the staff's card waits for the morning, as in the chat's receipt
            notice = (
                t("Report sent; this page shows every step.", request)
                + " "
                + t(
                    "The property office is closed now: its staff get your report when it opens, {opens}.",
                    request,
                    opens=tr(request).format_datetime(opens),
                )
            )
    elif request.query.get("done"):
        notice = t("Done.", request)
    return await ticket_page(request, notice)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/report", report_page)
    app.router.add_post("/report", report)
    app.router.add_get("/my", my_cases)
    app.router.add_get("/t/{number}", ticket_get)
    app.router.add_post("/t/{number}/act", act)
    app.router.add_get("/t/{number}/photo/{index}", photo)
