"""Parse a YAML mapping file and remember where every key and value sits.

Error messages must point at file:line:column, so we compose the YAML node
graph (which carries marks) and build the Python data ourselves while recording
the position of each key and value under its document path. The loader is
PyYAML's safe loader with YAML 1.2 booleans: only true/false are booleans, so
`on:`, `yes` and `no` stay strings (YAML 1.1 would silently turn a value map key
`No` or a future `on:` key into a boolean).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """Safe loader whose implicit booleans are only true/false (YAML 1.2 core)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True, slots=True)
class Pos:
    """1-based line and column of a node, plus what a column offset needs."""

    line: int
    column: int
    quoted: bool = False
    single_line: bool = True


@dataclass(slots=True)
class Document:
    """The parsed data and, for each path, where its key and value start."""

    data: Any
    keys: dict[Path, Pos] = field(default_factory=dict)
    values: dict[Path, Pos] = field(default_factory=dict)
    duplicates: list[tuple[Path, Pos]] = field(default_factory=list)

    def where(self, path: Path, *, key: bool = False) -> Pos | None:
        """Position of the value (or key) at `path`, else of its nearest ancestor."""
        table = self.keys if key else self.values
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            if p in self.values:
                return self.values[p]
            p = p[:-1]
        return self.values.get((), None)


class YamlSyntaxError(Exception):
    """The text is not valid YAML; carries the 1-based position of the fault."""

    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        self.line = line
        self.column = column
        super().__init__(message)


def _pos(node: yaml.Node) -> Pos:
    mark = node.start_mark
    style = getattr(node, "style", None)
    single = node.start_mark.line == node.end_mark.line
    return Pos(mark.line + 1, mark.column + 1, quoted=style in ("'", '"'), single_line=single)


def parse(text: str) -> Document:
    """Parse one YAML document; raise YamlSyntaxError with a position."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(data=None)
        doc = Document(data=None)
        doc.data = _build(loader, node, (), doc)
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        what = exc.problem or str(exc)
        if exc.context:
            what = f"{exc.context}, {what}"
        raise YamlSyntaxError(f"YAML syntax error: {what}", line, col) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML syntax error: {exc}", None, None) from None
    finally:
        loader.dispose()


def _build(loader: _Loader, node: yaml.Node, path: Path, doc: Document) -> Any:
    doc.values[path] = _pos(node)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain value", key_node.start_mark
                )
            sub = (*path, str(key))
            if key in out:
                doc.duplicates.append((sub, _pos(key_node)))
            doc.keys[sub] = _pos(key_node)
            out[key] = _build(loader, value_node, sub, doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), doc) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def format_path(path: Path) -> str:
    """("fields", "email", "transforms", 0) -> "fields.email.transforms[0]"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out
