"""What a signed-in user may reach outside a model view's own queries: the user, record
ids read from requests, relationship lookups, dealer codes typed into a page, and the
pages drawn from customers' data (service calendar, reports). Scoped by crm.access."""
from flask import abort, flash, has_request_context, redirect, request, url_for
from flask_admin import BaseView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from admin_views import formatters, listing, storable
from crm import access
from crm.extensions import db
from crm.models import Dealer


def signed_in_user():
    """The signed-in user (or Flask-Login's anonymous user) itself, not the current_user
    proxy: access rules read several of its attributes, each through the proxy otherwise."""
    return current_user._get_current_object() if has_request_context() else None


def deny_or_login():
    """Anonymous visitors go to the login page; a signed-in user without the right gets 403."""
    user = signed_in_user()
    if user is None or not user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(403)


def record_key(raw_id) -> int | None:
    """The key a submitted id names, or None when it is not a number (PostgreSQL refuses to
    compare an integer column with text) or is beyond any stored id and what the databases
    accept."""
    try:
        key = int(raw_id)
    except (TypeError, ValueError):
        return None
    return key if storable.fits_integer(key) else None


def find_in_scope(query, model, raw_id):
    """The row of `query` with this id, or None; an id that is not a number matches nothing."""
    key = record_key(raw_id)
    if key is None:
        return None
    return query.filter(sa_inspect(model).primary_key[0] == key).first()


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """Relationship lookups and submitted ids see only the rows the user may see."""

    def get_query(self):
        return access.scope(super().get_query(), self.model, signed_in_user())

    def get_one(self, pk):
        with self.session.no_autoflush:
            return find_in_scope(self.get_query(), self.model, pk)

    def get_list(self, term, offset=0, limit=10):
        """At most a page of matches, whatever `limit` and `offset` the request asks for: the
        lookup must not hand out a whole customer list in one answer, nor pass the database
        a number or a character it refuses."""
        if listing.has_control_characters(term):
            return []
        page = self.options.get("page_size", 10)
        return super().get_list(term, min(max(offset or 0, 0), listing.MAX_OFFSET), max(1, min(limit or page, page)))

    def format(self, model):
        """A record as the picker shows it: its number masked as in lists, and a record the
        user may not see (another dealership's customer who referred one of theirs) not
        described at all."""
        if model is None:
            return None
        if not access.may_see(signed_in_user(), model):
            return getattr(model, self.pk), _("(a record you cannot open)")
        return getattr(model, self.pk), formatters.record_label(model)


def dealer_with_code(code: str):
    """The dealer with this code (case-insensitive) among those the user may see, or None."""
    if listing.has_control_characters(code):
        return None  # no code has them, and PostgreSQL refuses NUL in a query
    query = access.scope(select(Dealer).where(Dealer.code == code.strip().upper()), Dealer, signed_in_user())
    return db.session.scalar(query)


class CustomerDataPage(BaseView):
    """A back-office page drawn from customers' data rather than one model's list (the
    service calendar, the reports): open to whoever may list customers, scoped like them.
    Its links carry on only the page's own arguments (`page_args`)."""

    page_args: tuple[str, ...] = ()

    def is_accessible(self) -> bool:
        return access.can(signed_in_user(), access.LIST, "customer")

    def inaccessible_callback(self, name, **kwargs):
        return deny_or_login()

    def chosen_dealer(self):
        """The dealer whose code a clerk typed to narrow the page (dealers are narrowed by
        their login anyway); an unknown code is said, and the page shows all dealers."""
        code = request.args.get("dealer", "").strip()[:32]
        if not code or access.is_dealer(signed_in_user()):
            return None
        dealer = dealer_with_code(code)
        if dealer is None:
            flash(_("No dealer has the code %(code)s; showing all dealers.", code=code), "error")
        return dealer

    def page_url(self, endpoint: str = ".index", **changes) -> str:
        args = {key: request.args.get(key) for key in self.page_args}
        args.update(changes)
        return url_for(endpoint, **{key: value for key, value in args.items() if value not in (None, "")})
