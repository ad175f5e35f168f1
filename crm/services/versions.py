"""Edit conflicts: a form saved from an older version of a record than the stored one.

Every record clerks and dealers edit carries a version (crm.models.base.VersionedMixin)
that each save raises. An edit form shows the version it was filled from; when the
stored version has moved on, someone saved in between, and saving the form as it is
would silently undo their work. The save is refused instead, and the audit trail says
what they changed, so the person can check their input and save again."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import inspect, select

from crm.extensions import db
from crm.models import AuditEntry
from crm.models.choices import AuditAction

# What the trail of one record is searched through for the saves after a version.
RECENT_SAVES = 200


@dataclass(frozen=True)
class OtherSave:
    """One field as someone else saved it after the form's version."""

    field: str  # the column's key, as in the audit trail
    shown: object  # its value in the version the form showed (as the trail writes values)
    saved: object  # its value now
    actor: str
    at: datetime


def is_versioned(model) -> bool:
    return inspect(model).version_id_col is not None


def shown_version(raw) -> int | None:
    """The version a submitted form says it showed; None when it is missing or not a number."""
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def is_stale(record, shown: int | None) -> bool:
    """Whether a form that showed version `shown` is older than the stored record. A form
    without a readable version is treated as stale: it cannot prove what it was filled from."""
    return shown is None or shown != record.version


def saves_since(record, shown: int | None) -> list[OtherSave]:
    """The fields others saved after version `shown`, one per field: the value the form
    showed and the latest saved value, with who saved it last and when."""
    table = record.__table__.name
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.record_type == table, AuditEntry.record_id == record.id,
                                 AuditEntry.action == AuditAction.UPDATE.value)
        .order_by(AuditEntry.id.desc()).limit(RECENT_SAVES)
    ).all()
    fields: dict[str, OtherSave] = {}
    for entry in reversed(entries):  # oldest first: the first save after `shown` has the shown value
        version = (entry.changes or {}).get("version")
        if not version or shown is None or version[1] is None or version[1] <= shown:
            continue
        for field, (before, after) in entry.shown_changes().items():
            first = fields.get(field)
            fields[field] = OtherSave(field, first.shown if first else before, after, entry.actor, entry.at)
    return [save for save in fields.values() if save.shown != save.saved]
