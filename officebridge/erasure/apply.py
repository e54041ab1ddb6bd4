"""Carry out an erasure plan in the systems: delete or update each record, through the connectors' write.

Each operation is checked against the system's declared capabilities first
(`invalid_op`), so an impossible one fails with its reason instead of being
sent. Linked records go first and the records found by the email last: if
anything fails, those are left as they were, and the same `erase --email`
finds the person again and finishes the work.
"""

from __future__ import annotations

from itertools import groupby

from officebridge.connector import OpKind, WriteOp, invalid_op
from officebridge.erasure.plan import ErasurePlan, Step, Systems
from officebridge.errors import OfficeBridgeError

_KIND = {"delete": OpKind.DELETE, "anonymise": OpKind.UPDATE}


def carry_out(plan: ErasurePlan, systems: Systems) -> None:
    """Write every change; each step ends done, failed or unknown (a write whose outcome was lost)."""
    for seed, group in groupby(plan.order(), key=lambda s: s.seed):
        steps = list(group)
        if seed and any(s.status in ("failed", "unknown") for s in plan.steps):
            for step in steps:
                step.status, step.message = "skipped", "left for a rerun: a linked record could not be erased"
            continue
        for where, same in groupby(steps, key=lambda s: s.record.where):
            _write(list(same), systems, where)


def _write(steps: list[Step], systems: Systems, where: tuple[str, str, str]) -> None:
    system, connection, obj = where
    try:
        connector = systems(system, connection)
    except OfficeBridgeError as exc:
        _fail(steps, f"{type(exc).__name__}: {exc}")
        return
    ops: list[tuple[Step, WriteOp]] = []
    for step in steps:
        op = WriteOp(
            _KIND[step.action], ref=step.record.id, values=dict(step.values), target_id=step.record.id
        )
        refused = invalid_op(op, connector.manifest.capabilities, obj)
        if refused is not None:
            step.status, step.message = "failed", f"{refused.error_code}: {refused.message}"
        else:
            ops.append((step, op))
    if not ops:
        return
    try:
        results = connector.write(obj, [op for _, op in ops])
    except OfficeBridgeError as exc:
        _fail([s for s, _ in ops], f"{type(exc).__name__}: {exc}")
        return
    for (step, _op), result in zip(ops, results, strict=True):
        if result.ok:
            step.status = "done"
        else:
            step.status = "unknown" if result.status.value == "unknown" else "failed"
            step.message = f"{result.error_code}: {result.message}"


def _fail(steps: list[Step], message: str) -> None:
    for step in steps:
        step.status, step.message = "failed", message
