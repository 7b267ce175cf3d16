"""The printed owner invite: the QR code decodes to the estate's deep link, the estate's name is drawn in
real glyphs under it, and `wuye invite owners --qr` refuses with one line and writes nothing when it
cannot make a correct poster."""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageChops
from typer.testing import CliRunner

from bot.cli import app
from bot.i18n import load_translations
from bot.qr_invite import A5_150DPI, deep_link, draw_invite, write_invite

TR = load_translations().for_lang("zh_Hans")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "setup.yaml"


def decoded(image: Image.Image) -> list[zxingcpp.Result]:
    return [r for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def qr_bottom(result: zxingcpp.Result) -> int:
    p = result.position
    return max(p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y)


def test_the_qr_code_decodes_to_the_estates_deep_link() -> None:
    poster = draw_invite(TR, "海滨花园", "EHB7QK4M9W", "haibin_wuye_bot")
    assert poster.size == A5_150DPI
    [found] = decoded(poster)
    assert found.text == "https://t.me/haibin_wuye_bot?start=EHB7QK4M9W"
    assert found.text == deep_link("haibin_wuye_bot", "EHB7QK4M9W")


def test_a_different_code_gives_a_different_qr_code() -> None:
    [found] = decoded(draw_invite(TR, "海滨花园", "EOTHER2027", "haibin_wuye_bot"))
    assert found.text.endswith("?start=EOTHER2027")


def test_the_estates_name_is_drawn_under_the_code_in_real_glyphs() -> None:
    """Two names that differ in one character give posters that differ right under the QR code; with a
    font lacking Chinese both would be the same row of empty boxes."""
    one = draw_invite(TR, "海滨花园", "EHB7QK4M9W", "haibin_wuye_bot")
    other = draw_invite(TR, "海滨花苑", "EHB7QK4M9W", "haibin_wuye_bot")
    [found] = decoded(one)
    band = (0, qr_bottom(found) + 5, one.size[0], qr_bottom(found) + one.size[1] // 8)  # right under it
    assert ImageChops.difference(one.crop(band), other.crop(band)).getbbox() is not None, (
        "the name is not drawn under the code, or drawn as empty boxes"
    )
    dark = sum(one.crop(band).convert("L").histogram()[:128])  # pixels darker than mid-grey
    assert dark > 2000  # large, legible characters, not a speck


def test_long_names_shrink_to_fit_the_page() -> None:
    name = "厦门市思明区莲花街道海滨花园小区二期东区"
    poster = draw_invite(TR, name, "EHB7QK4M9W", "haibin_wuye_bot")
    [found] = decoded(poster)
    below = poster.crop((0, qr_bottom(found) + 5, poster.size[0], qr_bottom(found) + poster.size[1] // 8))
    box = ImageChops.invert(below.convert("L")).getbbox()
    assert box is not None and box[0] > 0 and box[2] < poster.size[0]  # inside the margins


def test_the_png_carries_its_print_resolution(tmp_path: Path) -> None:
    target = tmp_path / "invite.png"
    write_invite(target, draw_invite(TR, "海滨花园", "EHB7QK4M9W", "haibin_wuye_bot"))
    with Image.open(target) as saved:
        assert saved.size == (1240, 1754)
        assert tuple(round(v) for v in saved.info["dpi"]) == (150, 150)
    assert [p.name for p in tmp_path.iterdir()] == ["invite.png"]  # no temporary file left behind


# ---- the command ---------------------------------------------------------------------------------
@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite database with the example world; no WUYE_* setting from outside this test."""
    monkeypatch.chdir(tmp_path)  # no .env from the working directory
    for name in ("WUYE_BOT_USERNAME", "WUYE_DATABASE_URL", "WUYE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    result = CliRunner().invoke(app, ["load", str(EXAMPLE), "--database-url", url])
    assert result.exit_code == 0, result.output
    return url


def test_invite_owners_writes_a_poster_whose_code_opens_the_bot(loaded: str, tmp_path: Path) -> None:
    target = tmp_path / "invite.png"
    result = CliRunner().invoke(
        app,
        [
            "invite",
            "owners",
            "--estate",
            "haibin",
            "--qr",
            str(target),
            "--bot-username",
            "haibin_wuye_bot",
            "--database-url",
            loaded,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "https://t.me/haibin_wuye_bot?start=EHB7QK4M9W" in result.stdout
    with Image.open(target) as poster:
        [found] = decoded(poster.convert("RGB"))
    assert found.text == "https://t.me/haibin_wuye_bot?start=EHB7QK4M9W"


def test_the_configured_bot_username_is_used(
    loaded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WUYE_BOT_USERNAME", "estate_desk_bot")
    target = tmp_path / "invite.png"
    result = CliRunner().invoke(
        app, ["invite", "owners", "--estate", "haibin", "--qr", str(target), "--database-url", loaded]
    )
    assert result.exit_code == 0, result.output
    with Image.open(target) as poster:
        [found] = decoded(poster.convert("RGB"))
    assert found.text == "https://t.me/estate_desk_bot?start=EHB7QK4M9W"


def test_an_unknown_estate_is_one_line_and_nothing_is_written(loaded: str, tmp_path: Path) -> None:
    target = tmp_path / "invite.png"
    result = CliRunner().invoke(
        app,
        [
            "invite",
            "owners",
            "--estate",
            "nowhere",
            "--qr",
            str(target),
            "--bot-username",
            "haibin_wuye_bot",
            "--database-url",
            loaded,
        ],
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == ["wuye: --estate: unknown estate 'nowhere'"]
    assert not target.exists()


def test_without_a_bot_username_the_poster_is_refused_naming_the_setting(loaded: str, tmp_path: Path) -> None:
    target = tmp_path / "invite.png"
    result = CliRunner().invoke(
        app, ["invite", "owners", "--estate", "haibin", "--qr", str(target), "--database-url", loaded]
    )
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("wuye: WUYE_BOT_USERNAME:") and "--bot-username" in line
    assert not target.exists()


def test_a_malformed_bot_username_is_refused(loaded: str, tmp_path: Path) -> None:
    target = tmp_path / "invite.png"
    result = CliRunner().invoke(
        app,
        [
            "invite",
            "owners",
            "--estate",
            "haibin",
            "--qr",
            str(target),
            "--bot-username",
            "t.me/x y",
            "--database-url",
            loaded,
        ],
    )
    assert result.exit_code == 2
    assert "WUYE_BOT_USERNAME" in result.stderr and "not a Telegram username" in result.stderr
    assert not target.exists()


def test_the_link_alone_needs_no_qr_settings(loaded: str) -> None:
    result = CliRunner().invoke(app, ["invite", "owners", "--estate", "haibin", "--database-url", loaded])
    assert result.exit_code == 0, result.output
    assert "?start=EHB7QK4M9W" in result.stdout
