"""What officials see of disclosures (自动预警、自动通报、自动排名): which estates of their area published
a quarter on time, late or not at all, and estates and companies ranked by their on-time rate (over
fewer quarters than the setup file's minimum sample: shown, not ranked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from handlers.domain.organisations import Estate
from handlers.ports import UnitOfWork
from handlers.rules import revenue as rules
from handlers.rules.ranking import Ranking, Rate, rank
from handlers.services import access
from handlers.services.context import Context
from handlers.services.errors import NotAllowed
from handlers.services.settings import min_sample


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
    estate_ranking: Ranking[str]  # by name; a rate is on-time quarters of those due
    company_ranking: Ranking[str]


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
        # A case is a quarter and the ranking looks back `quarters_ranked` of them: a minimum above that
        # could never be met, so an estate needs every quarter of the window on record to be ranked.
        minimum = min(min_sample(uow), quarters_ranked)
        return AreaView(
            quarter,
            disclosure_rules.due_date(quarter),
            rows,
            rank(
                (names[r.subject_id], Rate(r.on_time, r.due, minimum))
                for r in rules.ranking(records, "estate")
            ),
            rank(
                (company_names[r.subject_id], Rate(r.on_time, r.due, minimum))
                for r in rules.ranking(records, "company")
            ),
        )
