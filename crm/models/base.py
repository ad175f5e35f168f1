"""Shared column helpers for the models."""
from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from crm.clock import now
from crm.models.choices import OPEN_COMPLAINT_STATUSES

CODE_LENGTH = 32


def code_column(default: str | None = None, *, nullable: bool = False, index: bool = True) -> Mapped[str]:
    """A column holding an enumeration code (see crm.models.choices)."""
    return mapped_column(String(CODE_LENGTH), default=default, nullable=nullable, index=index)


class VersionedMixin:
    """A number every save raises by one. SQLAlchemy saves with `WHERE version = <the
    version read>`, and the edit forms carry the version they showed: a save made from an
    older version is refused instead of silently undoing what someone saved in between
    (crm.services.versions.saves_since says what that was)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default=text("1"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now, nullable=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now, nullable=False)


AWAITING_RESPONSE = "first_response_at IS NULL AND escalated_at IS NULL"
# Written out, not bound: SQLite uses a partial index only for a query that repeats its
# condition word for word (crm.services.lifecycle.is_open renders the same list inline).
IS_OPEN = "status IN (" + ", ".join(f"'{code}'" for code in OPEN_COMPLAINT_STATUSES) + ")"


class CaseMixin:
    """What complaints and hotline tickets share: service-level deadlines and the
    lifecycle's stamps (crm.services.lifecycle)."""

    @declared_attr.directive
    def __table_args__(cls):
        # Every list and the dashboard ask whether a case awaits escalation: the few cases
        # still awaiting a first response, not every case ever received, answer that.
        # The work queues read the open cases newest first, with their deadlines, from the
        # second index alone: a few thousand open cases, not every case ever received.
        return (Index(f"ix_{cls.__tablename__}_awaiting_response", "first_response_due_at",
                      sqlite_where=text(AWAITING_RESPONSE), postgresql_where=text(AWAITING_RESPONSE)),
                Index(f"ix_{cls.__tablename__}_open_received", "received_at", "first_response_at",
                      "first_response_due_at", "resolution_due_at",
                      # The id too, so that PostgreSQL answers a queue from the index alone
                      # (SQLite's indexes hold the rowid, which is the id).
                      postgresql_include=["id"],
                      sqlite_where=text(IS_OPEN), postgresql_where=text(IS_OPEN)))

    first_response_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    # Service levels (crm.services.sla), set when the case is received.
    first_response_due_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    resolution_due_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    # Set when the dealer's first-response window passed unanswered and the maker's desk took over.
    # Not indexed on its own: "not escalated" is most cases, and an index of it tempted
    # SQLite's planner away from the awaiting-response index below.
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    close_reason: Mapped[str | None] = mapped_column(Text)
