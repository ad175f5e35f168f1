"""What customers send in themselves: feedback cards (信息反馈卡) and hotline tickets (热线工单)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.base import TimestampMixin, code_column
from crm.models.catalog import Product
from crm.models.choices import CardStatus, TicketChannel, TicketStatus
from crm.models.parties import Customer, Dealer
from crm.models.users import User


class FeedbackCard(TimestampMixin, db.Model):
    __tablename__ = "feedback_card"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True)
    batch: Mapped[str | None] = mapped_column(String(40), index=True)
    purchase_date: Mapped[date | None] = mapped_column(Date)
    rating_quality: Mapped[int | None] = mapped_column(Integer)
    rating_design: Mapped[int | None] = mapped_column(Integer)
    rating_delivery: Mapped[int | None] = mapped_column(Integer)
    rating_installation: Mapped[int | None] = mapped_column(Integer)
    rating_service: Mapped[int | None] = mapped_column(Integer)
    recommend_score: Mapped[int | None] = mapped_column(Integer, index=True)
    comments: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(String(60), index=True)
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    consent_to_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = code_column(CardStatus.NEW.value)
    submitted_at: Mapped[datetime] = mapped_column(DateTime, index=True)

    customer: Mapped[Customer | None] = relationship()
    dealer: Mapped[Dealer | None] = relationship()
    product: Mapped[Product | None] = relationship()

    def __str__(self) -> str:
        return self.reference or ""


class HotlineTicket(TimestampMixin, db.Model):
    __tablename__ = "hotline_ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = code_column(TicketChannel.PHONE.value)
    topic: Mapped[str] = code_column()
    description: Mapped[str] = mapped_column(Text)
    contact_name: Mapped[str] = mapped_column(String(60), index=True)
    mobile: Mapped[str] = mapped_column(String(20), index=True)
    city: Mapped[str | None] = mapped_column(String(40), index=True)
    address: Mapped[str | None] = mapped_column(String(255))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True)
    purchase_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = code_column(TicketStatus.RECEIVED.value)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)

    customer: Mapped[Customer | None] = relationship()
    dealer: Mapped[Dealer | None] = relationship()
    product: Mapped[Product | None] = relationship()
    assigned_to: Mapped[User | None] = relationship()
    notes: Mapped[list["CaseNote"]] = relationship(  # noqa: F821
        order_by="CaseNote.created_at", cascade="all, delete-orphan", passive_deletes=True)

    def __str__(self) -> str:
        return self.number or ""
