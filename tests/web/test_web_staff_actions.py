"""The ticket page offers staff, managers and officials the same actions as the card in their chat, each
done by the chat's use case: reassign, decline, ask for more time, send back, transfer to a department,
mark a typical case; and a form whose button the card does not offer this reader changes nothing."""

from __future__ import annotations

import re

from handlers.rules.lifecycle import Status
from handlers.services import tickets
from tests.service.world import LI_REPAIR, LIU_COMMUNITY, WANG_MANAGER, ZHANG_OWNER, ZHAO_REPAIR, World
from tests.web.conftest import Browser


async def act(browser: Browser, number: str, **form: str) -> tuple[int, str]:
    return await browser.post(f"/t/{number}/act", dict(form), form_on=f"/t/{number}")


async def page(browser: Browser, number: str) -> str:
    return await (await browser.client.get(f"/t/{number}")).text()


async def test_staff_reassign_ask_for_more_time_and_decline_on_the_page(
    browser: Browser, world: World
) -> None:
    ticket = world.report()
    tid, number = ticket.id or 0, ticket.number
    assignee = world.ticket(tid).assignee_id
    await browser.sign_in_as(WANG_MANAGER)  # the project manager: every action of the card
    shown = await page(browser, number)
    assert 'value="ag"' in shown and 'value="xq"' in shown and 'value="nj"' in shown
    zhao = world.pid(ZHAO_REPAIR)
    other = zhao if assignee != zhao else world.pid(LI_REPAIR)
    assert re.search(rf'<option value="{other}">', shown)
    status, _ = await act(browser, number, action="ag", to=str(other))
    assert status == 200 and world.ticket(tid).assignee_id == other

    await browser.sign_in_as(ZHAO_REPAIR if other == zhao else LI_REPAIR)  # the new assignee
    tickets.acknowledge(world.ctx, other, tid)
    status, _ = await act(browser, number, action="xq", days="3")
    assert status == 200 and world.ticket(tid).extension_requested_until is not None
    status, _ = await act(browser, number, action="nj", text="这是业委会管理的设施，不归物业")
    assert status == 200 and world.ticket(tid).status is Status.REJECTED


async def test_an_official_sends_back_transfers_and_marks_a_typical_case_on_the_page(
    browser: Browser, world: World
) -> None:
    ticket = world.report()
    tid, number = ticket.id or 0, ticket.number
    assignee = world.ticket(tid).assignee_id or 0
    tickets.reject(world.ctx, assignee, tid, "这是业委会管理的设施，不归物业")
    await browser.sign_in_as(LIU_COMMUNITY)
    shown = await page(browser, number)
    assert 'value="ob"' in shown and 'value="td"' in shown and 'value="ty"' in shown
    status, _ = await act(browser, number, action="ob")
    assert status == 200 and world.ticket(tid).status is Status.ASSIGNED
    status, _ = await act(browser, number, action="td", office="siming-chengguan", text="请到场核查占用情况")
    assert status == 200 and world.ticket(tid).status is Status.TRANSFERRED
    parts = {"background": "3栋电梯门故障", "handling": "物业当日维修", "outcome": "已修复，业主满意"}
    status, _ = await act(browser, number, action="ty", **parts)
    assert status == 200
    with world.ctx.uow() as uow:
        case = uow.typical_cases.get(tid)
    assert case is not None and case.outcome == "已修复，业主满意"
    assert "已修复，业主满意" in await page(browser, number)  # the form shows the mark as it is
    status, _ = await act(browser, number, action="tu")
    with world.ctx.uow() as uow:
        assert status == 200 and uow.typical_cases.get(tid) is None


async def test_a_form_whose_button_the_card_does_not_offer_changes_nothing(
    browser: Browser, world: World
) -> None:
    ticket = world.report()
    tid, number = ticket.id or 0, ticket.number
    await browser.sign_in_as(
        LI_REPAIR if world.ticket(tid).assignee_id == world.pid(LI_REPAIR) else ZHAO_REPAIR
    )
    before = world.snapshot(tid)
    for form in (
        {"action": "td", "office": "siming-chengguan", "text": "请到场"},  # an official's
        {"action": "ob"},
        {"action": "ty", "background": "x", "handling": "y", "outcome": "z"},
        {"action": "ag", "to": str(world.pid(ZHANG_OWNER))},  # not a colleague
    ):
        status, _ = await act(browser, number, **form)
        assert status in (400, 403), form
        assert world.snapshot(tid) == before, form
    # The manager may reassign, but "send back to the company" is the community's button, not theirs:
    # the use case alone would take it as a reassignment; the card does not offer it, nor does the page.
    await browser.sign_in_as(WANG_MANAGER)
    status, _ = await act(browser, number, action="ob")
    assert status == 403 and world.snapshot(tid) == before
    await browser.sign_in_as(ZHANG_OWNER)  # the reporter: none of the card's actions
    status, _ = await act(browser, number, action="ag", to=str(world.pid(ZHAO_REPAIR)))
    assert status == 403 and world.snapshot(tid) == before
