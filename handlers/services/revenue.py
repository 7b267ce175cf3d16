"""Quarterly disclosures as use cases: import → preview → publish or discard; correct with a reason;
owners read them and question a line; officials see who published on time; the deadline sweep."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from handlers.domain import (
    Disclosure,
    DisclosureDeadline,
    DisclosureLine,
    DisclosureQuestion,
    Estate,
    Notification,
    RoleKind,
    Ticket,
)
from handlers.domain import Disclosure as Stored
from handlers.ports import UnitOfWork
from handlers.rules import revenue as rules
from handlers.rules.categories import Category, Privacy, Urgency
from handlers.services import access
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, NotFound, UserError
from handlers.services.notify import notification_key
from handlers.services.revenue_import import Grid, disclosure_from_grid
from handlers.services.tickets import TicketDraft, check_text, open_ticket

REASON_MAX = 500


class DisclosureRefused(UserError):
    """The figures do not allow publication (they do not reconcile, a use has no decision, ...)."""

    def __init__(self, findings: list[rules.Finding]) -> None:
        super().__init__("disclosure_refused", count=len(findings))
        self.findings = findings


def to_rules(d: Stored) -> rules.Disclosure:
    return rules.Disclosure(
        kind=rules.DisclosureKind(d.kind),
        quarter=rules.Quarter.parse(d.quarter),
        account_bank=d.account_bank,
        account_number=d.account_number,
        opening_fen=d.opening_fen,
        closing_fen=d.closing_fen,
        lines=tuple(
            rules.Line(rules.Section(x.section), x.item, x.amount_fen, x.reference, x.note) for x in d.lines
        ),
    )


@dataclass
class Preview:
    stored: Stored
    figures: rules.Disclosure
    warnings: list[rules.Finding]
    previous: Stored | None  # the published revision this one would correct
    changes: list[tuple[str, int, int]]
    due_on: date
    estate: Estate


def _estate(uow: UnitOfWork, estate_id: int) -> Estate:
    estate = uow.estates.get(estate_id)
    if estate is None:
        raise NotFound("estate_unknown")
    return estate


def _require_manager(uow: UnitOfWork, person_id: int | None, estate_id: int) -> None:
    """Only the estate's project manager publishes; None is the operator at the command line."""
    if person_id is None:
        return
    actor = access.load_actor(uow, person_id)
    if not actor.has(RoleKind.MANAGER, estate_id):
        raise NotAllowed("managers_only")


def managed_estates(ctx: Context, person_id: int) -> list[Estate]:
    with ctx.uow() as uow:
        actor = access.load_actor(uow, person_id)
        ids = sorted({r.estate_id for r in actor.roles if r.kind is RoleKind.MANAGER and r.estate_id})
        return [e for e in (uow.estates.get(i) for i in ids) if e is not None]


def _latest_published(revisions: list[Stored]) -> Stored | None:
    published = [r for r in revisions if r.status == "published"]
    return published[-1] if published else None


def import_draft(
    ctx: Context,
    person_id: int | None,
    estate_id: int,
    grid: Grid,
    *,
    source: str | None = None,
    expected_quarter: rules.Quarter | None = None,
    kind: rules.DisclosureKind | None = None,
    disclosure_rules: rules.DisclosureRules = rules.DEFAULT_RULES,
) -> Preview:
    """Check a file's rows and keep them as a draft to preview; refuse with every problem otherwise."""
    now = ctx.clock.now()
    today = now.astimezone(ctx.tz).date()
    figures = disclosure_from_grid(grid, expected_quarter=expected_quarter, expected_kind=kind, today=today)
    found = rules.problems(figures)
    if found:
        raise DisclosureRefused(found)
    with ctx.uow() as uow:
        estate = _estate(uow, estate_id)
        _require_manager(uow, person_id, estate_id)
        revisions = uow.disclosures.revisions(estate_id, figures.kind.value, str(figures.quarter))
        for old in revisions:  # a new upload replaces a draft nobody published
            if old.status == "draft":
                uow.disclosures.set_status(old.id or 0, "discarded", now, person_id)
        stored = uow.disclosures.add(
            Disclosure(
                estate_id=estate_id,
                kind=figures.kind.value,
                quarter=str(figures.quarter),
                revision=(revisions[-1].revision + 1) if revisions else 1,
                status="draft",
                account_bank=figures.account_bank,
                account_number=figures.account_number,
                opening_fen=figures.opening_fen,
                closing_fen=figures.closing_fen,
                created_at=now,
                created_by=person_id,
                source=(source or "")[:200] or None,
                lines=[
                    DisclosureLine(x.section.value, x.item, x.amount_fen, i, x.reference, x.note)
                    for i, x in enumerate(figures.lines)
                ],
            )
        )
        uow.commit()
        return _preview(stored, _latest_published(revisions), estate, disclosure_rules)


def _preview(
    stored: Stored, previous: Stored | None, estate: Estate, disclosure_rules: rules.DisclosureRules
) -> Preview:
    figures = to_rules(stored)
    return Preview(
        stored=stored,
        figures=figures,
        warnings=rules.warnings(figures, disclosure_rules),
        previous=previous,
        changes=rules.changes(to_rules(previous), figures) if previous else [],
        due_on=disclosure_rules.due_date(figures.quarter),
        estate=estate,
    )


def preview(
    ctx: Context, disclosure_id: int, disclosure_rules: rules.DisclosureRules = rules.DEFAULT_RULES
) -> Preview:
    with ctx.uow() as uow:
        stored = uow.disclosures.get(disclosure_id)
        if stored is None:
            raise NotFound("disclosure_unknown")
        revisions = uow.disclosures.revisions(stored.estate_id, stored.kind, stored.quarter)
        previous = _latest_published([r for r in revisions if r.revision < stored.revision])
        return _preview(stored, previous, _estate(uow, stored.estate_id), disclosure_rules)


@dataclass
class Published:
    disclosure: Stored
    notified: int
    on_time: bool
    correction: bool


def publish(
    ctx: Context,
    person_id: int | None,
    disclosure_id: int,
    reason: str | None = None,
    disclosure_rules: rules.DisclosureRules = rules.DEFAULT_RULES,
) -> Published:
    """Publish a draft; it never changes afterwards. Every owner of the estate is told, once."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        stored = uow.disclosures.get(disclosure_id)
        if stored is None:
            raise NotFound("disclosure_unknown")
        _require_manager(uow, person_id, stored.estate_id)
        if stored.status != "draft":
            raise UserError("disclosure_not_draft", status=stored.status)
        revisions = uow.disclosures.revisions(stored.estate_id, stored.kind, stored.quarter)
        previous = _latest_published([r for r in revisions if r.revision < stored.revision])
        if previous is not None:
            reason = check_text(reason, field_name="reason", minimum=2, maximum=REASON_MAX)
        found = rules.problems(to_rules(stored))
        if found:  # the rules may have tightened since the preview
            raise DisclosureRefused(found)
        uow.disclosures.set_status(disclosure_id, "published", now, person_id, reason if previous else None)
        quarter = rules.Quarter.parse(stored.quarter)
        due_on = disclosure_rules.due_date(quarter)
        deadline = uow.disclosures.deadline(
            stored.estate_id, stored.kind, stored.quarter
        ) or DisclosureDeadline(stored.estate_id, stored.kind, stored.quarter, due_on)
        if deadline.published_at is None:
            deadline.published_at = now
        uow.disclosures.put_deadline(deadline)
        first = deadline.published_at
        on_time = rules.timeliness(
            due_on, first.astimezone(ctx.tz).date(), now.astimezone(ctx.tz).date()
        ) is (rules.Timeliness.ON_TIME)
        kind = "revenue.revised" if previous else "revenue.published"
        notified = _tell_estate(uow, now, stored, kind, on_time)
        uow.commit()
        stored.status, stored.published_at, stored.published_by = "published", now, person_id
        return Published(stored, notified, on_time, previous is not None)


def _tell_estate(uow: UnitOfWork, now: datetime, stored: Stored, kind: str, on_time: bool) -> int:
    """One notification per owner (and owners' committee member) of the estate, inserted in bulk."""
    people: list[int] = []
    seen: set[int] = set()
    for role_kind in (RoleKind.OWNER, RoleKind.COMMITTEE):
        for role in uow.roles.at_estate(stored.estate_id, role_kind):
            if role.person_id not in seen:
                seen.add(role.person_id)
                people.append(role.person_id)
    params: dict[str, object] = {
        "disclosure_id": stored.id,
        "quarter": stored.quarter,
        "kind": stored.kind,
        "revision": stored.revision,
        "on_time": on_time,
    }
    tag = f"d{stored.estate_id}:{stored.kind}:{stored.quarter}:v{stored.revision}"
    return uow.notifications.add_many(
        [
            Notification(
                key=notification_key(kind, person_id, tag=tag),
                person_id=person_id,
                kind=kind,
                params=dict(params),
                created_at=now,
            )
            for person_id in people
        ]
    )


def discard(ctx: Context, person_id: int | None, disclosure_id: int) -> None:
    now = ctx.clock.now()
    with ctx.uow() as uow:
        stored = uow.disclosures.get(disclosure_id)
        if stored is None:
            raise NotFound("disclosure_unknown")
        _require_manager(uow, person_id, stored.estate_id)
        if stored.status != "draft":
            raise UserError("disclosure_not_draft", status=stored.status)
        uow.disclosures.set_status(disclosure_id, "discarded", now, person_id)
        uow.commit()


# -- what owners read ---------------------------------------------------------------------------


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
        estate = _estate(uow, estate_id)
        _can_read(uow, person_id, estate)
        asked: Stored | None = None
        if disclosure_id is not None:
            asked = uow.disclosures.get(disclosure_id)
            if asked is None or asked.estate_id != estate_id or asked.status != "published":
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
        before = _latest_published([r for r in revisions if r.revision < current.revision])
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
        )


def other_kinds(ctx: Context, person_id: int, estate_id: int) -> list[Stored]:
    """The latest published maintenance-fund and shared-utilities disclosures of the estate."""
    with ctx.uow() as uow:
        _can_read(uow, person_id, _estate(uow, estate_id))
        found = []
        for kind in (rules.DisclosureKind.MAINTENANCE_FUND, rules.DisclosureKind.SHARED_UTILITIES):
            latest = uow.disclosures.published(estate_id, kind.value, limit=1)
            found += latest
        return found


def question_line(ctx: Context, person_id: int, line_id: int, text: str, privacy: Privacy) -> Ticket:
    """An owner questions one line: a ticket in the public-revenue category, linked to the line."""
    with ctx.uow() as uow:
        found: tuple[Stored, DisclosureLine] | None = None
        for disclosure_id in uow.disclosures.of_line(line_id):
            stored = uow.disclosures.get(disclosure_id)
            if stored is not None:
                line = next((x for x in stored.lines if x.id == line_id), None)
                if line is not None:
                    found = (stored, line)
        if found is None:
            raise NotFound("disclosure_unknown")
        stored, line = found
        if stored.status != "published":
            raise NotFound("disclosure_unknown")
        estate = _estate(uow, stored.estate_id)
        _can_read(uow, person_id, estate)
    question = check_text(text, field_name="description", minimum=5, maximum=900)
    description = f"[{stored.quarter} · {stored.kind} · {line.section}/{line.item}] {question}"
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


# -- what officials see: automatic warning, notice and ranking (自动预警、自动通报、自动排名) -----------


@dataclass
class EstateStatus:
    estate: Estate
    company_name: str
    status: rules.Timeliness
    published_at: datetime | None
    marked: bool  # the sweep marked the estate: the due date passed unpublished


@dataclass
class AreaView:
    quarter: rules.Quarter
    due_on: date
    estates: list[EstateStatus]
    estate_ranking: list[tuple[str, rules.Rank]]
    company_ranking: list[tuple[str, rules.Rank]]


def area_estates(uow: UnitOfWork, office_ids: set[int]) -> list[Estate]:
    """Estates under the offices (a community's own, a street's communities, a bureau's streets)."""
    communities: set[int] = set()
    frontier = list(office_ids)
    seen: set[int] = set()
    while frontier:
        oid = frontier.pop()
        if oid in seen:
            continue
        seen.add(oid)
        communities.add(oid)
        frontier.extend(o.id for o in uow.offices.children(oid) if o.id is not None)
    return uow.estates.in_communities(sorted(communities))


def area_view(
    ctx: Context,
    person_id: int,
    quarter: rules.Quarter | None = None,
    kind: rules.DisclosureKind = rules.DisclosureKind.REVENUE,
    quarters_ranked: int = 4,
    disclosure_rules: rules.DisclosureRules = rules.DEFAULT_RULES,
) -> AreaView:
    today = ctx.clock.now().astimezone(ctx.tz).date()
    quarter = quarter or rules.Quarter.containing(today).previous()
    with ctx.uow() as uow:
        actor = access.load_actor(uow, person_id)
        if not actor.office_ids():
            raise NotAllowed("officials_only")
        estates = area_estates(uow, actor.office_ids())
        ids = [e.id or 0 for e in estates]
        companies = {e.company_id: (uow.companies.get(e.company_id)) for e in estates}
        marks = {(d.estate_id, d.quarter): d for d in uow.disclosures.deadlines(ids, kind.value)}
        records: list[rules.Record] = []
        rows: list[EstateStatus] = []
        q = quarter
        for n in range(quarters_ranked):
            due = disclosure_rules.due_date(q)
            first = uow.disclosures.first_published(ids, kind.value, str(q))
            for e in estates:
                at = first.get(e.id or 0)
                status = rules.timeliness(due, at.astimezone(ctx.tz).date() if at else None, today)
                # A quarter counts once the bot watched it (a deadline on record) or it was published.
                if at is not None or (e.id or 0, str(q)) in marks:
                    records.append(rules.Record(e.id or 0, e.company_id, q, status))
                if n == 0:
                    mark = marks.get((e.id or 0, str(q)))
                    company = companies.get(e.company_id)
                    rows.append(
                        EstateStatus(
                            e, company.name if company else "", status, at, bool(mark and mark.missed_at)
                        )
                    )
            q = q.previous()
        names = {e.id or 0: e.name for e in estates}
        company_names = {cid: (c.name if c else str(cid)) for cid, c in companies.items()}
        return AreaView(
            quarter,
            disclosure_rules.due_date(quarter),
            rows,
            [(names[r.subject_id], r) for r in rules.ranking(records, "estate")],
            [(company_names[r.subject_id], r) for r in rules.ranking(records, "company")],
        )
