"""Parse a YAML mapping file and remember where every key and value sits.

Error messages must point at file:line:column, so we compose the YAML node
graph (which carries marks) and build the Python data ourselves while recording
the position of each key and value under its document path. The loader is
PyYAML's safe loader with YAML 1.2 booleans: only true/false are booleans, so
`on:`, `yes` and `no` stay strings (YAML 1.1 would silently turn a value map key
`No` or a future `on:` key into a boolean).

The text is parsed by libyaml (PyYAML's C parser, when installed: an eighth of
the pure-Python parser's time, which was half of a DAG file's first parse); its
nodes carry the same line and column marks. A file it refuses is parsed again
by the pure-Python parser, whose messages the hints below know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]
MAX_ALIASES = 100  # a mapping file needs a few anchors at most; a "billion laughs" file needs many
MAX_DEPTH = 40  # mapping files nest five or six levels deep
MAX_NODES = 100_000  # values after alias expansion


class _Loader(yaml.SafeLoader):
    """Safe loader whose implicit booleans are only true/false (YAML 1.2 core)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

_CLoader: type[Any] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml.CSafeLoader):
        """The same loader on libyaml: the resolvers (YAML 1.2 booleans) are the Python ones above."""

        yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers

    _CLoader = _FastLoader


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
    nodes: int = 0  # values built so far (aliases expanded), bounded by MAX_NODES

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


# Parser jargon -> what to do about it; the parser's own words follow in parentheses.
HINTS: tuple[tuple[str, str], ...] = (
    ("found character '\\t'", "a tab: YAML indents with spaces only; replace the tab by spaces"),
    ("mapping values are not allowed here",
     "a ':' YAML did not expect: check the indentation of this line, or quote the value "
     "if it contains ': ' (e.g. \"a: b\")"),
    ("could not find expected ':'", "check the indentation, or add the ':' after the key"),
    ("expected <block end>", "check the indentation: this line is not lined up with the keys above it"),
    ("did not find expected key", "check the indentation: this line is not lined up with the keys above it"),
    ("did not find expected '-' indicator", "check the indentation of this list item"),
    ("found unexpected end of stream", "a quote or bracket is opened and never closed"),
    ("expected ',' or ']'", "a [list] is not closed, or a value in it needs quotes"),
    ("expected ',' or '}'", "a {map} is not closed, or a value in it needs quotes"),
    ("that cannot start any token", "quote this value: YAML cannot start a plain value with this character"),
    ("found undefined alias", "quote this value: YAML reads a leading '*' as a reference to an anchor"),
    ("expected alphabetic or numeric character", "quote this value: a leading '*' or '&' is YAML syntax"),
    ("found unknown escape character", "use single quotes, or double the backslash"),
)  # fmt: skip


def plain_words(problem: str, context: str | None) -> str:
    text = f"{context}, {problem}" if context else problem
    for needle, hint in HINTS:
        if needle in text:
            return f"YAML syntax error: {hint} (parser: {text})"
    return f"YAML syntax error: {text}"


def _at(event: yaml.Event) -> tuple[int | None, int | None]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


def _check_shape(text: str, loader_class: type[Any]) -> None:
    """Count anchors' uses and nesting from the event stream before building anything."""
    aliases = depth = 0
    for event in yaml.parse(text, Loader=loader_class):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                message = f"more than {MAX_ALIASES} aliases (*name): refused, a mapping needs a few at most"
                raise YamlSyntaxError(message, *_at(event))
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlSyntaxError(f"nested more than {MAX_DEPTH} levels deep: refused", *_at(event))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def parse(text: str) -> Document:
    """Parse one YAML document; raise YamlSyntaxError with a position."""
    if _CLoader is not None:
        try:
            return _parse(text, _CLoader)
        except (YamlSyntaxError, UnicodeError):
            pass  # said in the pure-Python parser's words, which the hints know
    return _parse(text, _Loader)


def _parse(text: str, loader_class: type[Any]) -> Document:
    loader = loader_class(text)
    try:
        _check_shape(text, loader_class)
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
        raise YamlSyntaxError(plain_words(exc.problem or str(exc), exc.context), line, col) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML syntax error: {exc}", None, None) from None
    finally:
        loader.dispose()


def _build(loader: Any, node: yaml.Node, path: Path, doc: Document) -> Any:
    doc.nodes += 1
    if doc.nodes > MAX_NODES:
        at = _pos(node)
        raise YamlSyntaxError(f"more than {MAX_NODES} values after expanding aliases", at.line, at.column)
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
