"""Erasure: remove or anonymise one person in every linked system, and forget them in officebridge.

`officebridge erase --email X` finds the person's records through each
mapping's `erasure.identify` field (a lookup in the source system), follows
the links the state store keeps between the records of syncs that declare an
erasure policy, deletes or anonymises each record per those policies (targets
first, the records found by the email last, so a failed erasure can simply be
run again), and then removes every copy officebridge itself holds: the links
and dead letters of those records, any text or JSON value of the state store
that contains one of the person's values, the report files under
OFFICEBRIDGE_HOME. What it did is logged by id, system, object and action,
never by value.
"""

from __future__ import annotations

from officebridge.erasure.links import LinkedRecords, SyncLinks
from officebridge.erasure.records import Linked, RecordRef

__all__ = ["Linked", "LinkedRecords", "RecordRef", "SyncLinks"]
