"""The chat's privacy and permission rules hold on every page: a ticket under each privacy tier is driven
up the ladder, then every person of the example world (and someone signed in as nobody) opens every page
the web front door has, and everything each was shown is checked against who the tier lets see the
reporter, and who may open the ticket at all.

"Every page" is the app's own route table: a page added without being visited here, or named as one that
shows no ticket, fails the test."""

from __future__ import annotations

import re
from datetime import timedelta

from aiohttp import web

from handlers.rules.categories import Category, Privacy, Urgency
from handlers.services import ladder
from tests.service.world import (
    CHEN_SERVICE,
    FENG_CHENGGUAN,
    HO_OWNER,
    HUANG_MANAGER,
    LI_REPAIR,
    LIN_MANAGER,
    LIU_COMMUNITY,
    SMITH_OWNER,
    SUN_SECURITY,
    WANG_MANAGER,
    WU_STREET,
    XU_REPAIR,
    ZHANG_OWNER,
    ZHAO_REPAIR,
    ZHENG_BUREAU,
    ZHOU_COMMITTEE,
    World,
)
from tests.web.conftest import Browser

PEOPLE = (
    WANG_MANAGER, LI_REPAIR, ZHAO_REPAIR, CHEN_SERVICE, SUN_SECURITY, HUANG_MANAGER, LIN_MANAGER, XU_REPAIR,
    ZHOU_COMMITTEE, LIU_COMMUNITY, WU_STREET, ZHENG_BUREAU, FENG_CHENGGUAN, ZHANG_OWNER, HO_OWNER,
    SMITH_OWNER,
)  # fmt: skip
GOVERNMENT_OVER_HAIBIN = {LIU_COMMUNITY, WU_STREET, ZHENG_BUREAU}
HAIBIN_COMPANY = {WANG_MANAGER, LI_REPAIR, ZHAO_REPAIR, CHEN_SERVICE, SUN_SECURITY}
# Who may open a ticket of 海滨花园 (nobody transferred it to a department).
SEE_HAIBIN = HAIBIN_COMPANY | {ZHOU_COMMITTEE} | GOVERNMENT_OVER_HAIBIN

# Each reporter's tier, what would name them, and who may be shown it (written out, not computed).
REPORTERS = {
    ZHANG_OWNER: (Privacy.GOVERNMENT, ("张女士", "3栋2单元501"), {ZHANG_OWNER} | GOVERNMENT_OVER_HAIBIN),
    HO_OWNER: (Privacy.NOBODY, ("何先生", "5栋1单元1203"), {HO_OWNER}),
}

# Pages that show no ticket and no person but the reader (signing in, joining, the Mini App's door, the
# static files): opened by nobody here. Every other GET route is opened by everyone below.
NOT_ABOUT_TICKETS = {"/signin", "/s/{code}", "/join", "/app", "/static", "/{tail}"}


def published_quarter(world: World) -> tuple[int, int]:
    """A quarter of 海滨花园's public revenue, published: (estate id, disclosure id)."""
    from handlers.services import revenue
    from tests.web.test_web_revenue import grid

    with world.ctx.uow() as uow:
        estate = uow.estates.by_key("haibin")
        assert estate is not None and estate.id is not None
    manager = world.pid(WANG_MANAGER)
    draft = revenue.import_draft(world.ctx, manager, estate.id, grid("2026Q3"))
    return estate.id, revenue.publish(world.ctx, manager, draft.stored.id or 0).disclosure.id or 0


def get_routes(app: web.Application) -> set[str]:
    """The GET pages the app serves, as their route patterns."""
    found: set[str] = set()
    for resource in app.router.resources():
        info = resource.get_info()
        path = info.get("formatter") or info.get("path") or info.get("prefix") or ""
        if any(route.method in ("GET", "*") for route in resource):
            found.add(re.sub(r"\{tail:[^}]*\}", "{tail}", str(path)))
    return found


async def test_a_hidden_reporter_stays_hidden_and_a_ticket_opens_only_for_whom_the_chat_lets_see_it(
    browser: Browser, world: World
) -> None:
    numbers: dict[int, str] = {}
    for owner, (privacy, _, _) in REPORTERS.items():
        ticket = world.report(
            owner,
            category=Category.LIFT,
            urgency=Urgency.URGENT,
            description=f"电梯困人，警报一直响（{privacy.value}）",
            privacy=privacy,
        )
        numbers[owner] = ticket.number
    for _ in range(12):  # up every rung, so the officials' lists show them
        world.clock.advance(timedelta(days=1))
        ladder.sweep(world.ctx)

    app = browser.client.server.app
    assert app is not None
    routes = get_routes(app)
    pages = ["/", "/my", "/tasks", "/area", "/stats", "/ledger", "/disclosure", "/privacy", "/report"]
    for number in numbers.values():
        pages += [f"/t/{number}", f"/t/{number}/photo/0"]
    estate, disclosure = published_quarter(world)  # the revenue pages: no ticket, no person, figures only
    pages += [
        "/revenue",
        f"/revenue/e/{estate}",
        f"/revenue/d/{disclosure}",
        f"/revenue/d/{disclosure}/chart.png",
    ]
    visited = {
        re.sub(r"/revenue/d/\d+", "/revenue/d/{id}", re.sub(r"/revenue/e/\d+", "/revenue/e/{estate}", p))
        for p in (re.sub(r"/t/[^/]+", "/t/{number}", p).replace("/photo/0", "/photo/{index}") for p in pages)
    }
    unclassified = routes - visited - NOT_ABOUT_TICKETS - {"/stats/chart.png"}
    assert not unclassified, f"pages this test does not open: {sorted(unclassified)}"

    shown: dict[int | None, str] = {}
    opened: dict[tuple[int | None, str], int] = {}
    for person in (*PEOPLE, None):
        if person is None:
            await browser.client.post("/signout", data={"csrf": await browser.csrf("/")})
        else:
            await browser.sign_in_as(person)
        seen = []
        for path in pages:
            response = await browser.client.get(path, allow_redirects=False)
            body = await response.read()
            assert response.status < 500, (person, path, response.status)
            seen.append(body.decode("utf-8", "replace"))
            opened[(person, path)] = response.status
        shown[person] = "\n".join(seen)

    for owner, (_, names, allowed) in REPORTERS.items():
        for person, everything in shown.items():
            leaked = [n for n in names if n in everything]
            if person in allowed:
                assert leaked, (owner, person, "the reporter's own or an allowed reader sees them")
            else:
                assert not leaked, (owner, person, leaked)
    for owner, number in numbers.items():
        for person in (*PEOPLE, None):
            may = person == owner or person in SEE_HAIBIN
            status = opened[(person, f"/t/{number}")]
            assert (status == 200) == may, (number, person, status)
            if not may:
                assert opened[(person, f"/t/{number}/photo/0")] != 200
