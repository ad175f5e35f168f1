"""The public forms: feedback card, hotline ticket, ticket status. Every field has a length
limit; choices are filled in by the views."""
import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from forms.base import Form
from forms.fields import PhoneField
from forms.validators import CleanText, MobilePhone, NotInFuture

RATING_CHOICES = [(str(n), str(n)) for n in range(1, 6)]
RECOMMEND_CHOICES = [(str(n), str(n)) for n in range(0, 11)]


# Ids are `integer` columns (PostgreSQL's holds up to 2**31 - 1; a larger number is an error).
MAX_ID = 2**31 - 1
SUBMISSION_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what the page puts there (secrets.token_urlsafe)


def _submission_token(value):
    """The form's one-time id as the page made it, or None (a new one is drawn): an edited
    one could not be stored (the column holds 64 characters)."""
    return value if isinstance(value, str) and SUBMISSION_TOKEN.fullmatch(value) else None


class PublicForm(Form):
    """What every public form carries: a one-time submission id, a signed start time and a
    field that only robots fill in."""

    submission = HiddenField(filters=[_submission_token])
    started = HiddenField()
    website = StringField(_l("Leave this field empty"), validators=[Optional(), Length(max=200)],
                          render_kw={"autocomplete": "off", "tabindex": "-1"})


def _optional_int(value):
    """A chosen record's id, or None; a number no id can be is not a valid choice."""
    if value in (None, "", "None"):
        return None
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError(value)
    return number


def _trimmed(value):
    """A choice as sent, without surrounding spaces. Only spaces is no choice at all:
    Optional() let " " through unchecked, and it then failed as a number."""
    return value.strip() if isinstance(value, str) else value


def _score(label, choices=RATING_CHOICES) -> RadioField:
    """An optional score from `choices`."""
    return RadioField(label, choices=choices, filters=[_trimmed], validators=[Optional()])


class FeedbackForm(PublicForm):
    card = HiddenField()
    product = SelectField(_l("Product"), coerce=_optional_int, validate_choice=True, validators=[Optional()])
    purchase_date = DateField(_l("Purchase date"), validators=[Optional(), NotInFuture()],
                              render_kw={"max": "", "type": "date"})
    dealer = SelectField(_l("Store where you bought it"), coerce=_optional_int, validators=[Optional()])
    rating_quality = _score(_l("Product quality"))
    rating_design = _score(_l("Design"))
    rating_delivery = _score(_l("Delivery"))
    rating_installation = _score(_l("Installation"))
    rating_service = _score(_l("Service"))
    recommend_score = _score(_l("How likely are you to recommend us to a friend? (0 = not at all, 10 = very)"),
                             RECOMMEND_CHOICES)
    comments = TextAreaField(_l("Comments"), validators=[CleanText(), Optional(), Length(max=2000)])
    contact_name = StringField(_l("Your name (optional)"), validators=[CleanText(), Optional(), Length(max=60)],
                               render_kw={"autocomplete": "name"})
    mobile = PhoneField(_l("Mobile number (optional)"), validators=[CleanText(), Optional(), MobilePhone()],
                         render_kw={"autocomplete": "tel", "inputmode": "tel"})
    consent = BooleanField(_l("You may contact me about this feedback and about care for my furniture."))

    RATINGS = ("rating_quality", "rating_design", "rating_delivery", "rating_installation", "rating_service")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.mobile.data and not self.consent.data:
            self.consent.errors = [*self.consent.errors, str(_l(
                "Please agree to be contacted, or leave the mobile number empty."))]
            valid = False
        if not any(getattr(self, name).data for name in self.RATINGS) and not self.recommend_score.data \
                and not self.comments.data:
            self.rating_quality.errors = [*self.rating_quality.errors, str(_l(
                "Give at least one rating or write a comment."))]
            valid = False
        return valid


class TicketForm(PublicForm):
    topic = RadioField(_l("What is it about?"), validators=[DataRequired(message=_l("Choose a topic."))])
    description = TextAreaField(_l("Describe the problem or question"), validators=[
        CleanText(), DataRequired(message=_l("Tell us what happened.")), Length(max=2000)])
    contact_name = StringField(_l("Your name"), validators=[
        CleanText(), DataRequired(message=_l("Enter your name.")), Length(max=60)],
        render_kw={"autocomplete": "name"})
    mobile = PhoneField(_l("Mobile number"), validators=[
        CleanText(), DataRequired(message=_l("Enter your mobile number.")), MobilePhone()],
        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    city = StringField(_l("City (optional)"), validators=[CleanText(), Optional(), Length(max=40)],
                       render_kw={"autocomplete": "address-level2"})
    address = StringField(_l("Address (optional)"), validators=[CleanText(), Optional(), Length(max=255)],
                          render_kw={"autocomplete": "street-address"})
    product = SelectField(_l("Product (optional)"), coerce=_optional_int, validators=[Optional()])
    purchase_date = DateField(_l("Purchase date (optional)"), validators=[Optional(), NotInFuture()],
                              render_kw={"type": "date"})


class StatusForm(Form):
    number = StringField(_l("Ticket number"), validators=[
        CleanText(), DataRequired(message=_l("Enter the ticket number.")), Length(max=20)],
        render_kw={"autocapitalize": "characters", "autocomplete": "off"})
    last_digits = StringField(_l("Last four digits of your mobile number"), validators=[
        CleanText(), DataRequired(message=_l("Enter the last four digits.")),
        Regexp(r"^\d{4}$", message=_l("Enter exactly four digits."))],
        render_kw={"inputmode": "numeric", "maxlength": "4", "autocomplete": "off"})
