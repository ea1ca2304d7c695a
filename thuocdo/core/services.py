"""Writes shared by every app: the audit trail."""

from __future__ import annotations

from typing import Any

from .models import AuditEntry


def audit_record(
    *,
    actor: Any = None,
    action: str,
    object_type: str,
    object_code: str = "",
    changes: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry to the audit trail. `actor` is a User or None (system, import)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        action=action,
        object_type=object_type,
        object_code=str(object_code)[:255],
        changes=changes or {},
        reason=reason,
    )
