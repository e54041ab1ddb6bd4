"""The person's values, and replacing them wherever officebridge wrote them down.

A value counts when it is text of at least `MIN_LENGTH` characters that is
not a record id (ids are what the erasure log keeps) and not one of the
mappings' own constants or defaults ("contact", "[not provided]"), which
every record shares. It is found in any letter case and in the forms text
takes on its way into a store or a file: as is, JSON-escaped, URL-encoded
and HTML-escaped. JSON is scrubbed value by value after parsing, so no
escaping can hide a match there.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

from officebridge.mapping.spec import Mapping

MIN_LENGTH = 3
ERASED = "[erased]"


@dataclass
class PersonalValues:
    ids: set[str] = field(default_factory=set)
    texts: set[str] = field(default_factory=set)
    shared: set[str] = field(default_factory=set)  # constants and defaults of the mappings: never personal
    _pattern: re.Pattern[str] | None = None

    def ignore_mapping_constants(self, m: Mapping) -> None:
        for rule in m.fields:
            for value in (rule.constant, rule.default):
                if isinstance(value, str):
                    self.shared.add(value.casefold())
        if m.erasure is not None:
            for side in (m.erasure.source, m.erasure.target):
                self.shared |= {v.casefold() for _, v in side.values if isinstance(v, str)}

    def add(self, value: Any) -> None:
        if isinstance(value, list | tuple):
            for item in value:
                self.add(item)
            return
        if not isinstance(value, str):
            return
        text = value.strip()
        if len(text) >= MIN_LENGTH and text not in self.ids and text.casefold() not in self.shared:
            self.texts.add(text)
            self._pattern = None

    def __len__(self) -> int:
        return len(self.texts)

    def forms(self) -> set[str]:
        """Every spelling of every value that may have been written down."""
        found: set[str] = set()
        for text in self.texts:
            found |= {text, html.escape(text, quote=True), quote(text, safe=""), quote_plus(text)}
            found |= {json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
        return {f for f in found if f}

    def pattern(self) -> re.Pattern[str] | None:
        if self._pattern is None and self.texts:
            alternatives = sorted(self.forms(), key=len, reverse=True)  # the longest spelling first
            self._pattern = re.compile("|".join(map(re.escape, alternatives)), re.IGNORECASE)
        return self._pattern

    def scrub_text(self, text: str) -> tuple[str, int]:
        """The text with every value replaced by [erased], and how many were replaced."""
        pattern = self.pattern()
        if pattern is None:
            return text, 0
        return pattern.subn(ERASED, text)

    def scrub_json(self, value: Any) -> tuple[Any, int]:
        """A JSON-like value with the values replaced in every string (keys too), and the count."""
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, dict):
            total, out = 0, {}
            for k, v in value.items():
                key, a = self.scrub_text(str(k))
                out[key], b = self.scrub_json(v)
                total += a + b
            return out, total
        if isinstance(value, list | tuple):
            total, items = 0, []
            for v in value:
                item, n = self.scrub_json(v)
                items.append(item)
                total += n
            return items, total
        return value, 0
