"""The catalogs keep up with the source: every message translated, placeholders intact, .pot current."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from bot.i18n.catalogs import refresh
from bot.i18n.checks import (
    FIX_HINT,
    find_catalog_problems,
    locale_problems,
    source_problems,
    template_problems,
)
from bot.i18n.files import Source, extract_source, po_path, template_path
from handlers.text import LANGUAGES, Lang

ROOT = Path(__file__).resolve().parents[2]


def _report(problems: list[str]) -> str:
    return f"{len(problems)} catalog problem(s):\n  " + "\n  ".join(problems) + "\n\n" + FIX_HINT


@pytest.fixture(scope="module")
def source() -> Source:
    return extract_source(ROOT)


def test_the_source_has_messages_to_translate(source: Source) -> None:
    assert "Choose your language" in source.template
    assert any(name.startswith("handlers/") for name in source.files)
    assert not any(name.startswith(("tests/", "storage/", ".venv/")) for name in source.files)


def test_text_in_the_source_is_marked_so_extraction_sees_it(source: Source) -> None:
    problems = source_problems(ROOT, source)
    assert not problems, _report(problems)


def test_the_template_lists_exactly_the_messages_in_the_source(source: Source) -> None:
    problems = template_problems(ROOT, source)
    assert not problems, _report(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_has_a_reviewed_translation_with_the_same_placeholders(
    source: Source, lang: Lang
) -> None:
    problems = locale_problems(ROOT, lang, source)
    assert not problems, _report(problems)


# --- the checker checks: a tiny repository of its own ------------------------------------------------

GREET = '''"""A stand-in conversation."""

from handlers.text import N_

TITLE = N_("Hello {name}")


def render(tr, n):
    _ = tr.gettext
    title = _(TITLE).format(name="Li")
    # Translators: a count of open tickets
    count = tr.ngettext("{n} ticket", "{n} tickets", n).format(n=n)
    return title + count
'''

TRANSLATIONS: dict[str, dict[str, str | tuple[str, ...]]] = {
    "zh_Hans": {"Hello {name}": "你好，{name}", "{n} ticket": ("{n} 个工单",)},
    "zh_Hant": {"Hello {name}": "你好，{name}", "{n} ticket": ("{n} 張工單",)},
}


def _repo(tmp_path: Path, code: str = GREET) -> Path:
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "greet.py").write_text(code, encoding="utf-8")
    (tmp_path / "locales").mkdir()
    shutil.copy(ROOT / "locales" / "babel.cfg", tmp_path / "locales" / "babel.cfg")
    refresh(tmp_path)
    return tmp_path


def _edit(root: Path, lang: str, strings: dict[str, str | tuple[str, ...]], *, fuzzy: bool = False) -> None:
    path = po_path(root, lang)
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang, domain="wuye")
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple | list) else message.id
        if key in strings:
            message.string = strings[key]
            (message.flags.add if fuzzy else message.flags.discard)("fuzzy")
    with path.open("wb") as f:
        write_po(f, catalog, include_lineno=False)


def _translated_repo(tmp_path: Path) -> Path:
    root = _repo(tmp_path)
    for lang, strings in TRANSLATIONS.items():
        _edit(root, lang, strings)
    return root


def test_a_fresh_refresh_lists_each_untranslated_message_per_language(tmp_path: Path) -> None:
    problems = find_catalog_problems(_repo(tmp_path))
    assert sorted(problems) == [
        'zh_Hans: untranslated: "Hello {name}"',
        'zh_Hans: untranslated: "{n} ticket" / "{n} tickets"',
        'zh_Hant: untranslated: "Hello {name}"',
        'zh_Hant: untranslated: "{n} ticket" / "{n} tickets"',
    ]


def test_refresh_fills_english_and_carries_translator_comments(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    en = po_path(root, "en").read_text(encoding="utf-8")
    assert 'msgid "Hello {name}"\nmsgstr "Hello {name}"' in en
    assert 'msgstr[0] "{n} ticket"\nmsgstr[1] "{n} tickets"' in en
    assert "#. Translators: a count of open tickets" in template_path(root).read_text(encoding="utf-8")
    zh = po_path(root, "zh_Hans").read_text(encoding="utf-8")
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in zh
    assert '"Language: zh_Hans\\n"' in zh
    assert "#: handlers/greet.py\n" in zh


def test_fully_translated_catalogs_pass(tmp_path: Path) -> None:
    assert find_catalog_problems(_translated_repo(tmp_path)) == []


def test_a_string_added_to_the_code_but_not_to_the_catalogs_is_caught(tmp_path: Path) -> None:
    root = _translated_repo(tmp_path)
    (root / "handlers" / "more.py").write_text('def f(_):\n    return _("Brand new")\n', encoding="utf-8")
    problems = find_catalog_problems(root)
    assert 'wuye.pot: out of date, lacks "Brand new" (in the source)' in problems
    for lang in LANGUAGES:
        assert f'{lang}: not in the catalog: "Brand new"' in problems
    refresh(root)
    assert sorted(find_catalog_problems(root)) == [
        'zh_Hans: untranslated: "Brand new"',
        'zh_Hant: untranslated: "Brand new"',
    ]


def test_a_string_removed_from_the_code_is_caught_until_refreshed(tmp_path: Path) -> None:
    root = _translated_repo(tmp_path)
    (root / "handlers" / "greet.py").write_text(GREET.replace("Hello {name}", "Hi"), encoding="utf-8")
    problems = find_catalog_problems(root)
    assert 'wuye.pot: out of date, still has "Hello {name}" (gone from the source)' in problems
    assert 'zh_Hant: stale entry, gone from the source: "Hello {name}"' in problems


def test_a_placeholder_mismatch_is_caught_in_singular_and_plural_entries(tmp_path: Path) -> None:
    root = _translated_repo(tmp_path)
    _edit(root, "zh_Hant", {"Hello {name}": "你好，{nmae}", "{n} ticket": ("張工單",)})
    _edit(root, "en", {"{n} ticket": ("one ticket", "{count} tickets")})
    problems = find_catalog_problems(root)
    assert sorted(problems) == [
        'en: placeholders differ, msgstr[0] lacks {n}: "{n} ticket" / "{n} tickets"',
        'en: placeholders differ, msgstr[1] lacks {n}, has unknown {count}: "{n} ticket" / "{n} tickets"',
        'zh_Hant: placeholders differ, msgstr lacks {name}, has unknown {nmae}: "Hello {name}"',
        'zh_Hant: placeholders differ, msgstr[0] lacks {n}: "{n} ticket" / "{n} tickets"',
    ]


def test_a_broken_brace_and_a_missing_plural_form_are_caught(tmp_path: Path) -> None:
    root = _translated_repo(tmp_path)
    _edit(root, "zh_Hans", {"Hello {name}": "你好，{name"})
    path = po_path(root, "en")
    path.write_text(
        path.read_text(encoding="utf-8").replace('msgstr[1] "{n} tickets"\n', ""), encoding="utf-8"
    )
    assert sorted(find_catalog_problems(root)) == [
        'en: untranslated: "{n} ticket" / "{n} tickets"',
        'zh_Hans: msgstr is not a valid format string (stray brace?): "Hello {name}"',
    ]


def test_more_plural_forms_than_the_language_has_is_caught(tmp_path: Path) -> None:
    root = _translated_repo(tmp_path)
    path = po_path(root, "zh_Hans")
    text = path.read_text(encoding="utf-8").replace(
        'msgstr[0] "{n} 个工单"', 'msgstr[0] "{n} 个工单"\nmsgstr[1] "{n} 个"'
    )
    path.write_text(text, encoding="utf-8")
    problems = find_catalog_problems(root)
    assert len(problems) == 1
    assert problems[0].startswith(
        "zh_Hans: wuye.po cannot be parsed: msg has more translations than num_plurals"
    )


def test_a_fuzzy_translation_is_caught(tmp_path: Path) -> None:
    root = _translated_repo(tmp_path)
    _edit(root, "zh_Hans", {"Hello {name}": "你好，{name}"}, fuzzy=True)
    assert find_catalog_problems(root) == ['zh_Hans: fuzzy (needs review): "Hello {name}"']


def test_an_edited_msgid_comes_back_fuzzy_with_the_old_translation_as_a_hint(tmp_path: Path) -> None:
    root = _translated_repo(tmp_path)
    (root / "handlers" / "greet.py").write_text(
        GREET.replace("Hello {name}", "Hello, {name}!"), encoding="utf-8"
    )
    refresh(root)
    zh = po_path(root, "zh_Hans").read_text(encoding="utf-8")
    hint = '#| msgid "Hello {name}"\nmsgid "Hello, {name}!"\nmsgstr "你好，{name}"'
    assert "#, fuzzy, python-brace-format\n" + hint in zh
    assert sorted(find_catalog_problems(root)) == [
        'zh_Hans: fuzzy (needs review): "Hello, {name}!"',
        'zh_Hant: fuzzy (needs review): "Hello, {name}!"',
    ]
    assert 'msgid "Hello, {name}!"\nmsgstr "Hello, {name}!"' in po_path(root, "en").read_text(
        encoding="utf-8"
    )


def test_a_po_file_that_does_not_parse_is_caught(tmp_path: Path) -> None:
    root = _translated_repo(tmp_path)
    path = po_path(root, "zh_Hant")
    path.write_text(
        path.read_text(encoding="utf-8") + '\nmsgid "x"\nmsgstr[7] "y"\nthis is not po\n', encoding="utf-8"
    )
    problems = find_catalog_problems(root)
    assert len(problems) == 1
    assert problems[0].startswith("zh_Hant: wuye.po cannot be parsed")


def test_a_wrong_plural_forms_header_is_caught(tmp_path: Path) -> None:
    root = _translated_repo(tmp_path)
    path = po_path(root, "zh_Hans")
    path.write_text(
        path.read_text(encoding="utf-8").replace("nplurals=1; plural=0;", "nplurals=2; plural=(n != 1);"),
        encoding="utf-8",
    )
    problems = find_catalog_problems(root)
    assert "zh_Hans: Plural-Forms header has nplurals=2, zh_Hans needs nplurals=1; plural=0;" in problems


def test_text_that_extraction_cannot_see_is_caught(tmp_path: Path) -> None:
    code = (
        "def f(_, tr, name, n):\n"
        '    a = _(f"Hello {name}")\n'
        '    b = tr.gettext("Hi {x}".format(x=name))\n'
        '    c = tr.ngettext("one", "many " + name, n)\n'
        '    d = _("Ticket {} of {}")\n'
        "    return _(a)\n"
    )
    problems = source_problems(tmp_path, extract_source(_repo(tmp_path, code)))
    assert [p.split(":")[:2] for p in problems[:3]] == [
        ["handlers/greet.py", "2"],
        ["handlers/greet.py", "3"],
        ["handlers/greet.py", "4"],
    ]
    assert "an f-string" in problems[0]
    assert "an already formatted string" in problems[1]
    assert "built with + or %" in problems[2]
    assert problems[3] == 'source: positional field in "Ticket {} of {}"; name it, like {name}'
    assert len(problems) == 4


def test_refreshing_twice_rewrites_nothing(tmp_path: Path) -> None:
    root = _translated_repo(tmp_path)
    before = {p: p.read_bytes() for p in (root / "locales").rglob("*.po*")}
    assert not any(s.written for s in refresh(root))
    assert {p: p.read_bytes() for p in (root / "locales").rglob("*.po*")} == before


def test_the_documented_pybabel_command_extracts_the_same_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path)
    monkeypatch.chdir(root)
    out = tmp_path / "cli.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", "locales/babel.cfg", "--no-default-keywords",
         "-k", "_", "-k", "gettext", "-k", "ngettext:1,2", "-k", "N_", "-k", "t", "-c", "Translators:",
         "--add-location=file", "--sort-output", "--project=wuye", "-o", str(out), "."]
    )  # fmt: skip
    with out.open("rb") as cli, template_path(root).open("rb") as ours:
        cli_catalog, our_catalog = read_po(cli), read_po(ours)
    assert [(m.id, m.locations, m.auto_comments) for m in cli_catalog] == [
        (m.id, m.locations, m.auto_comments) for m in our_catalog
    ]


def test_refresh_refuses_to_overwrite_a_po_file_it_cannot_read(tmp_path: Path) -> None:
    root = _translated_repo(tmp_path)
    path = po_path(root, "zh_Hant")
    broken = path.read_text(encoding="utf-8") + "\nthis is not po\n"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ValueError, match="zh_Hant/LC_MESSAGES/wuye.po cannot be parsed"):
        refresh(root)
    assert path.read_text(encoding="utf-8") == broken


def test_turn_t_is_extracted_like_gettext(tmp_path: Path) -> None:
    code = 'def step(turn):\n    turn.say(turn.t("Sent to the owner of {number}.", number=1))\n'
    assert "Sent to the owner of {number}." in extract_source(_repo(tmp_path, code)).template


def test_a_string_inside_a_marked_expression_is_caught_as_a_stray_message(tmp_path: Path) -> None:
    code = (
        "LABELS = {}\n"
        "def f(tr, turn, key, x):\n"
        '    a = tr.gettext(LABELS["income"])\n'
        '    b = turn.t("A" if x else "B")\n'
        "    c = tr.gettext(LABELS[key])\n"
        '    d = turn.t("A") if x else turn.t("B")\n'
        '    e = turn.t(LABELS.get(key, "") or key)\n'
        "    return a, b, c, d, e\n"
    )
    problems = source_problems(tmp_path, extract_source(_repo(tmp_path, code)))
    assert [p.split(":")[:2] for p in problems] == [["handlers/greet.py", "3"], ["handlers/greet.py", "4"]]
    assert 'holding "income"' in problems[0]
    assert 'holding "A"' in problems[1]


def test_the_old_msgid_hint_stays_while_fuzzy_and_goes_once_reviewed(tmp_path: Path) -> None:
    root = _translated_repo(tmp_path)
    greet = GREET.replace("Hello {name}", "Hello, {name}!")
    (root / "handlers" / "greet.py").write_text(greet, encoding="utf-8")
    refresh(root)
    refresh(root)  # a second refresh must neither lose the hint nor turn it into a comment
    zh = po_path(root, "zh_Hans").read_text(encoding="utf-8")
    assert zh.count('#| msgid "Hello {name}"\n') == 1
    assert "# |" not in zh
    _edit(root, "zh_Hans", {"Hello, {name}!": "你好，{name}！"})  # reviewed: no longer fuzzy
    refresh(root)
    zh = po_path(root, "zh_Hans").read_text(encoding="utf-8")
    assert "Hello {name}" not in zh
    assert 'zh_Hans: fuzzy (needs review): "Hello, {name}!"' not in find_catalog_problems(root)


# ---- Traditional Chinese reads as written Traditional, not converted Simplified ----------------------
# Mainland words (left) that a Traditional reader says otherwise (right): a file is 檔案, a template 範本,
# settings 設定, a spreadsheet's row 列 and column 欄 (the mainland's 行 and 列 would read crossed), a
# spreadsheet 試算表; quotes are 「」.
MAINLAND_ONLY = {
    "設置": "設定",
    "信息": "資訊 / 訊息",
    "模板": "範本",
    "文件": "檔案",
    "文檔": "檔案",
    "點擊": "點選 / 按",
    "二維碼": "QR 碼",
    "掃碼": "掃描",
    "數據": "資料",
    "默認": "預設",
    "視頻": "影片",
    "軟件": "軟體",
    "網絡": "網路",
    "短信": "簡訊",
    "鏈接": "連結",
    "登錄": "登入",
    "屏幕": "螢幕",
    "打印": "列印",
    "程序": "程式",
    "合同": "合約",
    "保潔": "清潔",
    "安保": "保全",
    "單元格": "儲存格",
    "電子表格": "試算表",
    "示例": "範例",
    "配置": "設定",
    "生成": "產生 / 建立",
    "“": "「",
    "”": "」",
    "‘": "『",
    "’": "』",
}
# One term per idea: the Traditional catalog writes the first word, never the others (each is good
# Traditional somewhere, so only mixing them is wrong; the mainland-only ones are also listed above).
ONE_TERM: dict[str, tuple[str, ...]] = {
    "template": ("範本", "模板"),
    "file": ("檔案", "文件", "文檔"),
    "settings": ("設定", "設置"),
    "message": ("訊息", "信息", "消息"),
    "user": ("使用者", "用戶", "用户"),
    "account": ("帳號", "賬號", "賬戶"),
    "account book": ("帳", "賬"),
    "network": ("網路", "網絡"),
    "database": ("資料庫", "數據庫"),
    "default": ("預設", "默認"),
    "link": ("連結", "鏈接"),
    "program": ("程式", "程序"),
    "interface": ("介面", "界面"),
    "send": ("傳送", "發送"),
    "open": ("開啟", "打開"),
    "identity": ("身分", "身份"),
    "now": ("目前", "當前"),
    "follow up": ("追蹤", "跟蹤", "跟進"),
    "command": ("指令", "命令"),
    "recognise": ("辨識", "識別"),
    "reporter": ("報事人", "反映人"),
}


def _texts(po: Path) -> list[str]:
    with po.open("rb") as f:
        catalog = read_po(f)
    return [
        text
        for message in catalog
        if message.id
        for text in ([message.string] if isinstance(message.string, str) else list(message.string))
    ]


def mainland_terms(po: Path) -> list[str]:
    found = []
    for text in _texts(po):
        for word, instead in MAINLAND_ONLY.items():
            if word in text:
                found.append(f"{word} (write {instead}) in {text[:50]!r}")
    return found


def mixed_terms(po: Path) -> list[str]:
    """Each other word for an idea the catalog has chosen a term for, and whether it mixes the two."""
    texts = _texts(po)
    found = []
    for idea, (chosen, *others) in ONE_TERM.items():
        uses_chosen = any(chosen in t for t in texts)
        for other in others:
            for text in texts:
                if other in text:
                    mixed = f", mixed with {chosen} elsewhere" if uses_chosen else ""
                    found.append(f"{other} (one term for {idea}: {chosen}{mixed}) in {text[:50]!r}")
    return found


def test_the_traditional_catalog_uses_no_mainland_terms() -> None:
    assert mainland_terms(po_path(ROOT, "zh_Hant")) == []


def test_the_traditional_catalog_uses_one_term_per_idea() -> None:
    assert mixed_terms(po_path(ROOT, "zh_Hant")) == []


# The time within which a case must be done is one word on the card, in the notices and the timeline.
DEADLINE_TERM = {"zh_Hans": ("办理时限", "办理期限"), "zh_Hant": ("辦理時限", "辦理期限")}


def test_the_deadline_is_one_word_in_both_chinese_catalogs() -> None:
    for lang, (chosen, other) in DEADLINE_TERM.items():
        texts = _texts(po_path(ROOT, lang))
        assert any(chosen in t for t in texts), lang
        assert [t for t in texts if other in t] == [], f"{lang}: write {chosen}"


def _po(tmp_path: Path, *translations: str) -> Path:
    po = tmp_path / "wuye.po"
    entries = "".join(f'msgid "m{i}"\nmsgstr "{text}"\n\n' for i, text in enumerate(translations))
    po.write_text('msgid ""\nmsgstr ""\n\n' + entries, "utf-8")
    return po


def test_the_mainland_term_check_sees_one(tmp_path: Path) -> None:
    po = _po(tmp_path, "此處無法生成文件。")
    assert mainland_terms(po) == [
        "文件 (write 檔案) in '此處無法生成文件。'",
        "生成 (write 產生 / 建立) in '此處無法生成文件。'",
    ]


def test_the_one_term_check_sees_two_words_for_one_idea(tmp_path: Path) -> None:
    po = _po(tmp_path, "請傳送照片。", "請發送照片。", "已開啟。")
    assert mixed_terms(po) == ["發送 (one term for send: 傳送, mixed with 傳送 elsewhere) in '請發送照片。'"]
    assert mixed_terms(_po(tmp_path, "打開工單")) == ["打開 (one term for open: 開啟) in '打開工單'"]


def test_the_real_traditional_catalog_fails_both_checks_with_a_planted_entry(tmp_path: Path) -> None:
    po = tmp_path / "wuye.po"
    planted = 'msgid "Planted"\nmsgstr "請用模板發送訊息"\n'
    po.write_text(po_path(ROOT, "zh_Hant").read_text("utf-8") + "\n" + planted, "utf-8")
    assert mainland_terms(po) == ["模板 (write 範本) in '請用模板發送訊息'"]
    assert mixed_terms(po) == [
        "模板 (one term for template: 範本, mixed with 範本 elsewhere) in '請用模板發送訊息'",
        "發送 (one term for send: 傳送, mixed with 傳送 elsewhere) in '請用模板發送訊息'",
    ]


# ---- Chinese punctuation: full width in Chinese text -------------------------------------------------
# A half-width : , ; ? ! ( or ) touching a Chinese character (spaces between do not count) is a slip:
# Chinese writes ：，；？！（）. Placeholders and ASCII between themselves (09:00, 1,234.56, {a}: {b}) are
# left alone, since only what touches a Chinese character or Chinese punctuation is looked at.
_CJK = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60]"
HALF_WIDTH_BY_CJK = re.compile(rf"{_CJK} *[:,;?!()]|[:,;?!()] *{_CJK}")
HALF_WIDTH_ALLOWED: set[str] = set()  # msgids whose translation may keep one; none needed so far


def half_width_punctuation(po: Path) -> list[str]:
    with po.open("rb") as f:
        catalog = read_po(f)
    found = []
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple | list) else message.id
        if not key or key in HALF_WIDTH_ALLOWED:
            continue
        texts = [message.string] if isinstance(message.string, str) else list(message.string)
        for text in texts:
            found += [f"{m.group()!r} in {text[:50]!r}" for m in HALF_WIDTH_BY_CJK.finditer(text)]
    return found


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_the_chinese_catalogs_use_full_width_punctuation(lang: str) -> None:
    assert half_width_punctuation(po_path(ROOT, lang)) == []


def test_the_punctuation_check_sees_half_width_marks_and_spares_ascii(tmp_path: Path) -> None:
    po = _po(tmp_path, "期限: {due}", "工单(紧急)", "请于 09:00 前到场，金额 1,234.56", "{name}: {why}")
    assert half_width_punctuation(po) == [
        "'限:' in '期限: {due}'",
        "'单(' in '工单(紧急)'",
        "'急)' in '工单(紧急)'",
    ]


def test_the_real_chinese_catalog_fails_the_punctuation_check_with_a_planted_entry(tmp_path: Path) -> None:
    po = tmp_path / "wuye.po"
    po.write_text(
        po_path(ROOT, "zh_Hans").read_text("utf-8") + '\nmsgid "Planted"\nmsgstr "提醒: 已超期"\n', "utf-8"
    )
    assert half_width_punctuation(po) == ["'醒:' in '提醒: 已超期'"]
