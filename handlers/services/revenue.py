"""Quarterly disclosures as use cases: import → preview → publish or discard; correct with a reason.
What owners read and question is in revenue_reading, what officials see in revenue_oversight, and the
deadline sweep in revenue_deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from handlers.domain.disclosures import Disclosure, DisclosureDeadline, DisclosureLine
from handlers.domain.disclosures import Disclosure as Stored
from handlers.domain.notifications import NoticeKind, Notification
from handlers.domain.organisations import Estate
from handlers.domain.people import RoleKind
from handlers.ports import Grid, UnitOfWork
from handlers.rules import revenue as rules
from handlers.rules.revenue import DisclosureStatus
from handlers.services import access
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, NotFound, UserError
from handlers.services.notify import notification_key
from handlers.services.revenue_import import disclosure_from_grid
from handlers.services.tickets import check_text

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
    revision: int  # as owners see it (a draft: the one it would take)


def estate_of(uow: UnitOfWork, estate_id: int) -> Estate:
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


def latest_published(revisions: list[Stored]) -> Stored | None:
    published = [r for r in revisions if r.status == DisclosureStatus.PUBLISHED]
    return published[-1] if published else None


# Only publication takes a revision number owners see (1, 2, ...): a draft is numbered below zero
# (-1, -2, ...) until it is published, so drafts discarded on the way never use up numbers and a
# quarter's first publication is revision 1, however many uploads it took.
def _draft_number(revisions: list[Stored]) -> int:
    return min([0, *(r.revision for r in revisions)]) - 1


def _corrects(revisions: list[Stored], stored: Stored) -> Stored | None:
    """The published revision `stored` corrects (or, published, corrected): the latest one before it."""
    if stored.status == DisclosureStatus.PUBLISHED:
        return latest_published([r for r in revisions if 0 < r.revision < stored.revision])
    return latest_published(revisions)


def shown_revision(revisions: list[Stored], stored: Stored) -> int:
    """The revision number owners see: a published one's own, a draft's the one it would take."""
    if stored.status == DisclosureStatus.PUBLISHED:
        return stored.revision
    latest = latest_published(revisions)
    return (latest.revision if latest else 0) + 1


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
        estate = estate_of(uow, estate_id)
        _require_manager(uow, person_id, estate_id)
        revisions = uow.disclosures.revisions(estate_id, figures.kind.value, str(figures.quarter))
        for old in revisions:  # a new upload replaces a draft nobody published
            if old.status == DisclosureStatus.DRAFT:
                uow.disclosures.set_status(old.id or 0, DisclosureStatus.DISCARDED, now, person_id)
        stored = uow.disclosures.add(
            Disclosure(
                estate_id=estate_id,
                kind=figures.kind.value,
                quarter=str(figures.quarter),
                revision=_draft_number(revisions),
                status=DisclosureStatus.DRAFT,
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
        return _preview(stored, [*revisions, stored], estate, disclosure_rules)


def _preview(
    stored: Stored, revisions: list[Stored], estate: Estate, disclosure_rules: rules.DisclosureRules
) -> Preview:
    figures = to_rules(stored)
    previous = _corrects(revisions, stored)
    return Preview(
        stored=stored,
        figures=figures,
        warnings=rules.warnings(figures, disclosure_rules),
        previous=previous,
        changes=rules.changes(to_rules(previous), figures) if previous else [],
        due_on=disclosure_rules.due_date(figures.quarter),
        estate=estate,
        revision=shown_revision(revisions, stored),
    )


def preview(
    ctx: Context, disclosure_id: int, disclosure_rules: rules.DisclosureRules = rules.DEFAULT_RULES
) -> Preview:
    with ctx.uow() as uow:
        stored = uow.disclosures.get(disclosure_id)
        if stored is None:
            raise NotFound("disclosure_unknown")
        revisions = uow.disclosures.revisions(stored.estate_id, stored.kind, stored.quarter)
        return _preview(stored, revisions, estate_of(uow, stored.estate_id), disclosure_rules)


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
        if stored.status != DisclosureStatus.DRAFT:
            raise UserError("disclosure_not_draft", status=stored.status)
        revisions = uow.disclosures.revisions(stored.estate_id, stored.kind, stored.quarter)
        previous = _corrects(revisions, stored)
        if previous is not None:
            reason = check_text(reason, field_name="reason", minimum=2, maximum=REASON_MAX)
        found = rules.problems(to_rules(stored))
        if found:  # the rules may have tightened since the preview
            raise DisclosureRefused(found)
        stored.revision = shown_revision(revisions, stored)  # the number it takes, now it is published
        uow.disclosures.set_status(
            disclosure_id,
            DisclosureStatus.PUBLISHED,
            now,
            person_id,
            reason if previous else None,
            revision=stored.revision,
        )
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
        kind = NoticeKind.REVENUE_REVISED if previous else NoticeKind.REVENUE_PUBLISHED
        notified = _tell_estate(uow, now, stored, kind, on_time)
        uow.commit()
        stored.status, stored.published_at, stored.published_by = DisclosureStatus.PUBLISHED, now, person_id
        return Published(stored, notified, on_time, previous is not None)


def _tell_estate(uow: UnitOfWork, now: datetime, stored: Stored, kind: NoticeKind, on_time: bool) -> int:
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
        if stored.status != DisclosureStatus.DRAFT:
            raise UserError("disclosure_not_draft", status=stored.status)
        uow.disclosures.set_status(disclosure_id, DisclosureStatus.DISCARDED, now, person_id)
        uow.commit()
