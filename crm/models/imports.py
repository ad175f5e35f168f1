"""Order lists that dealers hand over as spreadsheets (crm.services.imports): each upload,
and each of its rows as read, checked and matched before anything joins the archive."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.base import TimestampMixin, code_column
from crm.models.choices import ImportStatus
from crm.models.parties import Dealer
from crm.models.users import User


class OrderImport(TimestampMixin, db.Model):
    __tablename__ = "order_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = code_column(ImportStatus.PREVIEWED.value)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    new_rows: Mapped[int] = mapped_column(Integer, default=0)
    existing_rows: Mapped[int] = mapped_column(Integer, default=0)
    already_imported_rows: Mapped[int] = mapped_column(Integer, default=0)
    error_rows: Mapped[int] = mapped_column(Integer, default=0)
    skip_errors: Mapped[bool] = mapped_column(Boolean, default=False)
    orders_created: Mapped[int] = mapped_column(Integer, default=0)
    customers_created: Mapped[int] = mapped_column(Integer, default=0)
    committed_at: Mapped[datetime | None] = mapped_column(DateTime)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)

    dealer: Mapped[Dealer] = relationship()
    created_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"#{self.id} {self.filename}"


class ImportRow(db.Model):
    """One spreadsheet row: its values as read (normalised when valid), its outcome and,
    for an error, the reason per column."""

    __tablename__ = "import_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("order_import.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = code_column()
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    errors: Mapped[dict] = mapped_column(JSON, default=dict)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    # Set at commit: the existing customer this row turned from potential into actual.
    upgraded_customer: Mapped[bool] = mapped_column(Boolean, default=False)
