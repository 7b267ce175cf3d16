"""The web pages through aiohttp's test client, on SQLite and PostgreSQL: joining and signing in, every
kind of bad input refused with a page in the reader's language that changed nothing, and the chat's
permission and privacy checks holding on every page."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from sqlmodel import Session, func, select

from bot.web.session import COOKIE
from bot.web.site import make_web_app
from handlers.rules.categories import Privacy
from handlers.rules.lifecycle import Status
from handlers.services import revenue_deadlines, tickets, web_access
from storage.tables import AttachmentRow, PersonRow, TicketRow
from tests.service.world import (
    LI_REPAIR,
    LIU_COMMUNITY,
    SMITH_OWNER,
    WU_STREET,
    XU_REPAIR,
    ZHANG_OWNER,
    World,
)
from tests.web.conftest import BOT_TOKEN, Browser, web_deps

HAIBIN_CODE = "EHB7QK4M9W"


def count(world: World, row: type) -> int:
    with Session(world.engine) as session:
        return int(session.exec(select(func.count()).select_from(row)).one())


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


async def text_of(browser: Browser, path: str) -> tuple[int, str]:
    response = await browser.client.get(path)
    return response.status, await response.text()


# ---- joining and signing in ---------------------------------------------------------------------------
async def test_an_owner_joins_with_the_estates_code_and_signs_in_again_with_the_personal_link(
    browser: Browser, other_browser: Browser, world: World
) -> None:
    status, page = await browser.post(
        "/join", {"code": HAIBIN_CODE.lower(), "unit": "7栋1单元302", "name": "林女士"}, form_on="/join"
    )
    assert status == 200 and "7栋1单元302" not in page  # the page shows the link and the code
    link = re.search(r'href="(http://[^"]+/s/([A-Z0-9]+))"', page)
    recovery = re.search(r'id="recovery">([A-Z0-9-]+)<', page)
    assert link and recovery
    status, home = await text_of(browser, "/")
    assert "林女士" in home and "/report" in home

    # another phone: the personal link's form, one press, signed in
    status, form = await text_of(other_browser, f"/s/{link.group(2)}")
    assert link.group(2) in form
    status, _ = await other_browser.post("/signin", {"code": link.group(2)}, form_on="/signin")
    assert "林女士" in (await text_of(other_browser, "/"))[1]

    # the recovery code signs in once and replaces the link: the old link stops working
    status, page = await other_browser.post("/signin", {"code": recovery.group(1)}, form_on="/signin")
    assert status == 200 and "/s/" in page
    status, page = await other_browser.post("/signin", {"code": link.group(2)}, form_on="/signin")
    assert status == 400
    status, page = await other_browser.post("/signin", {"code": recovery.group(1)}, form_on="/signin")
    assert status == 400


async def test_an_unknown_estate_code_is_refused_in_the_readers_language_and_nobody_is_created(
    browser: Browser, world: World
) -> None:
    people = count(world, PersonRow)
    token = await browser.csrf("/join")
    response = await browser.client.post(
        "/join",
        data={"csrf": token, "code": "ENOSUCHCODE", "unit": "1-1-101"},
        headers={"Accept-Language": "en-GB,en;q=0.9"},
    )
    assert response.status == 400
    assert "That code is not valid" in await response.text()
    assert count(world, PersonRow) == people


async def test_staff_sign_in_with_a_one_time_code_that_works_once(
    browser: Browser, other_browser: Browser, world: World
) -> None:
    code, _ = web_access.issue_sign_in_code(world.ctx, world.pid(LI_REPAIR))
    status, _ = await browser.post("/signin", {"code": web_access.pretty(code)}, form_on="/signin")
    assert status == 200
    assert "/tasks" in (await text_of(browser, "/"))[1]
    status, page = await other_browser.post("/signin", {"code": code}, form_on="/signin")
    assert status == 400


async def test_five_wrong_codes_lock_the_client_out_across_a_restart(
    browser: Browser, world: World, tmp_path: Path
) -> None:
    for _ in range(5):
        status, _ = await browser.post("/signin", {"code": "WRONGCODE123"}, form_on="/signin")
        assert status == 400
    code, _ = web_access.issue_sign_in_code(world.ctx, world.pid(LI_REPAIR))
    status, page = await browser.post("/signin", {"code": code}, form_on="/signin")
    assert status == 429
    # a new server on the same database (a restart) still counts them
    async with TestServer(make_web_app(web_deps(world, tmp_path))) as server, TestClient(server) as client:
        again = Browser(client, world)
        status, page = await again.post("/signin", {"code": code}, form_on="/signin")
        assert status == 429
    assert "/tasks" not in (await text_of(browser, "/"))[1]


# ---- bad input: cookies, CSRF -----------------------------------------------------------------------
async def test_a_tampered_cookie_is_refused_with_a_page_and_changes_nothing(
    browser: Browser, world: World
) -> None:
    pid = await browser.sign_in_as(ZHANG_OWNER)
    cookie = browser.client.session.cookie_jar.filter_cookies(browser.client.make_url("/"))[COOKIE].value
    person, nonce, issued, mac = cookie.split(".")
    forged = f"{world.pid(LI_REPAIR)}.{nonce}.{issued}.{mac}"  # someone else's id under my signature
    jar = browser.client.session.cookie_jar
    jar.clear()
    jar.update_cookies({COOKIE: forged}, response_url=browser.client.make_url("/"))
    status, page = await text_of(browser, "/tasks")
    assert status == 400 and "请重新登录" in page
    assert int(person) == pid
    status, page = await text_of(browser, "/tasks")  # and the forged cookie was replaced: nobody
    assert "/signin" in page or status in (200, 303)
    assert "李师傅" not in page


async def test_a_form_without_its_csrf_token_changes_nothing(browser: Browser, world: World) -> None:
    await browser.sign_in_as(ZHANG_OWNER)
    ticket = world.report()
    before = world.snapshot(ticket.id or 0)
    response = await browser.client.post(f"/t/{ticket.number}/act", data={"action": "wd"})
    assert response.status == 403 and "表单已失效" in await response.text()
    response = await browser.client.post(f"/t/{ticket.number}/act", data={"action": "wd", "csrf": "x" * 32})
    assert response.status == 403
    assert world.snapshot(ticket.id or 0) == before
    people = count(world, PersonRow)
    response = await browser.client.post("/join", data={"code": HAIBIN_CODE, "unit": "1-1-1"})
    assert response.status == 403 and count(world, PersonRow) == people


# ---- reports, photos, escaping ------------------------------------------------------------------------
async def test_an_owner_reports_with_a_photo_and_a_script_in_the_description_is_shown_as_text(
    browser: Browser, world: World, tmp_path: Path
) -> None:
    await browser.sign_in_as(ZHANG_OWNER)
    token = await browser.csrf("/report")
    form = {
        "csrf": token,
        "category": "lift",
        "urgency": "urgent",
        "privacy": "nobody",
        "description": "电梯坏了 <script>alert('x')</script> 三天",
        "location": "<b>3栋</b>",
    }
    data = {**form, "photo": io.BytesIO(png())}
    response = await browser.client.post("/report", data=data)
    assert response.status == 200
    page = await response.text()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<b>3栋</b>" not in page
    with Session(world.engine) as session:
        ticket = session.exec(select(TicketRow)).one()
        photo = session.exec(select(AttachmentRow)).one()
    assert ticket.privacy == "nobody" and photo.file_id.startswith("web:")
    assert (tmp_path / "photos" / f"{photo.file_id[4:]}.jpg").is_file()
    shown = await browser.client.get(f"/t/{ticket.number}/photo/0")
    assert shown.status == 200 and (await shown.read())[:3] == b"\xff\xd8\xff"  # re-encoded as a JPEG


async def test_a_report_sent_at_night_says_when_the_staff_get_it_not_that_they_were_told(
    browser: Browser, world: World
) -> None:
    """As the chat's receipt: by day the staff are told at once; at 23:00 their card waits for the
    office to open, and the page says so rather than that they have been told."""
    await browser.sign_in_as(ZHANG_OWNER)
    form = {
        "category": "lift",
        "urgency": "urgent",
        "privacy": "nobody",
        "description": "电梯门关不上，一直响",
    }
    for hours, told in ((0, True), (13, False)):
        world.clock.advance(timedelta(hours=hours))  # Monday 10:00, then 23:00
        response = await browser.client.post("/report", data={**form, "csrf": await browser.csrf("/report")})
        page = await response.text()
        assert response.status == 200 and ("已通知物业人员" in page) == told
        assert ("物业现在已下班：工作人员将在 2026年11月24日 09:00 上班时收到您的报事。" in page) == (
            not told
        )


async def test_a_file_that_is_not_an_image_or_too_large_is_refused_and_nothing_is_reported(
    browser: Browser, world: World
) -> None:
    await browser.sign_in_as(ZHANG_OWNER)
    base = {"category": "lift", "urgency": "ordinary", "privacy": "government", "description": "电梯门关不上"}
    for upload in (b"%PDF-1.4 not a photo", b"\xff\xd8\xff" + b"0" * (9 * 1024 * 1024)):
        token = await browser.csrf("/report")
        response = await browser.client.post(
            "/report", data={**base, "csrf": token, "photo": io.BytesIO(upload)}
        )
        assert response.status in (400, 413)
        assert "照片" in await response.text() or "太大" in await response.text()
    assert count(world, TicketRow) == 0 and count(world, AttachmentRow) == 0


# ---- permissions and privacy ------------------------------------------------------------------------
async def test_a_ticket_of_another_estate_in_the_url_is_not_found(browser: Browser, world: World) -> None:
    theirs = world.report(telegram_id=SMITH_OWNER, description="8号楼的路灯坏了")  # 前埔 (qianpu)
    for who in (ZHANG_OWNER, LI_REPAIR, LIU_COMMUNITY, WU_STREET):
        await browser.sign_in_as(who)
        status, page = await text_of(browser, f"/t/{theirs.number}")
        assert status == 404 and "8号楼的路灯坏了" not in page, who
    await browser.sign_in_as(XU_REPAIR)  # staff of that estate see it
    status, page = await text_of(browser, f"/t/{theirs.number}")
    assert status == 200 and "8号楼的路灯坏了" in page


async def test_the_reporters_name_is_shown_as_their_privacy_choice_allows(
    browser: Browser, world: World
) -> None:
    hidden = world.report(privacy=Privacy.GOVERNMENT)
    await browser.sign_in_as(LI_REPAIR)
    page = (await text_of(browser, f"/t/{hidden.number}"))[1]
    assert "张女士" not in page and "3栋2单元501" not in page
    await browser.sign_in_as(LIU_COMMUNITY)
    page = (await text_of(browser, f"/t/{hidden.number}"))[1]
    assert "3栋2单元501" in page


async def test_staff_act_on_the_card_and_the_owner_confirms_and_rates_on_the_page(
    browser: Browser, other_browser: Browser, world: World
) -> None:
    ticket = world.report()
    await browser.sign_in_as(LI_REPAIR)
    page = (await text_of(browser, f"/t/{ticket.number}"))[1]
    assert 'value="ak"' in page
    for action, text in (("ak", ""), ("st", ""), ("rs", "已更换门机皮带")):
        status, _ = await browser.post(
            f"/t/{ticket.number}/act", {"action": action, "text": text}, form_on=f"/t/{ticket.number}"
        )
        assert status == 200, action
    assert world.ticket(ticket.id or 0).status is Status.RESOLVED
    # a line staff member of the estate who is not the assignee cannot act
    await other_browser.sign_in_as(ZHANG_OWNER)
    status, page = await other_browser.post(
        f"/t/{ticket.number}/act", {"action": "cf"}, form_on=f"/t/{ticket.number}"
    )
    assert status == 200
    status, page = await other_browser.post(
        f"/t/{ticket.number}/act",
        {"action": "rt", "stars": "5", "text": "很快"},
        form_on=f"/t/{ticket.number}",
    )
    assert status == 200
    done = world.ticket(ticket.id or 0)
    assert done.status is Status.CLOSED and done.rating == 5


async def test_an_owner_cannot_act_for_staff_and_staff_cannot_confirm(browser: Browser, world: World) -> None:
    ticket = world.report()
    await browser.sign_in_as(ZHANG_OWNER)
    before = world.snapshot(ticket.id or 0)
    status, page = await browser.post(f"/t/{ticket.number}/act", {"action": "ak"}, form_on="/my")
    assert status == 403 and world.snapshot(ticket.id or 0) == before
    tickets.acknowledge(world.ctx, world.pid(LI_REPAIR), ticket.id or 0)
    tickets.resolve(world.ctx, world.pid(LI_REPAIR), ticket.id or 0, "修好了")
    await browser.sign_in_as(LI_REPAIR)
    before = world.snapshot(ticket.id or 0)
    status, _ = await browser.post(f"/t/{ticket.number}/act", {"action": "cf"}, form_on="/tasks")
    assert status == 403 and world.snapshot(ticket.id or 0) == before


async def test_what_changed_since_the_last_visit_is_shown_on_arrival(browser: Browser, world: World) -> None:
    ticket = world.report()
    await browser.sign_in_as(ZHANG_OWNER)
    assert "您的报事没有新进展" in (await text_of(browser, "/"))[1]  # the first visit notes the moment
    world.clock.advance(timedelta(minutes=5))
    tickets.acknowledge(world.ctx, world.pid(LI_REPAIR), ticket.id or 0)
    page = (await text_of(browser, "/"))[1]
    assert f'href="/t/{ticket.number}"' in page and "已签收" in page
    world.clock.advance(timedelta(minutes=5))
    assert "您的报事没有新进展" in (await text_of(browser, "/"))[1]  # told once


# ---- officials --------------------------------------------------------------------------------------
async def test_an_official_filters_the_overdue_list_and_an_estate_outside_the_area_is_refused(
    browser: Browser, world: World
) -> None:
    ticket = world.report()
    world.clock.advance(timedelta(days=30))
    await browser.sign_in_as(WU_STREET)
    status, page = await text_of(browser, "/area?list=overdue")
    assert status == 200 and ticket.number in page
    with world.ctx.uow() as uow:
        qianpu = uow.estates.by_key("qianpu")
        haibin = uow.estates.by_key("haibin")
        assert qianpu and haibin
    status, page = await text_of(browser, "/area?" + urlencode({"list": "overdue", "estate": haibin.id}))
    assert ticket.number in page
    status, page = await text_of(browser, "/area?" + urlencode({"list": "overdue", "estate": qianpu.id}))
    assert status == 404
    status, page = await text_of(browser, "/area?list=supervised&page=99")
    assert status == 200


async def test_an_official_downloads_the_months_ledger(browser: Browser, world: World) -> None:
    world.report()
    world.clock.advance(timedelta(days=40))
    await browser.sign_in_as(WU_STREET)
    page = (await text_of(browser, "/ledger"))[1]
    scope = re.search(r'<option value="([^"]+)">', page)
    assert scope
    token = await browser.csrf("/ledger")
    response = await browser.client.post(
        "/ledger", data={"csrf": token, "scope": scope.group(1), "month": "2026-11", "format": "xlsx"}
    )
    assert response.status == 200
    assert (await response.read())[:2] == b"PK"
    assert "attachment" in response.headers["Content-Disposition"]
    # a quarter's ledger too (2026Q4 is over: the clock is at 2027-01-02); a quarter that is not, refused
    quarter = await browser.client.post(
        "/ledger", data={"csrf": token, "scope": scope.group(1), "month": "2026Q4", "format": "xlsx"}
    )
    assert quarter.status == 200 and (await quarter.read())[:2] == b"PK"
    assert "2026Q4" in quarter.headers["Content-Disposition"]
    refused = await browser.client.post(
        "/ledger", data={"csrf": token, "scope": scope.group(1), "month": "2026Q5", "format": "xlsx"}
    )
    assert refused.status == 400 and "2026Q5" in await refused.text()
    await browser.sign_in_as(ZHANG_OWNER)  # an owner has no ledger
    status, _ = await text_of(browser, "/ledger")
    assert status == 403


# ---- the Mini App -----------------------------------------------------------------------------------
def init_data(token: str, user_id: int, auth_date: int) -> str:
    fields = {
        "auth_date": str(auth_date),
        "query_id": "AAH",
        "user": json.dumps({"id": user_id, "first_name": "张", "last_name": "女士"}, separators=(",", ":")),
    }
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


async def test_the_mini_app_signs_in_with_valid_init_data_and_refuses_forged_or_stale(
    browser: Browser, other_browser: Browser, world: World
) -> None:
    now = int(world.ctx.clock.now().timestamp())
    status, _ = await other_browser.post(
        "/app/auth", {"init_data": init_data("999:not-the-bot" + "x" * 30, ZHANG_OWNER, now)}, form_on="/app"
    )
    assert status == 403
    status, _ = await other_browser.post(
        "/app/auth", {"init_data": init_data(BOT_TOKEN, ZHANG_OWNER, now - 3 * 86400)}, form_on="/app"
    )
    assert status == 403
    assert "/report" not in (await text_of(other_browser, "/"))[1]
    status, _ = await browser.post(
        "/app/auth", {"init_data": init_data(BOT_TOKEN, ZHANG_OWNER, now)}, form_on="/app"
    )
    assert status == 200
    assert "/report" in (await text_of(browser, "/"))[1]


async def test_pages_follow_accept_language_until_a_language_is_chosen(browser: Browser) -> None:
    response = await browser.client.get("/signin", headers={"Accept-Language": "zh-TW,zh;q=0.9"})
    assert "登入" in await response.text()
    response = await browser.client.get("/signin", headers={"Accept-Language": "en-US,en;q=0.8"})
    assert "Sign in" in await response.text()
    token = await browser.csrf("/signin")
    await browser.client.post("/language", data={"csrf": token, "lang": "zh_Hans"})
    response = await browser.client.get("/signin", headers={"Accept-Language": "en-US"})
    assert "登录" in await response.text()


async def test_the_outbox_sends_a_photo_uploaded_on_the_web_as_a_photo(tmp_path: Path) -> None:
    from bot.web.photos import keep_photo, with_local_photos
    from handlers.conversations.io import Edit, Send

    file_id, _ = keep_photo(png(), tmp_path)
    sent: list[Send | Edit] = []

    async def deliver(part: Send | Edit) -> int:
        sent.append(part)
        return 1

    send = with_local_photos(deliver, tmp_path)
    await send(Send(1, "HB-2026-000001", photo=file_id))
    await send(Send(1, "HB-2026-000001", photo="AgACAgQAAxkBAAI"))  # a Telegram file id: as it is
    await send(Send(1, "HB-2026-000001", photo="web:" + "0" * 64))  # a file gone: said, not sent as an id
    first, second, third = sent
    assert isinstance(first, Send) and first.photo is None and first.image is not None
    assert first.image[:3] == b"\xff\xd8\xff"
    assert isinstance(second, Send) and second.photo == "AgACAgQAAxkBAAI"
    assert isinstance(third, Send) and third.photo is None and third.image is None


async def test_the_disclosure_page_shows_every_estate_ranked_or_marked_not_ranked(
    browser: Browser, world: World
) -> None:
    """As /disclosure in the chat: an estate over fewer quarters than the minimum is shown with its
    figure and "not ranked", never left out, and the companies are ranked too."""
    await browser.sign_in_as(WU_STREET)
    status, page = await text_of(browser, "/disclosure")
    assert status == 200 and "<h2>" not in page  # no quarter on record yet: no ranking, not an empty one
    # The estates joined in 2026Q4; its deadline passes unpublished while the bot watches.
    world.clock.advance(timedelta(days=58))  # 2027-01-20
    revenue_deadlines.sweep_deadlines(world.ctx)
    await browser.sign_in_as(WU_STREET)  # a sign-in lasts 30 days
    status, page = await text_of(browser, "/disclosure")
    assert status == 200
    ranking = page.partition("<h2>")[2]
    assert "海滨花园" in ranking and "上都嘉园" in ranking, ranking
    assert "海滨花园: 0/1 (n &lt; 4" in ranking or "海滨花园: 0/1 (样本数少于 4" in ranking, ranking
    assert "厦门海欣物业服务有限公司" in ranking.partition("</ol>")[2], ranking
