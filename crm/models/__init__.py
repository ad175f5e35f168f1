"""All models, importable from one place."""
from crm.models.audit import AuditEntry
from crm.models.catalog import Product
from crm.models.imports import ImportRow, OrderImport
from crm.models.intake import CardBatch, CardOpening, FeedbackCard, HotlineTicket
from crm.models.parties import Customer, Dealer
from crm.models.sales import Order
from crm.models.service import CaseNote, Complaint, Visit
from crm.models.snapshots import Snapshot
from crm.models.users import ThrottleEvent, User

__all__ = [
    "AuditEntry",
    "CardBatch",
    "CardOpening",
    "CaseNote",
    "Complaint",
    "Customer",
    "Dealer",
    "FeedbackCard",
    "HotlineTicket",
    "ImportRow",
    "Order",
    "OrderImport",
    "Product",
    "Snapshot",
    "ThrottleEvent",
    "User",
    "Visit",
]
