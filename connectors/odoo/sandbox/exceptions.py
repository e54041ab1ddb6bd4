"""The exceptions the emulated Odoo server raises, named as Odoo names them.

Odoo serialises a server-side exception into the JSON-RPC error payload by its
qualified class name (`odoo.exceptions.UserError`, `builtins.ValueError`, ...).
Clients, and our connector, branch on that name, so each class here carries
the exact name the real server would report.
"""

from __future__ import annotations


class OdooServerError(Exception):
    """Base: an exception that travels to the client as an Odoo error payload."""

    odoo_name = "odoo.exceptions.UserError"
    code = 200  # the JSON-RPC error code Odoo <= 18.0 uses for server errors
    rpc_message = "Odoo Server Error"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class UserError(OdooServerError):
    odoo_name = "odoo.exceptions.UserError"


class ValidationError(OdooServerError):
    odoo_name = "odoo.exceptions.ValidationError"


class AccessError(OdooServerError):
    odoo_name = "odoo.exceptions.AccessError"


class AccessDenied(OdooServerError):
    odoo_name = "odoo.exceptions.AccessDenied"

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message)


class MissingError(OdooServerError):
    odoo_name = "odoo.exceptions.MissingError"


class PyValueError(OdooServerError):
    """A plain Python ValueError raised inside the server (bad field, bad leaf)."""

    odoo_name = "builtins.ValueError"


class PyTypeError(OdooServerError):
    """A plain Python TypeError (wrong arguments to an ORM method)."""

    odoo_name = "builtins.TypeError"


class PyAttributeError(OdooServerError):
    """Calling a method the model does not have."""

    odoo_name = "builtins.AttributeError"


class PyKeyError(OdooServerError):
    odoo_name = "builtins.KeyError"


class SessionExpired(OdooServerError):
    """The session cookie no longer names a live session (`odoo.http.SessionExpiredException`)."""

    odoo_name = "odoo.http.SessionExpiredException"
    code = 100
    rpc_message = "Odoo Session Expired"

    def __init__(self, message: str = "Session expired") -> None:
        super().__init__(message)


def by_code(error_code: str, message: str) -> OdooServerError:
    """Build the exception a `record_error` fault asks for, by short or full name."""
    short = error_code.rsplit(".", 1)[-1]
    table: dict[str, type[OdooServerError]] = {
        "UserError": UserError,
        "ValidationError": ValidationError,
        "AccessError": AccessError,
        "MissingError": MissingError,
        "ValueError": PyValueError,
    }
    cls = table.get(short, ValidationError)
    return cls(message)
