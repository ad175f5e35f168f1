"""After-sales work: service visits (客户服务记录) and complaints (投诉)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.base import CaseMixin, TimestampMixin, VersionedMixin, code_column
from crm.models.catalog import Product
from crm.models.choices import ComplaintChannel, ComplaintStatus, Severity
from crm.models.parties import Customer, Dealer
from crm.models.sales import Order
from crm.models.users import User


class Visit(VersionedMixin, TimestampMixin, db.Model):
    __tablename__ = "visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = code_column()
    purpose: Mapped[str] = code_column()
    happened_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    place: Mapped[str | None] = mapped_column(String(255))
    summary: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column(Integer, index=True)
    next_follow_up_on: Mapped[date | None] = mapped_column(Date, index=True)

    customer: Mapped[Customer] = relationship(back_populates="visits")
    dealer: Mapped[Dealer | None] = relationship()
    staff: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.happened_at:%Y-%m-%d} {self.customer.name if self.customer else ''}".strip()


class Complaint(CaseMixin, VersionedMixin, TimestampMixin, db.Model):
    __tablename__ = "complaint"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True)
    channel: Mapped[str] = code_column(ComplaintChannel.HOTLINE.value)
    category: Mapped[str] = code_column()
    severity: Mapped[str] = code_column(Severity.NORMAL.value)
    status: Mapped[str] = code_column(ComplaintStatus.NEW.value)
    description: Mapped[str] = mapped_column(Text)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    root_cause: Mapped[str | None] = mapped_column(Text)

    customer: Mapped[Customer] = relationship(back_populates="complaints")
    dealer: Mapped[Dealer | None] = relationship()
    order: Mapped[Order | None] = relationship()
    product: Mapped[Product | None] = relationship()
    assigned_to: Mapped[User | None] = relationship()
    notes: Mapped[list["CaseNote"]] = relationship(order_by="CaseNote.created_at", cascade="all, delete-orphan",
                                                   passive_deletes=True)
    ticket: Mapped["HotlineTicket | None"] = relationship(back_populates="complaint", uselist=False)  # noqa: F821

    def __str__(self) -> str:
        return self.number or ""


class CaseNote(TimestampMixin, db.Model):
    """A response to the customer or an internal progress note on a complaint or ticket."""

    __tablename__ = "case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("hotline_ticket.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = code_column()
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)

    author: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return self.body[:40]
