"""Public intake pages: the feedback card, a hotline ticket, and a ticket's status."""
import secrets
from datetime import timedelta

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from crm.database import reading_first
from crm.extensions import db
from crm.models import Dealer, Product
from crm.models.choices import ProductCategory, TicketTopic
from crm.services import intake, numbering, public_feedback, spam, throttle
from forms.portal import MAX_ID, FeedbackForm, StatusForm, TicketForm

blueprint = Blueprint("intake", __name__)

STATUS_LOOKUPS_PER_WINDOW = 10
STATUS_WINDOW = timedelta(minutes=10)


def _address() -> str:
    return request.remote_addr or ""


def _fresh_form_fields(form) -> None:
    """A new form (or one re-shown after an expired session) gets its one-time ids."""
    if not form.submission.data:
        form.submission.data = secrets.token_urlsafe(24)
    form.started.data = form.started.data or spam.start_token()


def _product_choices(only=None):
    """Every active product, for the form; a submitted form is checked against just the
    product it names."""
    query = select(Product).where(Product.active.is_(True))
    if only is not None:
        query = query.where(Product.id == _number_or_none(only))
    products = db.session.scalars(query.order_by(Product.category, Product.model_number)).all()
    return [("", _("Choose the product"))] + [
        (product.id, f"{ProductCategory.label_for(product.category)} · {product.model_number} {product.name}")
        for product in products]


def _dealer_choices():
    """Every active store, for the form (a submitted card's store is checked on its own,
    crm/services/public_feedback.py: a brand may have thousands)."""
    dealers = db.session.scalars(select(Dealer).where(Dealer.active.is_(True))
                                 .order_by(Dealer.province, Dealer.city, Dealer.name)).all()
    return [("", _("Choose the store"))] + [
        (dealer.id, f"{dealer.province or ''} {dealer.city or ''} · {dealer.name}") for dealer in dealers]


def _number_or_none(text):
    """The id a form names, or None for anything no id can be (PostgreSQL refuses a number
    beyond its `integer` column rather than finding nothing)."""
    try:
        number = int(text)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def _csrf_expired(form) -> bool:
    return bool(getattr(form, "csrf_token", None) is not None and form.csrf_token.errors)


@blueprint.route("/feedback", methods=["GET", "POST"])
def feedback():
    form = FeedbackForm()
    if request.method == "GET":
        form.card.data = request.args.get("t", "")
        return _feedback_page(form, intake.card_from_token(form.card.data), 200)
    # The product and store named are checked with everything else the card needs, in one statement.
    form.product.validate_choice = form.dealer.validate_choice = False
    with reading_first():  # on SQLite, no write lock while the form is checked
        card = intake.card_from_token(form.card.data)
        answer = _feedback_answer(form, card) if form.validate() else None
    if answer is not None:
        reception = public_feedback.receive(answer, _address(), form.website.data, form.started.data)
        if reception.reference:
            return redirect(url_for("intake.feedback_thanks", reference=reception.reference))
        for field, unknown in ((form.product, reception.unknown_product), (form.dealer, reception.unknown_store)):
            if unknown:
                field.errors = [*field.errors, field.gettext("Not a valid choice.")]
    with reading_first():
        return _feedback_page(form, card, 400)  # shown again: every product and store


def _feedback_page(form: FeedbackForm, card, status: int):
    form.product.choices, form.dealer.choices = _product_choices(), _dealer_choices()
    _fresh_form_fields(form)
    return render_template("portal/feedback.html", form=form, card=card,
                           session_expired=_csrf_expired(form)), status


def _feedback_answer(form: FeedbackForm, card) -> public_feedback.FeedbackAnswer:
    return public_feedback.FeedbackAnswer(
        submission=form.submission.data or secrets.token_urlsafe(24), product_id=form.product.data,
        dealer_id=form.dealer.data, purchase_date=form.purchase_date.data,
        ratings={name: int(getattr(form, name).data) if getattr(form, name).data else None
                 for name in FeedbackForm.RATINGS},
        recommend_score=int(form.recommend_score.data) if form.recommend_score.data else None,
        comments=form.comments.data or None, contact_name=form.contact_name.data or None,
        mobile=form.mobile.data or None, consent=bool(form.consent.data), card=public_feedback.PrintedCard.of(card))


@blueprint.post("/feedback/opened")
def feedback_opened():
    """Called by the feedback page when it opens from a card's QR code (a POST, so that
    no GET changes anything)."""
    card = intake.card_from_token(request.form.get("t"))
    if card is not None:
        intake.record_opening(*card)
    return "", 204


@blueprint.get("/feedback/thanks/<reference>")
def feedback_thanks(reference: str):
    return render_template("portal/feedback_thanks.html", reference=_safe_number(reference))


@blueprint.route("/ticket/new", methods=["GET", "POST"])
def new_ticket():
    form = TicketForm()
    form.topic.choices = TicketTopic.choices()
    posted = request.form if request.method == "POST" else {}
    with reading_first():
        form.product.choices = _product_choices(only=posted.get("product"))
        accepted = request.method == "POST" and form.validate()
        automated = accepted and spam.looks_automated(form.website.data, form.started.data, _address(),
                                                      form.mobile.data)
    if request.method == "POST" and not accepted:
        form.product.choices = _product_choices()
    if accepted:
        if automated:
            return redirect(url_for("intake.ticket_created", number=numbering.ticket_number()))
        number = intake.submit_ticket(intake.TicketRequest(
            submission=form.submission.data or secrets.token_urlsafe(24), topic=form.topic.data,
            description=form.description.data, contact_name=form.contact_name.data, mobile=form.mobile.data,
            city=form.city.data or None, address=form.address.data or None, product_id=form.product.data,
            purchase_date=form.purchase_date.data), counted=spam.submission_events(_address(), form.mobile.data))
        return redirect(url_for("intake.ticket_created", number=number))
    _fresh_form_fields(form)
    status = 200 if request.method == "GET" else 400
    return render_template("portal/ticket_new.html", form=form, session_expired=_csrf_expired(form)), status


@blueprint.get("/ticket/created/<number>")
def ticket_created(number: str):
    return render_template("portal/ticket_created.html", number=_safe_number(number))


@blueprint.route("/ticket/status", methods=["GET", "POST"])
def ticket_status():
    form = StatusForm()
    ticket, not_found = None, False
    if request.method == "POST" and form.validate():
        if throttle.minutes_until_allowed("status_lookup", _address(), STATUS_LOOKUPS_PER_WINDOW, STATUS_WINDOW):
            abort(429)
        throttle.record(("status_lookup", _address()))
        ticket = intake.find_ticket(form.number.data, form.last_digits.data)
        not_found = ticket is None
    timeline = intake.public_timeline(ticket) if ticket else []
    status = 200 if request.method == "GET" or ticket else (404 if not_found else 400)
    return render_template("portal/ticket_status.html", form=form, ticket=ticket, timeline=timeline,
                           not_found=not_found, session_expired=_csrf_expired(form)), status


def _safe_number(text: str) -> str:
    """Reference numbers are short codes; anything else in the address is not shown."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum() or ch == "-")[:20]
    if not cleaned:
        abort(404)
    return cleaned


