"""The one error type of the sandbox, carrying Salesforce's real error code and wording.

A request-level failure becomes an HTTP status with the body
`[{"message", "errorCode", "fields"?}]`; a per-record failure inside a composite
call becomes `{"statusCode", "message", "fields"}`. Both come from this class so
the two shapes can never drift apart.
"""

from __future__ import annotations

from typing import Any


class SfError(Exception):
    def __init__(self, code: str, message: str, fields: list[str] | None = None, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fields = fields
        self.status = status

    def rest_body(self) -> list[dict[str, Any]]:
        item: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:
            item["fields"] = self.fields
        return [item]

    def record_body(self) -> dict[str, Any]:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields or []}


def not_found() -> SfError:
    return SfError("NOT_FOUND", "The requested resource does not exist", status=404)


def entity_deleted() -> SfError:
    return SfError("ENTITY_IS_DELETED", "entity is deleted", status=404)
