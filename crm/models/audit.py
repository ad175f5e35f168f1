"""The audit trail: who changed which record, when, from where, and each field before and after."""
from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.clock import now
from crm.extensions import db


class AuditEntry(db.Model):
    """Written by crm.services.audit in the same transaction as the change; never edited."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=now, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: outlives the user
    actor: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str | None] = mapped_column(String(45))
    action: Mapped[str] = mapped_column(String(10), index=True)
    record_type: Mapped[str] = mapped_column(String(40), index=True)
    record_id: Mapped[int | None] = mapped_column(Integer, index=True)
    record_label: Mapped[str | None] = mapped_column(String(120))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    def shown_changes(self) -> dict:
        """The changes a person reads: without the version number every save raises."""
        return {field: values for field, values in (self.changes or {}).items() if field != "version"}

    def __str__(self) -> str:
        return f"{self.action} {self.record_type} #{self.record_id}"
