"""A session lives in a signed cookie, so a copy of it (a lost phone, a shared computer, a cookie taken)
would stay signed in for its whole 30 days unless the server ends it: signing out ends every session of
the person, and so does a new personal link (from the estate's manager, or the recovery code)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, select

from handlers.services import web_access
from storage.tables import PersonRow
from tests.service.world import WANG_MANAGER, ZHANG_OWNER, World
from tests.web.conftest import Browser

HAIBIN_CODE = "EHB7QK4M9W"  # the example estate's code (examples/setup.yaml)


def person_named(world: World, name: str) -> int:
    with Session(world.engine) as session:
        found = session.exec(select(PersonRow).where(PersonRow.display_name == name)).one()
    assert found.id is not None
    return found.id


def use_cookie(browser: Browser, value: str) -> None:
    """The browser holds this session cookie and no other."""
    jar = browser.client.session.cookie_jar
    jar.clear()
    jar.update_cookies({"wuye_session": value}, response_url=browser.client.make_url("/"))
    assert cookie_of(browser) == value


def cookie_of(browser: Browser) -> str:
    found = [c.value for c in browser.client.session.cookie_jar if c.key == "wuye_session"]
    assert found
    return found[0]


async def test_signing_out_ends_the_session_on_every_device(
    browser: Browser, other_browser: Browser, world: World
) -> None:
    await browser.sign_in_as(ZHANG_OWNER)
    await other_browser.sign_in_as(ZHANG_OWNER)
    taken = cookie_of(other_browser)  # a copy of the other phone's cookie
    assert (await browser.client.get("/my", allow_redirects=False)).status == 200
    world.clock.advance(timedelta(minutes=5))
    await browser.client.post("/signout", data={"csrf": await browser.csrf("/")})
    assert (await browser.client.get("/my", allow_redirects=False)).status == 303
    assert (await other_browser.client.get("/my", allow_redirects=False)).status == 303
    use_cookie(other_browser, taken)
    assert (await other_browser.client.get("/my", allow_redirects=False)).status == 303
    # and signing in again works at once
    await browser.sign_in_as(ZHANG_OWNER)
    assert (await browser.client.get("/my", allow_redirects=False)).status == 200


async def test_a_new_personal_link_signs_the_lost_phone_out(
    browser: Browser, other_browser: Browser, world: World
) -> None:
    status, page = await browser.post(
        "/join", {"code": HAIBIN_CODE, "unit": "7栋1单元302", "name": "林女士"}, form_on="/join"
    )
    assert status == 200
    link = re.search(r"/s/([A-Z0-9]+)", page)
    assert link
    assert (await browser.client.get("/my", allow_redirects=False)).status == 200  # the phone, later lost
    world.clock.advance(timedelta(days=2))
    pid = person_named(world, "林女士")
    new_link, _ = web_access.new_owner_link(world.ctx, world.pid(WANG_MANAGER), pid)
    assert (await browser.client.get("/my", allow_redirects=False)).status == 303
    status, _ = await other_browser.post("/signin", {"code": new_link}, form_on="/signin")
    assert (await other_browser.client.get("/my", allow_redirects=False)).status == 200
    status, _ = await browser.post("/signin", {"code": link.group(1)}, form_on="/signin")
    assert status == 400  # the old link stopped working too


async def test_signing_in_with_the_recovery_code_signs_the_lost_link_out(
    browser: Browser, other_browser: Browser, world: World
) -> None:
    status, page = await browser.post(
        "/join", {"code": HAIBIN_CODE, "unit": "7栋1单元302", "name": "林女士"}, form_on="/join"
    )
    recovery = re.search(r'id="recovery">([A-Z0-9-]+)<', page)
    assert recovery
    world.clock.advance(timedelta(hours=3))
    status, page = await other_browser.post("/signin", {"code": recovery.group(1)}, form_on="/signin")
    assert status == 200 and "/s/" in page
    assert (await browser.client.get("/my", allow_redirects=False)).status == 303
    assert (await other_browser.client.get("/my", allow_redirects=False)).status == 200


async def test_a_sign_in_over_thirty_days_old_asks_to_sign_in_again_and_a_forged_cookie_is_refused(
    browser: Browser, world: World
) -> None:
    await browser.sign_in_as(ZHANG_OWNER)
    old = cookie_of(browser)
    world.clock.advance(timedelta(days=31))
    response = await browser.client.get("/my", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/signin"  # not "could not be checked"
    person, nonce, issued, mac = old.split(".")
    forged = f"{person}.{nonce}.{int(issued) + 31 * 86400}.{mac}"  # made to look recent
    use_cookie(browser, forged)
    response = await browser.client.get("/my", allow_redirects=False)
    assert response.status == 400 and "无法核验您的登录状态" in await response.text()
