"""Read a setup YAML file into entries that remember their line numbers.

The file is checked before it is built into anything: at most `MAX_BYTES`, no anchors or aliases (an
alias repeats what it names, so nine lines can stand for a billion values), at most `MAX_DEPTH` levels
of nesting (PyYAML builds nodes recursively). Every problem is one line naming the file and the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from handlers.services.setup_document import SETTINGS_SECTIONS, Entry, SetupError

MAX_BYTES = 1 << 20  # the example file of a district is 6 KB
MAX_DEPTH = 20  # the file needs 5: sections, items, an item's fields, its roles, a role's fields
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when there is one: ten times faster


class SetupFileError(Exception):
    """A problem in the setup file; the message names the file, the line and the field."""


def _plain(node: Node) -> Any:
    """The node as Python data, refusing duplicate keys (PyYAML would silently keep the last)."""
    if isinstance(node, MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _plain(key_node)
            if key in out:
                raise SetupError(key_node.start_mark.line + 1, str(key), "duplicate field in the same item")
            out[key] = _plain(value_node)
        return out
    if isinstance(node, SequenceNode):
        return [_plain(n) for n in node.value]
    assert isinstance(node, ScalarNode)
    return _scalar(node)


def _scalar(node: ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError, yaml.YAMLError) as exc:  # 2027-02-30, an int of 5,000 digits
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        line = node.start_mark.line + 1 if node.start_mark is not None else 1
        raise SetupError(line, node.value[:40], f"not a valid value ({reason})") from None
    finally:
        loader.dispose()


def _check_shape(text: str) -> None:
    """Refuse anchors, aliases and deep nesting from the event stream, before any node is built."""
    depth = 0
    for event in yaml.parse(text, Loader=Loader):
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, AliasEvent):
            raise SetupError(line, f"*{event.anchor}", "aliases are not supported: write the value out")
        if isinstance(event, NodeEvent) and event.anchor is not None:
            raise SetupError(line, f"&{event.anchor}", "anchors are not supported: write the value out")
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise SetupError(line, "nesting", f"deeper than {MAX_DEPTH} levels")
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


def _text(path: Path) -> str:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise SetupFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SetupFileError(f"{path}: a folder, not a file") from None
    except OSError as exc:
        raise SetupFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        raise SetupFileError(f"{path}: over {MAX_BYTES // 2**20} MB; a setup file is a few kilobytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SetupFileError(f"{path}: not UTF-8 text") from None


def read_setup(path: Path) -> dict[str, list[Entry]]:
    text = _text(path)
    try:
        _check_shape(text)
        root = yaml.compose(text, Loader=Loader)
    except SetupError as exc:
        raise SetupFileError(f"{path}:{exc.line}: {exc.where}: {exc.message}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise SetupFileError(f"{path}:{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if root is None:
        return {}
    if not isinstance(root, MappingNode):
        raise SetupFileError(f"{path}:1: the file must be a mapping of sections (offices, companies, ...)")
    doc: dict[str, list[Entry]] = {}
    try:
        for key_node, section_node in root.value:
            section = str(_plain(key_node))
            if section in doc:
                raise SetupError(key_node.start_mark.line + 1, section, "section appears twice")
            if section_node.tag == "tag:yaml.org,2002:null":
                doc[section] = []
                continue
            if section in SETTINGS_SECTIONS:  # one mapping of settings: held as a single item
                if not isinstance(section_node, MappingNode):
                    raise SetupError(
                        section_node.start_mark.line + 1, section, "must be a mapping like `min_sample: 5`"
                    )
                lines = {str(_plain(k)): k.start_mark.line + 1 for k, _ in section_node.value}
                doc[section] = [Entry(_plain(section_node), section_node.start_mark.line + 1, lines)]
                continue
            if not isinstance(section_node, SequenceNode):
                raise SetupError(section_node.start_mark.line + 1, section, "must be a list of items")
            entries = []
            for item in section_node.value:
                if not isinstance(item, MappingNode):
                    raise SetupError(item.start_mark.line + 1, section, "each item must be a mapping")
                lines = {str(_plain(k)): k.start_mark.line + 1 for k, _ in item.value}
                entries.append(Entry(_plain(item), item.start_mark.line + 1, lines))
            doc[section] = entries
    except SetupError as exc:
        raise SetupFileError(f"{path}:{exc.line}: {exc.where}: {exc.message}") from None
    return doc
