"""The dashboard's figures against values computed by hand on a small archive, for a clerk
(everything) and for a dealer (their own dealership only)."""
from datetime import date, datetime

import pytest

from crm.extensions import db
from crm.models import Complaint, Customer, FeedbackCard, Order
from crm.services import dashboard
from tests.conftest import make_user

NOW = datetime(2026, 11, 25, 12, 0)  # a Wednesday


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def archive(app, dealer, other_dealer, monkeypatch):
    monkeypatch.setattr(dashboard, "now", lambda: NOW)
    monkeypatch.setattr(dashboard, "today", lambda: NOW.date())
    own_1 = Customer(name="王芳", mobile="+8613800000001", dealer=dealer, household_stage="couple",
                     channel="referral", province="广东省", status="actual")
    own_2 = Customer(name="李娜", mobile="+8613800000002", dealer=dealer, household_stage="couple", channel="web",
                     province="广东省", status="potential")
    other = Customer(name="陈静", mobile="+8613800000003", dealer=other_dealer, household_stage="single",
                     channel="referral", province="上海市", status="actual")
    db.session.add_all([own_1, own_2, other])
    for number, (customer, ordered_on) in enumerate([
            (own_1, date(2026, 10, 1)), (own_1, date(2026, 10, 15)), (own_2, date(2026, 11, 2)),
            (own_2, date(2026, 11, 20)), (own_1, date(2025, 5, 1)),  # the last one is before the period
            (other, date(2026, 9, 10)), (other, date(2026, 11, 11))]):
        db.session.add(Order(order_number=f"SO-{number}", customer=customer, dealer=customer.dealer,
                             ordered_on=ordered_on))

    def complaint(number, customer, category, severity, status, received, due, answered=None, resolved=None,
                  satisfaction=None):
        db.session.add(Complaint(number=number, customer=customer, dealer=customer.dealer, category=category,
                                 severity=severity, status=status, description="x", received_at=at(received),
                                 first_response_due_at=at(due), first_response_at=answered and at(answered),
                                 resolved_at=resolved and at(resolved), satisfaction=satisfaction))

    # Own dealership: answered in 2 h (in time), in 6 h (late, resolved in 48 h), not yet (past due).
    complaint("A1", own_1, "delivery", "normal", "acknowledged", "2026-11-20 09:00", "2026-11-21 09:00",
              answered="2026-11-20 11:00")
    complaint("A2", own_1, "product_quality", "critical", "resolved", "2026-11-10 09:00", "2026-11-10 13:00",
              answered="2026-11-10 15:00", resolved="2026-11-12 09:00")
    complaint("A3", own_2, "delivery", "normal", "new", "2026-11-24 10:00", "2026-11-25 10:00")
    # Other dealership: answered in 1 h (in time, resolved in 48 h); one not yet due; one long ago.
    complaint("B1", other, "installation", "high", "closed", "2026-11-01 09:00", "2026-11-02 09:00",
              answered="2026-11-01 10:00", resolved="2026-11-03 09:00", satisfaction=4)
    complaint("B2", other, "delivery", "normal", "new", "2026-11-25 11:00", "2026-11-26 11:00")
    complaint("B0", other, "price", "low", "closed", "2026-01-05 09:00", "2026-01-06 09:00",
              answered="2026-01-05 10:00")

    def card(reference, dealer_, recommend, **ratings):
        db.session.add(FeedbackCard(reference=reference, dealer=dealer_, recommend_score=recommend,
                                    submitted_at=at("2026-11-01 10:00"), **ratings))

    card("FK-1", dealer, 10, rating_quality=5, rating_design=4)
    card("FK-2", dealer, 6, rating_quality=3, rating_service=3)
    card("FK-3", dealer, 8)
    card("FK-4", other_dealer, 3, rating_quality=2)
    db.session.commit()
    return {"clerk": make_user("clerk", "clerk"), "dealer": make_user("dealer1", "dealer", dealer=dealer)}


SINCE = datetime(2026, 8, 28)  # 90 days up to and including 2026-11-25


def test_the_period_starts_at_midnight_of_its_first_day(archive):
    assert dashboard.period_start(90) == SINCE


def test_open_complaints_by_status_and_severity(archive):
    assert dashboard.open_complaints(archive["clerk"]) == {("acknowledged", "normal"): 1, ("new", "normal"): 2}
    assert dashboard.open_complaints(archive["dealer"]) == {("acknowledged", "normal"): 1, ("new", "normal"): 1}


def test_service_figures_for_the_clerk(archive):
    figures = dashboard.service_figures(archive["clerk"], SINCE)
    # B2 is not yet due, so it does not count for the target; A1 and B1 were answered in time.
    assert (figures.received, figures.answered_in_time, figures.answer_due) == (5, 2, 4)
    assert figures.answered_in_time_percent == 50
    assert figures.median_first_response_hours == 2  # of 2 h, 6 h, 1 h
    assert figures.median_resolution_hours == 48
    assert figures.callback_satisfaction == 4  # B1's call-back


def test_service_figures_for_the_dealer(archive):
    figures = dashboard.service_figures(archive["dealer"], SINCE)
    assert (figures.received, figures.answered_in_time, figures.answer_due) == (3, 1, 3)
    assert figures.answered_in_time_percent == pytest.approx(33.33, abs=0.01)
    assert figures.median_first_response_hours == 4  # of 2 h and 6 h
    assert figures.median_resolution_hours == 48
    assert figures.callback_satisfaction is None


def test_satisfaction_and_nps_over_all_cards(archive):
    everything = dashboard.feedback_overall(archive["clerk"], SINCE)
    assert everything.cards == 4
    assert everything.satisfaction == pytest.approx(17 / 5)  # 5+4+3+3+2 over five ratings given
    assert everything.nps == -25  # one promoter (10), two detractors (6, 3) of four scores
    own = dashboard.feedback_overall(archive["dealer"], SINCE)
    assert (own.cards, own.satisfaction, own.nps) == (3, 3.75, 0)


def test_the_dealer_scorecard_for_the_clerk(archive, dealer, other_dealer):
    rows = dashboard.dealer_scorecard(archive["clerk"], SINCE)
    assert [(row.code, row.orders, row.complaints, row.complaints_per_100_orders, row.median_first_response_hours,
             row.feedback.satisfaction, row.feedback.nps) for row in rows] == [
        (other_dealer.code, 2, 2, 100, 1, 2, -100),
        (dealer.code, 4, 3, 75, 4, 3.75, 0),
    ]


def test_the_dealer_scorecard_for_the_dealer_has_only_their_row(archive, dealer):
    assert [row.code for row in dashboard.dealer_scorecard(archive["dealer"], SINCE)] == [dealer.code]


def test_complaints_per_week_by_category(archive):
    chart = dashboard.weekly_complaints(archive["clerk"])
    assert chart.weeks[0] == date(2026, 9, 7) and chart.weeks[-1] == date(2026, 11, 23)
    assert chart.series["delivery"] == [0] * 10 + [1, 2]
    assert chart.series["product_quality"] == [0] * 9 + [1, 0, 0]
    assert chart.series["installation"] == [0] * 7 + [1, 0, 0, 0, 0]  # Sunday 1 November: the week of 26 October
    assert "price" not in chart.series  # B0 is older than twelve weeks
    own = dashboard.weekly_complaints(archive["dealer"])
    assert own.series["delivery"] == [0] * 10 + [1, 1] and "installation" not in own.series


def test_customers_by_stage_channel_and_region(archive):
    clerk, dealer_user = archive["clerk"], archive["dealer"]
    assert dashboard.customers_by(clerk, Customer.household_stage) == [("couple", 2), ("single", 1)]
    assert dashboard.customers_by(clerk, Customer.province) == [("广东省", 2), ("上海市", 1)]
    assert dashboard.customers_by(dealer_user, Customer.channel) == [("referral", 1), ("web", 1)]


def test_the_page_shows_the_dealer_their_own_figures(archive, app, other_dealer):
    from tests.conftest import log_in

    client = app.test_client()
    log_in(client, "dealer1")
    page = client.get("/admin/?days=90", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "1 of 3" in page and "33%" in page and "3.8" in page  # own satisfaction 3.75, everyone's 3.4
    assert other_dealer.code not in page
    assert "chart.umd.min.js" in page and 'id="weekly-chart-data"' in page


def test_an_unknown_period_falls_back_to_ninety_days(archive, app):
    from tests.conftest import log_in

    client = app.test_client()
    log_in(client, "clerk")
    page = client.get("/admin/?days=7", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<option value="90" selected>' in page


def test_the_chart_library_is_served_by_the_app(client):
    response = client.get("/admin-assets/vendor/chart.js/chart.umd.min.js")
    assert response.status_code == 200 and b"Chart.js v4" in response.data[:200]
