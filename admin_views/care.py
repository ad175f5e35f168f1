"""The service calendar page: maintenance due, birthdays and holiday greetings, each row
with a one-click "record visit", and an SMS campaign export of the consenting customers."""
from itertools import islice

from flask import Response, request, stream_with_context
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin_views.scoping import CustomerDataPage, deny_or_login, signed_in_user
from crm import access
from crm.models.choices import VisitChannel, VisitPurpose
from crm.phones import display_phone
from crm.services import care, spreadsheets

PAGE_SIZE = 50
# Each list: its title, and the purpose and channel of the visit its rows record.
LISTS = {
    "maintenance": (_l("Maintenance due"), VisitPurpose.MAINTENANCE.value, VisitChannel.HOME_VISIT.value),
    "birthdays": (_l("Birthdays"), VisitPurpose.BIRTHDAY.value, VisitChannel.PHONE.value),
    "holiday": (_l("Holiday greetings"), VisitPurpose.HOLIDAY.value, VisitChannel.PHONE.value),
}


class ServiceCalendarView(CustomerDataPage):
    """Dealers see their own customers (crm.services.care)."""

    page_args = ("list", "days", "holiday", "dealer", "page")

    @expose("/")
    def index(self):
        choice = self._choice()
        page = _int(request.args.get("page"), 0, 0, 10_000)
        rows = list(islice(self._rows(choice), page * PAGE_SIZE, (page + 1) * PAGE_SIZE + 1))
        user = signed_in_user()
        return self.render(
            "admin/service_calendar.html", choice=choice, lists=LISTS, windows=care.WINDOWS,
            holidays=choice["holidays"], rows=rows[:PAGE_SIZE], page=page, more=len(rows) > PAGE_SIZE,
            visit_kind=LISTS[choice["list"]][1:], may_record=access.can(user, access.CREATE, "visit"),
            may_export=access.can(user, access.EXPORT, "customer"), picks_dealer=not access.is_dealer(user))

    @expose("/campaign.csv")
    def campaign_export(self):
        """The list's consenting customers, for an SMS campaign."""
        if not access.can(signed_in_user(), access.EXPORT, "customer"):
            return deny_or_login()
        choice = self._choice()
        rows = care.for_campaign(self._rows(choice))
        filename = f"campaign-{choice['list']}-{care.today():%Y%m%d}.csv"
        titles = [_("Name"), _("Mobile"), _("Dealer"), _("Date"), _("Reason")]
        lines = ([row.name, display_phone(row.mobile), row.dealer or "", row.due_on.isoformat(), str(row.reason)]
                 for row in rows)
        return Response(stream_with_context(spreadsheets.csv_stream(titles, lines)), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    def export_url(self) -> str:
        return self.page_url(".campaign_export", page=None)

    def _choice(self) -> dict:
        found = care.holidays()
        holidays = {holiday.key: holiday for holiday in found}
        chosen = request.args.get("list")
        holiday_key = request.args.get("holiday")
        return {
            "holidays": found,
            "list": chosen if chosen in LISTS else "maintenance",
            "days": days if (days := request.args.get("days", type=int)) in care.WINDOWS else care.WINDOWS[0],
            "holiday": holidays.get(holiday_key) or next(iter(holidays.values())),
            "dealer": self.chosen_dealer(),
            "dealer_code": request.args.get("dealer", "").strip()[:32],
        }

    def _rows(self, choice):
        user, dealer_id = signed_in_user(), choice["dealer"].id if choice["dealer"] else None
        if choice["list"] == "birthdays":
            return care.birthdays(user, choice["days"], dealer_id)
        if choice["list"] == "holiday":
            return care.holiday_greetings(user, choice["holiday"], dealer_id)
        return care.maintenance_due(user, choice["days"], dealer_id)


def _int(text, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(text), low), high)
    except (TypeError, ValueError):
        return default
