"""The maker's partners and end customers: dealers and customers."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.base import TimestampMixin, VersionedMixin, code_column
from crm.models.choices import CustomerStatus, DealerLevel, Gender
from crm.phones import display_phone


class Dealer(VersionedMixin, TimestampMixin, db.Model):
    __tablename__ = "dealer"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    province: Mapped[str | None] = mapped_column(String(40), index=True)
    city: Mapped[str | None] = mapped_column(String(40), index=True)
    address: Mapped[str | None] = mapped_column(String(255))
    contact_person: Mapped[str | None] = mapped_column(String(60), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    level: Mapped[str] = code_column(DealerLevel.STANDARD.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    joined_on: Mapped[date | None] = mapped_column(Date, index=True)

    # passive_deletes="all": deleting a dealer must never quietly detach its customers;
    # the database refuses instead, and the clerk is told to deactivate the dealer.
    customers: Mapped[list[Customer]] = relationship(back_populates="dealer", passive_deletes="all")

    label_columns = ("code", "name")  # what __str__ reads (lists read only these of a related dealer)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Customer(VersionedMixin, TimestampMixin, db.Model):
    __tablename__ = "customer"
    # The search index (FTS5 / pg_trgm) lives in crm.search_index and the migrations.
    __table_args__ = (Index("ix_customer_dealer_newest", "dealer_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    gender: Mapped[str] = code_column(Gender.UNSPECIFIED.value, index=False)
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    other_phone: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(120), index=True)
    province: Mapped[str | None] = mapped_column(String(40), index=True)
    city: Mapped[str | None] = mapped_column(String(40), index=True)
    district: Mapped[str | None] = mapped_column(String(40), index=True)
    address: Mapped[str | None] = mapped_column(String(255), index=True)
    postal_code: Mapped[str | None] = mapped_column(String(6), index=True)
    housing_type: Mapped[str | None] = code_column(nullable=True)
    floor_area: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    household_stage: Mapped[str | None] = code_column(nullable=True)
    household_size: Mapped[int | None] = mapped_column(Integer)
    employer: Mapped[str | None] = mapped_column(String(120))
    birthday: Mapped[date | None] = mapped_column(Date, index=True)
    channel: Mapped[str | None] = code_column(nullable=True)
    referred_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = code_column(CustomerStatus.POTENTIAL.value)
    # Indexed with the id (ix_customer_dealer_newest): a dealer's customers, newest first.
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"))
    salesperson: Mapped[str | None] = mapped_column(String(60), index=True)
    price_tier: Mapped[str | None] = code_column(nullable=True)
    discount_terms: Mapped[str | None] = mapped_column(String(255))
    payment_terms: Mapped[str | None] = mapped_column(String(255))
    notes: Mapped[str | None] = mapped_column(Text)
    consent_to_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Created by this spreadsheet import (undoing the import removes the customer if nothing else refers to it).
    import_id: Mapped[int | None] = mapped_column(ForeignKey("order_import.id", ondelete="SET NULL"), index=True)

    dealer: Mapped[Dealer | None] = relationship(back_populates="customers")
    referred_by: Mapped[Customer | None] = relationship(remote_side=[id])
    orders: Mapped[list["Order"]] = relationship(  # noqa: F821
        back_populates="customer", order_by="desc(Order.ordered_on)", cascade="all, delete-orphan"
    )
    visits: Mapped[list["Visit"]] = relationship(  # noqa: F821
        back_populates="customer", order_by="desc(Visit.happened_at)", cascade="all, delete-orphan"
    )
    complaints: Mapped[list["Complaint"]] = relationship(  # noqa: F821
        back_populates="customer", order_by="desc(Complaint.received_at)", cascade="all, delete-orphan"
    )

    label_columns = ("name", "mobile")

    def __str__(self) -> str:
        phone = display_phone(self.mobile)
        return f"{self.name} {phone}".strip()
