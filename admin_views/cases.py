"""Work on cases (complaints and hotline tickets) in the back office: lifecycle buttons,
responses and notes, the service-level column and the work queues."""
from datetime import datetime, time, timedelta

from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import or_

from admin_views.scoping import signed_in_user
from crm.clock import now
from crm.services import cases, lifecycle
from crm.services.errors import ServiceError

QUEUE_OPTIONS = (("overdue", _l("Overdue")), ("due_today", _l("Due today")), ("mine", _l("Mine")),
                 ("unassigned", _l("Unassigned")))


class QueueFilter(BaseSQLAFilter):
    """Work queues as one filter over open cases: overdue, due today, mine, unassigned."""

    def __init__(self, model):
        super().__init__(model.status, _l("Queue"), options=QUEUE_OPTIONS)
        self.model = model

    def apply(self, query, value, alias=None):
        model, moment = self.model, now()
        query = query.filter(lifecycle.is_open(model))
        if value == "overdue":
            return query.filter(lifecycle.tracked(model), or_(lifecycle.first_response_overdue(model, moment),
                                                              model.resolution_due_at < moment))
        if value == "due_today":
            end_of_day = datetime.combine(moment.date(), time.max)
            return query.filter(lifecycle.tracked(model), or_(
                model.first_response_at.is_(None) & model.first_response_due_at.between(moment, end_of_day),
                model.resolution_due_at.between(moment, end_of_day)))
        if value == "mine":
            user = signed_in_user()
            return query.filter(model.assigned_to_id == (user.id if user else None))
        return query.filter(model.assigned_to_id.is_(None))

    def operation(self):
        return _l("is")


def next_deadline(case):
    """The deadline that matters now: the first response until it is given, then resolution."""
    if case.status not in lifecycle.OPEN or getattr(case, "complaint_id", None) is not None:
        return None
    if case.first_response_at is None and case.first_response_due_at is not None:
        return case.first_response_due_at
    return case.resolution_due_at


def sla_cell(_view, _context, model, _name):
    due = next_deadline(model)
    if due is None:
        return ""
    left = due - now()
    hours = abs(left) // timedelta(hours=1)
    minutes = abs(left) // timedelta(minutes=1) % 60
    if left < timedelta(0):
        text = escape(_("%(h)dh %(m)dm overdue", h=hours, m=minutes))
        return Markup(f'<span class="badge badge-danger sla-overdue">{text}</span>')
    css = "badge-warning" if left < timedelta(hours=4) else "badge-light"
    text = escape(_("%(h)dh %(m)dm left", h=hours, m=minutes))
    return Markup(f'<span class="badge {css}">{text}</span>')


class CaseMixin:
    """Steps, notes and queues for a view over a case model. Steps and notes need "respond"
    (see crm.access): the dealer answers first, the service desk when it escalates."""

    details_template = "admin/case_details.html"
    column_export_exclude_list = ("sla",)  # a badge for the screen; the deadlines are exported as dates

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is None and name in ("index_view", "details_view"):
            lifecycle.escalate_on_read()
        return refused

    def available_steps(self, case):
        return lifecycle.available_steps(case) if self.may("respond") else []

    def filtered_url(self, filter_class, value: str) -> str:
        index = next(i for i, flt in enumerate(self._filters) if isinstance(flt, filter_class))
        return self.get_url(".index_view", **{f"flt0_{self.get_filter_arg(index, self._filters[index])}": value})

    @expose("/queue/mine/")
    def my_queue(self):
        return redirect(self.filtered_url(QueueFilter, "mine"))

    @expose("/step/", methods=("POST",))
    def case_step(self):
        case = self.get_one(request.args.get("id", ""))
        step, form = request.form.get("step", ""), request.form
        actions = {
            "acknowledge": lambda: lifecycle.acknowledge(case, current_user),
            "start": lambda: lifecycle.start_work(case, current_user),
            "resolve": lambda: lifecycle.resolve(case, current_user, form.get("resolution", "")),
            "callback": lambda: lifecycle.record_callback(case, current_user, _score(form.get("score")),
                                                          form.get("outcome", "")),
            "close": lambda: lifecycle.close(case, current_user, form.get("reason")),
            "reopen": lambda: lifecycle.reopen(case, current_user, form.get("reason", "")),
        }
        if step not in actions:
            flash(_("Unknown step."), "error")
        else:
            try:
                actions[step]()
                flash(_("Saved."), "success")
            except ServiceError as error:
                flash(str(error.message), "error")
        return redirect(self.get_url(".details_view", id=case.id))

    @expose("/note/", methods=("POST",))
    def add_note(self):
        case = self.get_one(request.args.get("id", ""))
        try:
            cases.add_note(case, current_user, request.form.get("kind", ""), request.form.get("body", ""))
        except ServiceError as error:
            flash(str(error.message), "error")
            return redirect(self.get_url(".details_view", id=case.id, draft=request.form.get("body", "")[:2000]))
        flash(_("Saved."), "success")
        return redirect(self.get_url(".details_view", id=case.id))


def _score(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None
