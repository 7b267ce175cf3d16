"""Read a setup YAML file into entries that remember their line numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from handlers.services.setup_document import Entry, SetupError


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
    finally:
        loader.dispose()


def read_setup(path: Path) -> dict[str, list[Entry]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SetupFileError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise SetupFileError(f"{path}: not UTF-8 text") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
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
