"""The reports page: one table and chart at a time, for a period and optionally one dealer,
each exportable as CSV or XLSX. Dealers get their own dealership's figures."""
from datetime import date

from flask import Response, flash, request, stream_with_context
from flask_admin import expose
from flask_babel import gettext as _

from admin_views.scoping import CustomerDataPage, deny_or_login, signed_in_user
from crm import access
from crm.services import reports, spreadsheets



class ReportsView(CustomerDataPage):
    page_args = ("report", "start", "end", "dealer")

    @expose("/")
    def index(self):
        choice = self._choice()
        table = reports.build(choice["report"].key, signed_in_user(), choice["period"], choice["dealer_id"])
        chart = {"labels": [str(row[0]) for row in table.rows[:30]],
                 "datasets": [{"label": table.columns[table.chart_value],
                               "data": [float(row[table.chart_value] or 0) for row in table.rows[:30]]}]}
        return self.render("admin/reports.html", choice=choice, reports=reports.REPORTS, table=table, chart=chart,
                           picks_dealer=not access.is_dealer(signed_in_user()),
                           may_export=access.can(signed_in_user(), access.EXPORT, "customer"))

    @expose("/export.<kind>")
    def export(self, kind: str):
        if kind not in ("csv", "xlsx") or not access.can(signed_in_user(), access.EXPORT, "customer"):
            return deny_or_login() if kind in ("csv", "xlsx") else ("", 404)
        choice = self._choice()
        table = reports.build(choice["report"].key, signed_in_user(), choice["period"], choice["dealer_id"])
        rows = (list(row) for row in table.rows)
        chunks = (spreadsheets.csv_stream(table.columns, rows) if kind == "csv"
                  else spreadsheets.xlsx_stream(table.columns, rows))
        name = f"{choice['report'].key}-{choice['period'].start:%Y%m%d}-{choice['period'].end:%Y%m%d}.{kind}"
        return Response(stream_with_context(chunks),
                        mimetype="text/csv" if kind == "csv" else spreadsheets.XLSX_MIMETYPE,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    def _choice(self) -> dict:
        report = reports.BY_KEY.get(request.args.get("report", ""), reports.REPORTS[0])
        default = reports.Period.last_year()
        start = _date(request.args.get("start"), default.start)
        end = _date(request.args.get("end"), default.end)
        if start > end:
            flash(_("The period's start is after its end; showing the last twelve months."), "error")
            start, end = default.start, default.end
        dealer = self.chosen_dealer()
        return {"report": report, "period": reports.Period(start, end), "dealer_id": dealer.id if dealer else None,
                "dealer_code": request.args.get("dealer", "").strip()[:32]}


EARLIEST, LATEST = date(1990, 1, 1), date(2100, 12, 31)


def _date(text: str | None, default: date) -> date:
    try:
        day = date.fromisoformat((text or "").strip())
        if not EARLIEST <= day <= LATEST:
            raise ValueError(text)
        return day
    except ValueError:
        if text:
            flash(_("%(value)s is not a date; write it like 2026-03-01.", value=text[:20]), "error")
        return default
