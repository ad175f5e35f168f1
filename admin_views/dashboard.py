"""The back office's front page: the dashboard a manager reads in one minute."""
from flask import request
from flask_admin import expose
from flask_login import current_user

from admin_views.base import BackOfficeIndexView
from crm.models import Customer
from crm.models.choices import OPEN_COMPLAINT_STATUSES, ComplaintCategory, Severity
from crm.services import dashboard, lifecycle, repeats


class DashboardView(BackOfficeIndexView):
    @expose("/")
    def index(self):
        user = current_user
        lifecycle.escalate_on_read()
        days = request.args.get("days", type=int)
        days = days if days in dashboard.PERIODS else dashboard.PERIODS[1]
        since = dashboard.period_start(days)
        weekly = dashboard.weekly_complaints(user)
        return self.render(
            "admin/dashboard.html", days=days, periods=dashboard.PERIODS,
            figures=dashboard.headline_figures(user), service=dashboard.service_figures(user, since),
            feedback=dashboard.feedback_overall(user, since), open_complaints=dashboard.open_complaints(user),
            statuses=OPEN_COMPLAINT_STATUSES, severities=Severity.codes(), weekly=weekly,
            weekly_chart=_chart_data(weekly), scorecard=dashboard.dealer_scorecard(user, since),
            by_stage=dashboard.customers_by(user, Customer.household_stage),
            by_channel=dashboard.customers_by(user, Customer.channel),
            by_region=dashboard.customers_by(user, Customer.province),
            repeating=repeats.repeating_problems(user, 30))


def _chart_data(weekly: dashboard.WeeklyChart) -> dict:
    """What dashboard.js draws: one stacked series per complaint category."""
    return {"labels": [monday.strftime("%m-%d") for monday in weekly.weeks],
            "datasets": [{"label": str(ComplaintCategory.label_for(code)), "data": counts}
                         for code, counts in sorted(weekly.series.items())]}
