"""What owners read of their estate's disclosures: the latest published quarter (or the one asked for),
its place in time, what a correction changed and the quarters before; and questioning one line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from handlers.domain.disclosures import Disclosure as Stored
from handlers.domain.disclosures import DisclosureLine, DisclosureQuestion
from handlers.domain.organisations import Estate
from handlers.domain.people import RoleKind
from handlers.domain.ticket import Ticket
from handlers.ports import UnitOfWork
from handlers.rules import revenue as rules
from handlers.rules.categories import Category, Privacy, Urgency
from handlers.rules.revenue import DisclosureStatus
from handlers.services import access
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, NotFound
from handlers.services.revenue import estate_of, latest_published, to_rules
from handlers.services.tickets import TicketDraft, check_text, open_ticket


@dataclass
class OwnerView:
    estate: Estate
    current: Stored | None
    figures: rules.Disclosure | None
    warnings: list[rules.Finding]
    timeliness: rules.Timeliness
    due_on: date
    history: list[Stored]  # newest quarter first, the published revision of each
    changes: list[tuple[str, int, int]] = field(default_factory=list)  # against the revision before
    revision_reason: str | None = None
    superseded_by: Stored | None = None  # a later published revision of the same quarter
    revisions: list[Stored] = field(default_factory=list)  # the quarter's published revisions, oldest first


def _can_read(uow: UnitOfWork, person_id: int, estate: Estate) -> None:
    actor = access.load_actor(uow, person_id)
    eid = estate.id or 0
    if any(actor.has(k, eid) for k in (RoleKind.OWNER, RoleKind.COMMITTEE, RoleKind.MANAGER, RoleKind.STAFF)):
        return
    if access.official_over(uow, actor, estate) is not None:
        return
    raise NotAllowed("not_your_estate")


def reader_estates(ctx: Context, person_id: int) -> list[Estate]:
    """The estates whose disclosures the person reads as owner, committee member or staff."""
    with ctx.uow() as uow:
        actor = access.load_actor(uow, person_id)
        ids: list[int] = []
        for r in actor.roles:
            if r.estate_id and r.estate_id not in ids and r.kind is not RoleKind.OFFICIAL:
                ids.append(r.estate_id)
        return [e for e in (uow.estates.get(i) for i in ids) if e is not None]


def owner_view(
    ctx: Context,
    person_id: int,
    estate_id: int,
    *,
    disclosure_id: int | None = None,
    kind: rules.DisclosureKind = rules.DisclosureKind.REVENUE,
    disclosure_rules: rules.DisclosureRules = rules.DEFAULT_RULES,
) -> OwnerView:
    """The latest published quarter (or the one asked for), its place in time, and the ones before."""
    today = ctx.clock.now().astimezone(ctx.tz).date()
    with ctx.uow() as uow:
        estate = estate_of(uow, estate_id)
        _can_read(uow, person_id, estate)
        asked: Stored | None = None
        if disclosure_id is not None:
            asked = uow.disclosures.get(disclosure_id)
            if asked is None or asked.estate_id != estate_id or asked.status != DisclosureStatus.PUBLISHED:
                raise NotFound("disclosure_unknown")
            kind = rules.DisclosureKind(asked.kind)
        history = uow.disclosures.published(estate_id, kind.value, limit=8)
        current: Stored | None = asked or (history[0] if history else None)
        if current is None:
            quarter = rules.Quarter.containing(today).previous()
            due = disclosure_rules.due_date(quarter)
            return OwnerView(estate, None, None, [], rules.timeliness(due, None, today), due, history)
        quarter = rules.Quarter.parse(current.quarter)
        due = disclosure_rules.due_date(quarter)
        deadline = uow.disclosures.deadline(estate_id, kind.value, current.quarter)
        first = deadline.published_at if deadline and deadline.published_at else current.published_at
        status = rules.timeliness(due, first.astimezone(ctx.tz).date() if first else None, today)
        figures = to_rules(current)
        revisions = uow.disclosures.revisions(estate_id, kind.value, current.quarter)
        before = latest_published([r for r in revisions if 0 < r.revision < current.revision])
        latest = latest_published(revisions)
        return OwnerView(
            estate,
            current,
            figures,
            rules.warnings(figures, disclosure_rules),
            status,
            due,
            history,
            rules.changes(to_rules(before), figures) if before else [],
            current.reason,
            latest if latest is not None and latest.revision > current.revision else None,
            [r for r in revisions if r.status == DisclosureStatus.PUBLISHED],
        )


def other_kinds(ctx: Context, person_id: int, estate_id: int) -> list[Stored]:
    """The latest published maintenance-fund and shared-utilities disclosures of the estate."""
    with ctx.uow() as uow:
        _can_read(uow, person_id, estate_of(uow, estate_id))
        found = []
        for kind in (rules.DisclosureKind.MAINTENANCE_FUND, rules.DisclosureKind.SHARED_UTILITIES):
            latest = uow.disclosures.published(estate_id, kind.value, limit=1)
            found += latest
        return found


def questionable_line(ctx: Context, person_id: int, line_id: int) -> None:
    """Check that the person may question this line (a published disclosure of their estate), before
    asking them what their question is."""
    with ctx.uow() as uow:
        _questioned(uow, person_id, line_id)


def _questioned(uow: UnitOfWork, person_id: int, line_id: int) -> tuple[Stored, DisclosureLine]:
    found: tuple[Stored, DisclosureLine] | None = None
    for disclosure_id in uow.disclosures.of_line(line_id):
        stored = uow.disclosures.get(disclosure_id)
        if stored is not None:
            line = next((x for x in stored.lines if x.id == line_id), None)
            if line is not None:
                found = (stored, line)
    if found is None or found[0].status != DisclosureStatus.PUBLISHED:
        raise NotFound("disclosure_unknown")
    _can_read(uow, person_id, estate_of(uow, found[0].estate_id))
    return found


def question_line(ctx: Context, person_id: int, line_id: int, text: str, privacy: Privacy) -> Ticket:
    """An owner questions one line: a ticket in the public-revenue category, linked to the line."""
    with ctx.uow() as uow:
        stored, line = _questioned(uow, person_id, line_id)
    # The line questioned is linked (DisclosureQuestion), and each card names it in its reader's language.
    description = check_text(text, field_name="description", minimum=5, maximum=900)
    ticket = open_ticket(
        ctx,
        person_id,
        TicketDraft(
            category=Category.REVENUE_DISCLOSURE,
            urgency=Urgency.COMPLEX,
            description=description,
            privacy=privacy,
            estate_id=stored.estate_id,
        ),
    )
    with ctx.uow() as uow:
        uow.disclosures.add_question(
            DisclosureQuestion(ticket.id or 0, stored.id or 0, line_id, ctx.clock.now())
        )
        uow.commit()
    return ticket
