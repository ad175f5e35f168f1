"""Complaint-only parts of the back office: repeating problems across customers."""
from datetime import timedelta

from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import lazy_gettext as _l
from sqlalchemy import false

from admin_views.scoping import signed_in_user
from crm.clock import now
from crm.models import Complaint
from crm.services import repeats


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


class RepeatingProblemsMixin:
    def repeat_group_url(self, group) -> str:
        return self.filtered_url(RepeatFilter, f"{group.product_id}:{group.category}:{group.days}")

    @expose("/repeating/")
    def repeating(self):
        groups = {days: repeats.repeating_problems(signed_in_user(), days) for days in repeats.WINDOWS}
        return self.render("admin/repeating_problems.html", groups=groups, threshold=repeats.threshold())
