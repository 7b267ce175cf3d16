"""The web pages in a real browser: Debian's Chromium driven by Selenium, at 360 px wide, against the real
`wuye run --web-listen` with the stand-in Bot API. An owner joins on the web and reports with a photo;
the repair technician gets the card and the photo in Telegram, acknowledges and resolves there; the owner
confirms and rates on the page. The Mini App opens with valid and forged initData (through wuye's own
script), and an official filters the overdue cases and downloads the ledger. Screenshots are kept in
test-artifacts/web/.

Without Chromium and its driver the tests are skipped, saying so; with WUYE_REQUIRE_BROWSER=1 (as in
CI, where .ci/run installs them) they fail instead."""

from __future__ import annotations

import asyncio
import functools
import io
import os
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from handlers.rules.lifecycle import Status
from handlers.services import web_access
from tests.e2e.harness import REPAIR_LI, STREET, Door, Wuye, free_port, text_of
from tests.support.botapi import StandInBotAPI
from tests.web.test_web_pages import init_data

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
DRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def _first(paths: tuple[str, ...], name: str) -> str | None:
    found = next((p for p in paths if Path(p).is_file()), None)
    return found or shutil.which(name)


def browser_or_skip() -> tuple[str, str]:
    chromium = _first(CHROMIUM, "chromium")
    driver = _first(DRIVER, "chromedriver")
    if chromium and driver:
        return chromium, driver
    why = "no Chromium and chromedriver here (Debian: apt-get install -y chromium chromium-driver)"
    if os.environ.get("WUYE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"WUYE_REQUIRE_BROWSER=1 but {why}")
    pytest.skip(why)


@dataclass
class Page:
    """A Chromium tab; every WebDriver call runs on a thread, so wuye (on this event loop) can answer."""

    driver: Any
    base: str

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(functools.partial(fn, *args))

    async def open(self, path: str) -> None:
        await self.run(self.driver.get, self.base + path)

    async def fill(self, css: str, value: str) -> None:
        from selenium.webdriver.common.by import By

        element = await self.run(self.driver.find_element, By.CSS_SELECTOR, css)
        await self.run(element.clear)
        await self.run(element.send_keys, value)

    async def click(self, css: str) -> None:
        from selenium.webdriver.common.by import By

        element = await self.run(self.driver.find_element, By.CSS_SELECTOR, css)
        await self.run(self.driver.execute_script, "arguments[0].scrollIntoView();", element)
        await self.run(element.click)

    async def text(self) -> str:
        from selenium.webdriver.common.by import By

        body = await self.run(self.driver.find_element, By.TAG_NAME, "body")
        return str(await self.run(lambda: body.text))

    async def url(self) -> str:
        return str(await self.run(lambda: self.driver.current_url))

    async def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await self.run(self.driver.save_screenshot, str(ARTIFACTS / f"{name}.png"))

    async def wait_for(self, words: str, timeout: float = 15.0) -> str:
        from selenium.common.exceptions import WebDriverException

        for _ in range(int(timeout * 10)):
            try:
                text = await self.text()
            except WebDriverException:  # the page changed under us (a form was sent): read it again
                text = ""
            if words in text:
                return text
            await asyncio.sleep(0.1)
        raise AssertionError(f"{words!r} not on the page:\n{await self.text()}")


@pytest.fixture
async def wuye(botapi: StandInBotAPI, tmp_path: Path) -> AsyncIterator[Wuye]:
    app = Wuye(botapi, Door("ptb", False), tmp_path)
    app.settings = app.settings.model_copy(update={"web_listen": f"127.0.0.1:{free_port()}"})
    app.load_example()
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        app.close()


@pytest.fixture
async def page(wuye: Wuye, tmp_path: Path) -> AsyncIterator[Page]:
    chromium, driver_path = browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    # 360 CSS px wide, as a small phone (a headless window itself is at least 500 px wide)
    options.add_experimental_option(
        "mobileEmulation", {"deviceMetrics": {"width": 360, "height": 800, "pixelRatio": 1.0}}
    )
    options.add_argument("--lang=zh-CN")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    prefs = {"download.default_directory": str(downloads), "intl.accept_languages": "zh-CN,zh"}
    options.add_experimental_option("prefs", prefs)
    driver = await asyncio.to_thread(webdriver.Chrome, options=options, service=Service(driver_path))
    try:
        yield Page(driver, f"http://{wuye.settings.web_listen}")
    finally:
        await asyncio.to_thread(driver.quit)


def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "lift.jpg"
    image = Image.new("RGB", (64, 48), (30, 90, 200))
    out = io.BytesIO()
    image.save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


async def test_an_owner_joins_reports_with_a_photo_and_closes_the_loop_on_the_page(
    wuye: Wuye, page: Page, tmp_path: Path
) -> None:
    await page.open("/join")
    await page.fill("#code", "EHB7QK4M9W")
    await page.fill("#unit", "7栋1单元302")
    await page.fill("#name", "林女士")
    await page.shot("1-join")
    await page.click("form button[type=submit]")
    await page.wait_for("恢复码")
    await page.shot("2-joined")

    await page.open("/report")
    await page.run(
        lambda: page.driver.execute_script(
            "document.getElementById('category').value = 'lift';"
            "document.querySelector('input[name=privacy][value=government]').checked = true;"
        )
    )
    await page.fill("#description", "5栋电梯按钮失灵 <script>alert(1)</script>")
    await page.fill("#photo", str(photo_file(tmp_path)))
    await page.fill("#location", "5栋大堂")
    await page.shot("3-report")
    await page.click("form[action='/report'] button[type=submit]")
    text = await page.wait_for("报事已提交")
    assert "<script>alert(1)</script>" in text  # shown as the words it is, not run
    number = next(w for w in text.split() if w.startswith("HB-"))
    await page.shot("4-ticket")

    # the repair technician, in Telegram: the card, and the owner's photo as a photo
    card = await wuye.wait_sent(REPAIR_LI, lambda m: number in text_of(m) and "reply_markup" in m)
    await wuye.wait_sent(REPAIR_LI, lambda m: "photo" in m)
    await wuye.press(REPAIR_LI, card, "ak", until=lambda m: "st" in str(m.get("reply_markup")))
    await wuye.press(REPAIR_LI, wuye._latest((REPAIR_LI, card["message_id"])), "rs")
    await wuye.say(REPAIR_LI, "已更换按钮面板")
    for _ in range(50):
        if wuye.ticket(number).status is Status.RESOLVED:
            break
        latest = [m for m in wuye.sent(REPAIR_LI) if "rz" in str(m.get("reply_markup"))]
        if latest:
            await wuye.press(REPAIR_LI, latest[-1], "rz")
        await asyncio.sleep(0.1)
    assert wuye.ticket(number).status is Status.RESOLVED

    await page.open("/")
    await page.wait_for(number)  # what changed since the last visit
    await page.open(f"/t/{number}")
    await page.click("form.action input[value=cf] ~ button")
    await page.wait_for("⭐⭐⭐⭐⭐")
    await page.click("input[name=stars][value='5']")
    await page.click("form.action input[value=rt] ~ button")
    await page.wait_for("已完成")
    await page.shot("5-rated")
    done = wuye.ticket(number)
    assert done.status is Status.CLOSED and done.rating == 5


async def test_the_mini_app_signs_in_with_telegrams_init_data_and_refuses_a_forged_one(
    wuye: Wuye, page: Page
) -> None:
    import time
    from urllib.parse import quote

    now = int(time.time())
    forged = init_data("123:" + "f" * 35, 200001, now)
    await page.open("/app#tgWebAppData=" + quote(forged))
    await page.wait_for("请从机器人中打开")
    await page.shot("6-miniapp-forged")
    await page.run(page.driver.delete_all_cookies)
    valid = init_data(wuye.settings.bot_token or "", 200001, now)
    theme = quote('{"bg_color":"#1c1c1d","text_color":"#ffffff","button_color":"#2ea6ff"}')
    await page.open(f"/app#tgWebAppData={quote(valid)}&tgWebAppThemeParams={theme}")
    await page.wait_for("张女士")
    await page.shot("7-miniapp-signed-in")
    background = await page.run(
        lambda: page.driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    )
    assert background == "rgb(28, 28, 29)"  # Telegram's theme colour


async def test_an_official_filters_the_overdue_cases_and_downloads_the_ledger(
    wuye: Wuye, page: Page, tmp_path: Path
) -> None:
    with wuye.uow() as uow:
        person = uow.people.by_telegram_id(STREET)
        assert person is not None and person.id is not None
        street = person.id
    from bot.wiring import build_app

    app = build_app(wuye.settings, migrate=False)
    code, _ = web_access.issue_sign_in_code(app.ctx, street)
    app.engine.dispose()
    await page.open(f"/signin?code={code}")
    await page.click("form[action='/signin'] button[type=submit]")
    await page.wait_for("我的辖区")
    await page.open("/area?list=overdue")
    await page.wait_for("共 0 件")
    await page.shot("8-official-overdue")
    await page.open("/ledger")
    await page.fill("#month", "2026-11")
    await page.click("form[action='/ledger'] button[type=submit]")
    downloads = tmp_path / "downloads"
    for _ in range(100):
        done = [p for p in downloads.iterdir() if p.suffix == ".xlsx"]
        if done:
            break
        await asyncio.sleep(0.1)
    assert done and done[0].read_bytes()[:2] == b"PK"


async def test_a_card_opens_its_tickets_page_in_the_mini_app_which_follows_a_theme_change_and_revenue_fits(
    wuye: Wuye, page: Page
) -> None:
    import time
    from urllib.parse import quote

    from bot.wiring import build_app
    from handlers.rules.categories import Category, Privacy, Urgency
    from handlers.services import revenue
    from handlers.services.tickets import TicketDraft, open_ticket
    from tests.web.test_web_revenue import QUARTERS, grid

    app = build_app(wuye.settings, migrate=False)
    with app.ctx.uow() as uow:
        owner, manager = uow.people.by_telegram_id(200001), uow.people.by_telegram_id(100001)
        estate = uow.estates.by_key("haibin")
        assert owner and manager and estate
    draft = TicketDraft(Category.LIFT, Urgency.ORDINARY, "3栋电梯门关不上", privacy=Privacy.GOVERNMENT)
    number = open_ticket(app.ctx, owner.id or 0, draft).number
    for quarter in QUARTERS:
        made = revenue.import_draft(app.ctx, manager.id, estate.id or 0, grid(quarter))
        revenue.publish(app.ctx, manager.id, made.stored.id or 0)
    app.engine.dispose()

    # the card's 📱 button: /app?t=NUMBER with Telegram's initData in the address
    valid = init_data(wuye.settings.bot_token or "", 200001, int(time.time()))
    await page.open(f"/app?t={quote(number)}#tgWebAppData={quote(valid)}")
    await page.wait_for("3栋电梯门关不上")
    assert (await page.url()).endswith(f"/t/{number}")
    await page.run(
        lambda: page.driver.execute_script(
            "window.Telegram.WebView.receiveEvent('theme_changed', {theme_params: {bg_color: '#101010',"
            " text_color: '#f5f5f5', hint_color: '#a0a0a0', secondary_bg_color: '#262626'}});"
        )
    )
    background = await page.run(
        lambda: page.driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    )
    assert background == "rgb(16, 16, 16)"  # the user switched to night: the page follows

    await page.open("/revenue")
    await page.wait_for("各季度对照")
    await page.shot("9-revenue-four-quarters")
    widths = await page.run(
        lambda: page.driver.execute_script(
            "var t = document.querySelector('.scroll');"
            "return [document.documentElement.scrollWidth, t.clientWidth, t.scrollWidth];"
        )
    )
    assert widths[0] <= 360, widths  # the page itself never scrolls sideways at 360 px
    assert widths[1] <= 360  # the table scrolls inside its own region when it must
