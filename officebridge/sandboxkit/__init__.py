"""The sandbox kit: what every local emulation of a system shares, so all speak one fault vocabulary.

`Sandbox` is the contract the engine, the tests and the demo use; `SandboxBase`
gives a sandbox its lifecycle, faults, sessions, stats, admin routes and
`serve` command line, so a sandbox only writes its wire protocol. The kit names
no system. The fault vocabulary is documented in README.md beside this file.
"""

from __future__ import annotations

from officebridge.sandboxkit.base import SandboxBase
from officebridge.sandboxkit.contract import Sandbox
from officebridge.sandboxkit.faults import Fault, FaultBook, Refusal
from officebridge.sandboxkit.sessions import Sessions
from officebridge.sandboxkit.vocabulary import COMMON_KINDS, UNSET, Kind, Times
from officebridge.sandboxkit.wire import Answer, Call, Request

__all__ = [
    "COMMON_KINDS",
    "UNSET",
    "Answer",
    "Call",
    "Fault",
    "FaultBook",
    "Kind",
    "Refusal",
    "Request",
    "Sandbox",
    "SandboxBase",
    "Sessions",
    "Times",
]
