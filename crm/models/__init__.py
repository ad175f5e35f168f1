"""All models, importable from one place."""
from crm.models.audit import AuditEntry
from crm.models.catalog import Product
from crm.models.intake import FeedbackCard, HotlineTicket
from crm.models.parties import Customer, Dealer
from crm.models.sales import Order
from crm.models.service import CaseNote, Complaint, Visit
from crm.models.users import LoginAttempt, User

__all__ = [
    "AuditEntry",
    "CaseNote",
    "LoginAttempt",
    "Complaint",
    "Customer",
    "Dealer",
    "FeedbackCard",
    "HotlineTicket",
    "Order",
    "Product",
    "User",
    "Visit",
]
