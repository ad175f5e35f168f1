"""Complaint work in the back office: lifecycle buttons, service-level column and queues."""
from datetime import datetime, time, timedelta

from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import false, or_

from admin_views.base import signed_in_user
from crm.clock import now
from crm.models import Complaint
from crm.services import complaints, repeats
from crm.services.errors import ServiceError

QUEUE_OPTIONS = (("overdue", _l("Overdue")), ("due_today", _l("Due today")), ("mine", _l("Mine")),
                 ("unassigned", _l("Unassigned")))


class QueueFilter(BaseSQLAFilter):
    """Work queues as one filter: overdue, due today, mine, unassigned (open complaints)."""

    def __init__(self):
        super().__init__(Complaint.status, _l("Queue"), options=QUEUE_OPTIONS)

    def apply(self, query, value, alias=None):
        moment = now()
        query = query.filter(Complaint.status.in_(complaints.OPEN))
        if value == "overdue":
            return query.filter(or_(complaints.first_response_overdue(moment), Complaint.resolution_due_at < moment))
        if value == "due_today":
            end_of_day = datetime.combine(moment.date(), time.max)
            return query.filter(or_(
                Complaint.first_response_at.is_(None) & Complaint.first_response_due_at.between(moment, end_of_day),
                Complaint.resolution_due_at.between(moment, end_of_day)))
        if value == "mine":
            user = signed_in_user()
            return query.filter(Complaint.assigned_to_id == (user.id if user else None))
        return query.filter(Complaint.assigned_to_id.is_(None))

    def operation(self):
        return _l("is")


class RepeatFilter(BaseSQLAFilter):
    """The complaints of one repeating-problem group: value "PRODUCT_ID:CATEGORY:DAYS"."""

    def __init__(self):
        super().__init__(Complaint.product_id, _l("Repeating problem"))

    def apply(self, query, value, alias=None):
        try:
            product_id, category, days = value.split(":")
            since = now() - timedelta(days=int(days))
            return query.filter(Complaint.product_id == int(product_id), Complaint.category == category,
                                Complaint.received_at >= since)
        except ValueError:
            return query.filter(false())

    def operation(self):
        return _l("is")


def next_deadline(complaint: Complaint):
    """The deadline that matters now: the first response until it is given, then resolution."""
    if complaint.status not in complaints.OPEN:
        return None
    if complaint.first_response_at is None and complaint.first_response_due_at is not None:
        return complaint.first_response_due_at
    return complaint.resolution_due_at


def sla_cell(_view, _context, model, _name):
    due = next_deadline(model)
    if due is None:
        return ""
    left = due - now()
    hours = abs(left) // timedelta(hours=1)
    minutes = abs(left) // timedelta(minutes=1) % 60
    if left < timedelta(0):
        return Markup('<span class="badge badge-danger sla-overdue">{}</span>').format(
            _("%(h)dh %(m)dm overdue", h=hours, m=minutes))
    css = "badge-warning" if left < timedelta(hours=4) else "badge-light"
    return Markup('<span class="badge {}">{}</span>').format(css, _("%(h)dh %(m)dm left", h=hours, m=minutes))


class ComplaintStepsMixin:
    """Buttons for the lifecycle steps on the complaint page (needs "edit", see crm.access)."""

    def available_steps(self, complaint):
        return complaints.available_steps(complaint) if self.may("edit") else []

    def _filtered_url(self, filter_class, value: str) -> str:
        index = next(i for i, flt in enumerate(self._filters) if isinstance(flt, filter_class))
        return self.get_url(".index_view", **{f"flt0_{self.get_filter_arg(index, self._filters[index])}": value})

    @expose("/queue/mine/")
    def my_queue(self):
        return redirect(self._filtered_url(QueueFilter, "mine"))

    def repeat_group_url(self, group) -> str:
        return self._filtered_url(RepeatFilter, f"{group.product_id}:{group.category}:{group.days}")

    @expose("/repeating/")
    def repeating(self):
        groups = {days: repeats.repeating_problems(signed_in_user(), days) for days in repeats.WINDOWS}
        return self.render("admin/repeating_problems.html", groups=groups, threshold=repeats.threshold())

    @expose("/step/", methods=("POST",))
    def complaint_step(self):
        complaint = self.get_one(request.args.get("id", ""))
        step, form = request.form.get("step", ""), request.form
        actions = {
            "acknowledge": lambda: complaints.acknowledge(complaint, current_user),
            "start": lambda: complaints.start_work(complaint, current_user),
            "resolve": lambda: complaints.resolve(complaint, current_user, form.get("resolution", "")),
            "callback": lambda: complaints.record_callback(complaint, current_user, _score(form.get("score")),
                                                           form.get("outcome", "")),
            "close": lambda: complaints.close(complaint, current_user, form.get("reason")),
            "reopen": lambda: complaints.reopen(complaint, current_user, form.get("reason", "")),
        }
        if step not in actions:
            flash(_("Unknown step."), "error")
        else:
            try:
                actions[step]()
                flash(_("Saved."), "success")
            except ServiceError as error:
                flash(str(error.message), "error")
        return redirect(self.get_url(".details_view", id=complaint.id))


def _score(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None
