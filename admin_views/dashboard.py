"""The back office's front page: the dashboard a manager reads in one minute. Its figures
read every customer and complaint of the period, so the rendered figures are kept for a
few minutes (DASHBOARD_MAX_AGE_SECONDS) for all server processes; the page says when they
were computed and offers to compute them again."""
from datetime import timedelta

from flask import current_app, render_template, request
from flask_admin import expose
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from admin_views.base import BackOfficeIndexView
from crm.models import Customer
from crm.models.choices import OPEN_COMPLAINT_STATUSES, ComplaintCategory, Severity
from crm.services import dashboard, lifecycle, repeats, snapshots


class DashboardView(BackOfficeIndexView):
    @expose("/")
    def index(self):
        user = current_user
        lifecycle.escalate_on_read()
        days = request.args.get("days", type=int)
        days = days if days in dashboard.PERIODS else dashboard.PERIODS[1]
        max_age = timedelta(seconds=current_app.config["DASHBOARD_MAX_AGE_SECONDS"])
        key = f"dashboard:{dashboard.scope_key(user)}:{days}:{get_locale()}"
        figures, computed_at = snapshots.cached(key, max_age, lambda: _figures(user, days),
                                                refresh=request.args.get("refresh") == "1")
        return self.render("admin/dashboard.html", days=days, periods=dashboard.PERIODS, figures_html=Markup(figures),
                           computed_at=computed_at, cached=bool(max_age))


def _figures(user, days: int) -> str:
    since = dashboard.period_start(days)
    weekly = dashboard.weekly_complaints(user)
    return render_template(
        "admin/_dashboard_figures.html", days=days,
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
