"""Message text handling for the stand-in Bot API: parse_mode parsing and entity detection.

Telegram measures entity offsets and lengths in UTF-16 code units; so does this module.
Parse errors raise ``ValueError`` with Telegram's wording after "can't parse entities: ".
"""

from __future__ import annotations

import html
import re
from typing import Any

Entity = dict[str, Any]

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][\w-]*)((?:\s+[\w-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*>")
_ATTR_RE = re.compile(r"([\w-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+)))?")
_CHARREF_RE = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_MD2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD2_MARKERS = (
    ("||", "spoiler"),
    ("__", "underline"),
    ("*", "bold"),
    ("_", "italic"),
    ("~", "strikethrough"),
)
_AUTO_RE = re.compile(
    r"(?P<url>\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]])"
    r"|(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/]))"
    r"|(?P<mention>(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}\b)"
    r"|(?P<hashtag>(?<![\w#])#\w*[^\W\d]\w*)"
)


def u16len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def detect_entities(text: str) -> list[Entity]:
    """Entities Telegram finds by itself: bot commands, URLs, @mentions and hashtags."""
    found = []
    for match in _AUTO_RE.finditer(text):
        kind = match.lastgroup or "url"
        start = u16len(text[: match.start()])
        found.append({"offset": start, "length": u16len(match.group()), "type": kind})
    return found


def parse_text(text: str, parse_mode: str | None, entities: list[Entity] | None) -> tuple[str, list[Entity]]:
    """Apply ``parse_mode`` (or explicit ``entities``), strip like Telegram, add auto-detected entities."""
    mode = (parse_mode or "").lower()
    if entities is not None or not mode:
        plain, found = text, list(entities or [])
    elif mode == "html":
        plain, found = parse_html(text)
    elif mode == "markdownv2":
        plain, found = parse_markdown(text, v2=True)
    elif mode == "markdown":
        plain, found = parse_markdown(text, v2=False)
    else:
        raise ValueError(f"unsupported parse_mode {parse_mode}")
    plain, found = _strip(plain, found)
    covered = [(e["offset"], e["offset"] + e["length"]) for e in found]
    for auto in detect_entities(plain):
        if not any(a <= auto["offset"] < b for a, b in covered):
            found.append(auto)
    found.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, found


def _strip(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = u16len(text[: len(text) - len(text.lstrip())])
    end = u16len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    return stripped, kept


def parse_html(source: str) -> tuple[str, list[Entity]]:
    """Parse Telegram's HTML subset into plain text and entities, raising ValueError like Telegram."""
    out: list[str] = []
    pos16 = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[Entity] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            match = _TAG_RE.match(source, i)
            if match is None:
                raise ValueError(f'Unsupported start tag "" at byte offset {_byte_offset(source, i)}')
            closing, name, raw_attrs = match.group(1), match.group(2).lower(), match.group(3)
            if name not in _HTML_TAGS:
                kind = "end" if closing else "start"
                raise ValueError(f'Unsupported {kind} tag "{name}" at byte offset {_byte_offset(source, i)}')
            if closing:
                if not stack or stack[-1][0] != name:
                    expected = f'"</{stack[-1][0]}>"' if stack else "no end tag"
                    raise ValueError(
                        f"Unmatched end tag at byte offset {_byte_offset(source, i)}, "
                        f'expected {expected}, found "</{name}>"'
                    )
                tag, start, attrs = stack.pop()
                _close_html(tag, start, pos16, attrs, stack, entities)
            else:
                attrs = {
                    m.group(1).lower(): next((g for g in m.groups()[1:] if g is not None), "")
                    for m in _ATTR_RE.finditer(raw_attrs)
                }
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise ValueError(f'Unsupported start tag "span" at byte offset {_byte_offset(source, i)}')
                stack.append((name, pos16, attrs))
            i = match.end()
            continue
        if char == "&" and (ref := _CHARREF_RE.match(source, i)):
            piece = html.unescape(ref.group())
            i = ref.end()
        else:
            piece = char
            i += 1
        out.append(piece)
        pos16 += u16len(piece)
    if stack:
        raise ValueError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), entities


def _close_html(tag: str, start: int, end: int, attrs: dict[str, str], stack: list, entities: list) -> None:
    if end == start:
        return
    kind = _HTML_TAGS[tag]
    entity: Entity = {"offset": start, "length": end - start, "type": kind}
    if tag == "code" and stack and stack[-1][0] == "pre" and stack[-1][1] == start:
        language = attrs.get("class", "").removeprefix("language-")
        if language:
            stack[-1][2]["language"] = language
        return
    if kind == "text_link":
        url = attrs.get("href", "")
        if url.startswith("tg://user?id="):
            entity = {
                **entity,
                "type": "text_mention",
                "user": {"id": int(url.split("=", 1)[1]), "is_bot": False, "first_name": "User"},
            }
        elif url:
            entity["url"] = url
        else:
            return
    elif kind == "pre" and attrs.get("language"):
        entity["language"] = attrs["language"]
    elif kind == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    entities.append(entity)


def parse_markdown(source: str, *, v2: bool) -> tuple[str, list[Entity]]:
    """Parse MarkdownV2 (or legacy Markdown when ``v2`` is false) like Telegram does."""
    out: list[str] = []
    pos16 = 0
    open_: dict[str, tuple[int, int]] = {}
    entities: list[Entity] = []
    link: tuple[int, int] | None = None
    markers = _MD2_MARKERS if v2 else (("*", "bold"), ("_", "italic"))
    names = {
        "bold": "Bold",
        "italic": "Italic",
        "underline": "Underline",
        "strikethrough": "Strikethrough",
        "spoiler": "Spoiler",
        "text_link": "TextUrl",
        "code": "Code",
        "pre": "Pre",
    }
    i = 0

    def emit(piece: str) -> None:
        nonlocal pos16
        out.append(piece)
        pos16 += u16len(piece)

    while i < len(source):
        char = source[i]
        if char == "\\" and v2 and i + 1 < len(source):
            emit(source[i + 1])
            i += 2
            continue
        if char == "`":
            fence = "```" if source.startswith("```", i) else "`"
            body_start = i + len(fence)
            language = ""
            if fence == "```":
                newline = source.find("\n", body_start)
                if newline != -1 and re.fullmatch(r"[\w+-]*", source[body_start:newline]):
                    language, body_start = source[body_start:newline], newline + 1
            end = source.find(fence, body_start)
            if end == -1:
                kind = "Pre" if fence == "```" else "Code"
                raise ValueError(f"Can't find end of {kind} entity at byte offset {_byte_offset(source, i)}")
            body = source[body_start:end]
            if v2:
                body = re.sub(r"\\([`\\])", r"\1", body)
            start = pos16
            emit(body)
            if pos16 > start:
                kind = "pre" if fence == "```" else "code"
                entity = {"offset": start, "length": pos16 - start, "type": kind}
                if language:
                    entity["language"] = language
                entities.append(entity)
            i = end + len(fence)
            continue
        if char == "[" and link is None:
            link = (pos16, i)
            i += 1
            continue
        if char == "]" and link is not None and source.startswith("(", i + 1):
            end = source.find(")", i + 2)
            while v2 and end != -1 and source[end - 1] == "\\":
                end = source.find(")", end + 1)
            if end == -1:
                raise ValueError(f"Can't find end of a URL at byte offset {_byte_offset(source, i)}")
            url = re.sub(r"\\([)\\])", r"\1", source[i + 2 : end]) if v2 else source[i + 2 : end]
            if pos16 > link[0]:
                entities.append(
                    {"offset": link[0], "length": pos16 - link[0], "type": "text_link", "url": url}
                )
            link = None
            i = end + 1
            continue
        marker = next(((m, k) for m, k in markers if source.startswith(m, i)), None)
        if marker is not None:
            mark, kind = marker
            if kind in open_:
                start, _ = open_.pop(kind)
                if pos16 > start:
                    entities.append({"offset": start, "length": pos16 - start, "type": kind})
            else:
                open_[kind] = (pos16, i)
            i += len(mark)
            continue
        if v2 and char in _MD2_RESERVED and not (char == ">" and (i == 0 or source[i - 1] == "\n")):
            raise ValueError(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        if v2 and char == ">":
            i += 1
            continue
        emit(char)
        i += 1
    if open_:
        kind, (_, at) = min(open_.items(), key=lambda item: item[1][1])
        raise ValueError(f"Can't find end of {names[kind]} entity at byte offset {_byte_offset(source, at)}")
    if link is not None:
        raise ValueError(f"Can't find end of TextUrl entity at byte offset {_byte_offset(source, link[1])}")
    return "".join(out), entities
