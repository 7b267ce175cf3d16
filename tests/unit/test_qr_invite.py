"""The printed owner invite: the QR code decodes to the estate's deep link, the estate's name is drawn in
real glyphs under it, the poster says what can be reported, who sees the reporter's name and whom to
call, nothing on it overlaps or leaves the page, the PDF is one A4 page whose words are text in the
embedded CJK font, and `wuye invite owners --qr` refuses with one line and writes nothing when it
cannot make a correct poster."""

from __future__ import annotations

import io
import zlib
from itertools import combinations
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageOps
from pypdf import PageObject, PdfReader
from pypdf.generic import DictionaryObject
from typer.testing import CliRunner

from bot.cli.main import app
from bot.documents.invite_layout import A4_150DPI, PRIVACY, Company, deep_link, poster_layout
from bot.documents.qr_invite import draw_invite, invite_pdf, write_invite
from handlers.conversations import labels
from handlers.rules.categories import EVERYDAY
from handlers.text import LANGUAGES, Lang
from tests.support.translations import shared_translations

TR = shared_translations().for_lang("zh_Hans")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "setup.yaml"


def decoded(image: Image.Image) -> list[zxingcpp.Result]:
    return [r for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def qr_bottom(result: zxingcpp.Result) -> int:
    p = result.position
    return max(p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y)


def test_the_qr_code_decodes_to_the_estates_deep_link() -> None:
    poster = draw_invite(TR, "海滨花园", "EHB7QK4M9W", "haibin_wuye_bot")
    assert poster.size == A4_150DPI
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


# ---- what the poster says, and where ------------------------------------------------------------
COMPANY = Company("厦门海欣物业服务有限公司", "0592-5551234")
LONG_NAME = "厦门市思明区莲花街道海滨花园小区二期东区"


def compact(text: str) -> str:
    """Text without its whitespace: the poster wraps sentences over lines."""
    return "".join(text.split())


def says_everything(words: str, lang: Lang) -> None:
    tr = shared_translations().for_lang(lang)
    words = compact(words)
    assert compact(tr.gettext(PRIVACY)) in words, f"{lang}: no privacy sentence"
    assert COMPANY.name in words and "0592-5551234" in words, f"{lang}: no company or phone"
    for category in EVERYDAY:
        assert compact(labels.label(tr, labels.CATEGORY, category)) in words, f"{lang}: {category} missing"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_poster_says_what_to_report_who_sees_the_name_and_whom_to_call(lang: Lang) -> None:
    tr = shared_translations().for_lang(lang)
    poster = poster_layout(tr, "海滨花园", "EHB7QK4M9W", "haibin_wuye_bot", COMPANY)
    says_everything(poster.words(), lang)
    if lang != "en":  # the privacy sentence is the estate's language, not English
        assert compact(PRIVACY) not in compact(poster.words())


def test_the_privacy_sentence_promises_no_more_than_the_bot_does() -> None:
    """The reporter chooses, and may keep their name from the company; officials may still see it, so
    the poster must not say the report is anonymous."""
    tr = shared_translations()
    for lang in LANGUAGES:
        sentence = tr.for_lang(lang).gettext(PRIVACY)
        assert not any(word in sentence.lower() for word in ("anonym", "匿名", "nobody", "任何人"))


CROWDED = (  # the longest of everything: the words push the QR code smaller
    "Sunshine Garden Phase Two East Wing Residential Community of Siming",
    "haibin_garden_owner_services_bot",
    Company("厦门市思明区海欣物业服务有限公司莲花分公司第二项目部", "0592-5551234 / 138 0000 0000"),
)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("name", "bot", "company"),
    [("海滨花园", "haibin_wuye_bot", COMPANY), (LONG_NAME, "haibin_wuye_bot", COMPANY), CROWDED],
)
def test_nothing_on_the_poster_overlaps_or_leaves_the_page(
    lang: Lang, name: str, bot: str, company: Company
) -> None:
    tr = shared_translations().for_lang(lang)
    poster = poster_layout(tr, name, "EHB7QK4M9W", bot, company)
    width, height = poster.size
    assert poster.qr is not None and poster.qr.side >= width * 2 // 7  # about 6 cm on A4, or more
    boxes = [(t.text, t.box) for t in poster.texts] + [("QR code", poster.qr.box)]
    for text, (left, top, right, bottom) in boxes:
        assert left >= 0 and right <= width and top >= 0 and bottom <= height, f"{text!r} leaves the page"
    for (one, a), (other, b) in combinations(boxes, 2):
        apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
        assert apart, f"{lang}: {one!r} overlaps {other!r}"
    body = max(t.box[3] for t in poster.texts if t.baseline < poster.footer_top)
    footer = min(t.box[1] for t in poster.texts if t.baseline > poster.footer_top)
    assert footer - body >= height / 80, f"{lang}: the footer crowds the words above it"


def pdf_of(lang: Lang) -> PdfReader:
    tr = shared_translations().for_lang(lang)
    return PdfReader(io.BytesIO(invite_pdf(tr, "海滨花园", "EHB7QK4M9W", "haibin_wuye_bot", COMPANY)))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_pdf_is_one_a4_page_whose_words_are_text(lang: Lang) -> None:
    reader = pdf_of(lang)
    [page] = reader.pages
    box = page.mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    words = page.extract_text()
    says_everything(words, lang)
    assert "海滨花园" in words and "/join EHB7QK4M9W" in words


def test_the_pdf_embeds_the_cjk_font() -> None:
    """Every font the page uses is the Noto CJK face, carried inside the file: Type 3 glyph programs
    (or a font file), so the poster prints the same on a computer without the font."""
    [page] = pdf_of("zh_Hant").pages
    fonts = page["/Resources"]["/Font"]
    assert len(fonts) >= 1
    for ref in fonts.values():
        font = ref.get_object()
        assert "NotoSansCJK" in str(font["/BaseFont"]), font["/BaseFont"]
        if font["/Subtype"] == "/Type3":
            assert len(font["/CharProcs"]) > 10  # the glyphs' outlines themselves
        else:
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert isinstance(descriptor, DictionaryObject)
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), "font not embedded"
        assert "/ToUnicode" in font  # the words can be searched and copied


def embedded_picture(page: PageObject) -> Image.Image:
    """The page's one picture as embedded. matplotlib writes a two-colour picture as 1 bit a pixel with
    a palette and PNG row filters, which pypdf un-filters with the wrong row length, so that case is
    read here: inflate, undo each row's filter, unpack the bits through the palette."""
    [picture] = page["/Resources"]["/XObject"].values()
    picture = picture.get_object()
    width, height = int(picture["/Width"]), int(picture["/Height"])
    space = picture["/ColorSpace"]
    if int(picture["/BitsPerComponent"]) != 1 or space[0] != "/Indexed":
        [image] = page.images
        return image.image.convert("L")
    assert picture["/Filter"] == "/FlateDecode" and picture["/DecodeParms"]["/Predictor"] >= 10
    raw = zlib.decompress(picture._data)
    stride = (width + 7) // 8
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for r in range(height):
        kind, row = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1 : (r + 1) * (stride + 1)])
        for i in range(stride):
            left = row[i - 1] if i else 0
            up, corner = previous[i], previous[i - 1] if i else 0
            if kind == 1:
                row[i] = (row[i] + left) % 256
            elif kind == 2:
                row[i] = (row[i] + up) % 256
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) % 256
            elif kind == 4:
                guess = left + up - corner
                nearest = min(
                    (abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner)
                )
                row[i] = (row[i] + nearest[2]) % 256
        rows.append(row)
        previous = row
    palette = bytes(space[3])
    grey = [palette[3 * i] for i in range(len(palette) // 3)]
    image = Image.new("L", (width, height))
    image.putdata([grey[(rows[y][x // 8] >> (7 - x % 8)) & 1] for y in range(height) for x in range(width)])
    return image


def test_the_pdfs_qr_code_decodes_to_the_deep_link() -> None:
    [page] = pdf_of("en").pages
    modules = embedded_picture(page)  # one pixel per module: the viewer scales it up sharp
    assert modules.size[0] < 80
    big = modules.resize((modules.width * 8, modules.height * 8), Image.Resampling.NEAREST)
    [found] = decoded(ImageOps.expand(big, 16, 255).convert("RGB"))
    assert found.text == "https://t.me/haibin_wuye_bot?start=EHB7QK4M9W"


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


def invite(url: str, target: Path, *extra: str) -> object:
    return CliRunner().invoke(
        app,
        ["invite", "owners", "--estate", "haibin", "--qr", str(target), "--bot-username", "haibin_wuye_bot"]
        + ["--database-url", url, *extra],
    )


@pytest.mark.parametrize(("name", "extra"), [("poster.pdf", ()), ("poster", ("--pdf",))])
def test_a_pdf_poster_by_its_name_or_by_pdf_names_the_company(
    loaded: str, tmp_path: Path, name: str, extra: tuple[str, ...]
) -> None:
    target = tmp_path / name
    result = invite(loaded, target, "--lang", "zh_Hant", *extra)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    [page] = PdfReader(io.BytesIO(data)).pages
    words = compact(page.extract_text())
    assert "厦门海欣物业服务有限公司" in words and "0592-5551234" in words  # from the setup file
    assert "物業公司" in words  # the Traditional words asked for


def test_pdf_with_a_png_name_is_refused_and_nothing_is_written(loaded: str, tmp_path: Path) -> None:
    target = tmp_path / "poster.png"
    result = invite(loaded, target, "--pdf")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "--pdf" in result.stderr and ".pdf" in result.stderr  # type: ignore[attr-defined]
    assert not target.exists()
