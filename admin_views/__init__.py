"""The back office: Flask-Admin views over the domain models."""
from pathlib import Path

from flask import Blueprint, Flask
from flask_admin import Admin
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from admin_views.audit import AuditView
from admin_views.cards import CardBatchView
from admin_views.dashboard import DashboardView
from admin_views.duplicates import DuplicatesView
from admin_views.imports import OrderImportView
from admin_views.care import ServiceCalendarView
from admin_views.chrome import admin_asset, frame_part
from admin_views.formatters import code_labels, duration, figure
from admin_views.catalog import ProductView
from admin_views.intake import FeedbackCardView, HotlineTicketView
from admin_views.parties import CustomerView, DealerView
from admin_views.reports import ReportsView
from admin_views.sales import OrderView
from admin_views.service import ComplaintView, VisitView
from admin_views.users import UserView
from crm import security_headers
from crm.extensions import db
from crm.models import (AuditEntry, CardBatch, Complaint, Customer, Dealer, FeedbackCard, HotlineTicket, Order,
                        OrderImport, Product, User, Visit)
from crm.phones import display_phone

# Flask-Admin's own Chinese, compiled by translations/build.py from the catalogue it ships.
FLASK_ADMIN_TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations" / "flask_admin"


def init_app(app: Flask) -> Admin:
    # Our templates (admin/lifelong_base.html...) and static files, beside Flask-Admin's.
    app.register_blueprint(Blueprint("back_office", __name__, template_folder="templates",
                                     static_folder="static", static_url_path="/admin-assets"))
    app.jinja_env.globals.update(labels=code_labels, frame_part=frame_part, admin_asset=admin_asset)
    app.jinja_env.filters["phone"] = display_phone
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["figure"] = figure
    admin = Admin(
        app,
        name=_l("Lifelong"),
        url="/admin",
        theme=Bootstrap4Theme(base_template="admin/lifelong_base.html", fluid=True),
        index_view=DashboardView(name=_l("Dashboard"), url="/admin"),
        csp_nonce_generator=security_headers.csp_nonce,
        translations_path=str(FLASK_ADMIN_TRANSLATIONS),
    )
    customers = _l("Customers")
    service = _l("Service")
    intake = _l("Intake")
    setup = _l("Setup")
    admin.add_view(CustomerView(Customer, db, name=_l("Customers"), category=customers, endpoint="customer"))
    admin.add_view(OrderView(Order, db, name=_l("Orders"), category=customers, endpoint="order"))
    admin.add_view(OrderImportView(OrderImport, db, name=_l("Order imports"), category=customers,
                                   endpoint="order_import"))
    admin.add_view(DuplicatesView(name=_l("Duplicate customers"), category=customers, endpoint="duplicates",
                                  url="/admin/duplicates"))
    admin.add_view(ReportsView(name=_l("Reports"), category=customers, endpoint="reports", url="/admin/reports"))
    admin.add_view(ServiceCalendarView(name=_l("Service calendar"), category=customers, endpoint="care",
                                       url="/admin/care"))
    admin.add_view(ComplaintView(Complaint, db, name=_l("Complaints"), category=service, endpoint="complaint"))
    admin.add_link(MenuLink(name=_l("My queue"), url="/admin/complaint/queue/mine/", category=service))
    admin.add_link(MenuLink(name=_l("Repeating problems"), url="/admin/complaint/repeating/", category=service))
    admin.add_view(VisitView(Visit, db, name=_l("Service visits"), category=service, endpoint="visit"))
    admin.add_view(HotlineTicketView(HotlineTicket, db, name=_l("Hotline tickets"), category=intake,
                                     endpoint="hotline_ticket"))
    admin.add_link(MenuLink(name=_l("My tickets"), url="/admin/hotline_ticket/queue/mine/", category=intake))
    admin.add_view(FeedbackCardView(FeedbackCard, db, name=_l("Feedback cards"), category=intake,
                                    endpoint="feedback_card"))
    admin.add_view(CardBatchView(CardBatch, db, name=_l("Card printing"), category=intake,
                                 endpoint="card_batch"))
    admin.add_view(DealerView(Dealer, db, name=_l("Dealers"), category=setup, endpoint="dealer"))
    admin.add_view(ProductView(Product, db, name=_l("Products"), category=setup, endpoint="product"))
    admin.add_view(UserView(User, db, name=_l("Users"), category=setup, endpoint="user"))
    admin.add_view(AuditView(AuditEntry, db, name=_l("Audit trail"), category=setup, endpoint="audit"))
    return admin
