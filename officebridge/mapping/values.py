"""The signal a transform or value rule raises when one value is unusable.

It is internal: the compiled mapping catches it and raises a `RecordError`
naming the target field, masking the value when the field is sensitive. Keeping
the value apart from the message is what makes that masking possible.
"""

from __future__ import annotations

from typing import Any


class ValueProblem(ValueError):
    def __init__(self, code: str, reason: str, value: Any) -> None:
        self.code = code
        self.reason = reason
        self.value = value
        super().__init__(reason)


def shown(value: Any, masked: bool) -> str:
    """How a value appears in a message: masked, or a short repr."""
    if masked:
        return "'***'"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
