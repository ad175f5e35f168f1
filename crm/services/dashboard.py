"""The figures on the back office's front page, for a manager to read in one minute. Every
figure counts only what the user may see: a dealer gets their own dealership."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median

from sqlalchemy import case, func, select

from crm import access
from crm.clock import now, today
from crm.extensions import db
from crm.models import Complaint, Customer, Dealer, FeedbackCard, HotlineTicket, Order
from crm.models.choices import OPEN_COMPLAINT_STATUSES, CustomerStatus

PERIODS = (30, 90, 365)
CHART_WEEKS = 12
SCORECARD_ROWS = 20
RATINGS = ("rating_quality", "rating_design", "rating_delivery", "rating_installation", "rating_service")


@dataclass(frozen=True)
class HeadlineFigures:
    customers: int
    actual_customers: int
    open_complaints: int
    tickets_today: int
    cards_this_week: int


@dataclass(frozen=True)
class ServiceFigures:
    """How complaints received in the period were served."""

    received: int
    answered_in_time: int
    answer_due: int  # answered, or past the first-response deadline: the ones that count
    median_first_response_hours: float | None
    median_resolution_hours: float | None
    callback_satisfaction: float | None = None  # mean call-back score (1-5) of these complaints

    @property
    def answered_in_time_percent(self) -> float | None:
        return None if not self.answer_due else 100 * self.answered_in_time / self.answer_due


@dataclass(frozen=True)
class FeedbackFigures:
    cards: int
    satisfaction: float | None  # mean of all ratings given, 1-5
    nps: float | None  # % promoters (9-10) minus % detractors (0-6)


@dataclass(frozen=True)
class DealerScore:
    dealer_id: int
    code: str
    name: str
    orders: int
    complaints: int
    median_first_response_hours: float | None
    feedback: FeedbackFigures

    @property
    def complaints_per_100_orders(self) -> float | None:
        return None if not self.orders else 100 * self.complaints / self.orders


@dataclass(frozen=True)
class WeeklyChart:
    weeks: list[date]  # the Monday of each week
    series: dict[str, list[int]]  # complaint category -> count per week


def scope_key(user) -> str:
    """Users with the same key see the same figures: the maker's staff, or one dealership."""
    return f"dealer-{user.dealer_id}" if access.is_dealer(user) else "all"


def headline_figures(user) -> HeadlineFigures:
    start_of_today = datetime.combine(today(), time.min)
    start_of_week = start_of_today - timedelta(days=today().weekday())
    return HeadlineFigures(
        customers=_count(user, Customer),
        actual_customers=_count(user, Customer, Customer.status == CustomerStatus.ACTUAL.value),
        open_complaints=_count(user, Complaint, Complaint.status.in_(OPEN_COMPLAINT_STATUSES)),
        tickets_today=_count(user, HotlineTicket, HotlineTicket.received_at >= start_of_today),
        cards_this_week=_count(user, FeedbackCard, FeedbackCard.submitted_at >= start_of_week),
    )


def period_start(days: int) -> datetime:
    return datetime.combine(today() - timedelta(days=days - 1), time.min)


def open_complaints(user) -> dict[tuple[str, str], int]:
    """Open complaints counted by (status, severity)."""
    query = (select(Complaint.status, Complaint.severity, func.count())
             .where(Complaint.status.in_(OPEN_COMPLAINT_STATUSES)).group_by(Complaint.status, Complaint.severity))
    return {(status, severity): count for status, severity, count in
            db.session.execute(access.scope(query, Complaint, user))}


def service_figures(user, since: datetime) -> ServiceFigures:
    """Times are clock hours from receipt; cases not yet answered or resolved are left out
    of the medians (and counted against the target once their deadline has passed)."""
    query = access.scope(select(Complaint.received_at, Complaint.first_response_at, Complaint.first_response_due_at,
                                Complaint.resolved_at, Complaint.satisfaction)
                         .where(Complaint.received_at >= since), Complaint, user)
    moment = now()
    received = in_time = due = 0
    first_responses, resolutions, scores = [], [], []
    for received_at, answered_at, answer_due_at, resolved_at, score in db.session.execute(query):
        received += 1
        if score is not None:
            scores.append(score)
        if answered_at is not None:
            first_responses.append(_hours(answered_at - received_at))
        if resolved_at is not None:
            resolutions.append(_hours(resolved_at - received_at))
        if answer_due_at is None:
            continue
        if answered_at is not None or answer_due_at < moment:
            due += 1
            in_time += answered_at is not None and answered_at <= answer_due_at
    return ServiceFigures(received, in_time, due, _median(first_responses), _median(resolutions),
                          sum(scores) / len(scores) if scores else None)


def weekly_complaints(user, weeks: int = CHART_WEEKS) -> WeeklyChart:
    this_monday = today() - timedelta(days=today().weekday())
    mondays = [this_monday - timedelta(weeks=weeks - 1 - n) for n in range(weeks)]
    day = func.date(Complaint.received_at)
    query = access.scope(select(day, Complaint.category, func.count())
                         .where(Complaint.received_at >= datetime.combine(mondays[0], time.min))
                         .group_by(day, Complaint.category), Complaint, user)
    series: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    for received_on, category, count in db.session.execute(query):
        received_on = received_on if isinstance(received_on, date) else date.fromisoformat(str(received_on))
        series[category][(received_on - mondays[0]).days // 7] += count
    return WeeklyChart(mondays, dict(series))


def _feedback_columns():
    given = sum(case((getattr(FeedbackCard, name).is_not(None), 1), else_=0) for name in RATINGS)
    total = sum(func.coalesce(getattr(FeedbackCard, name), 0) for name in RATINGS)
    score = FeedbackCard.recommend_score
    return (func.count(), func.sum(total), func.sum(given), func.sum(case((score.is_not(None), 1), else_=0)),
            func.sum(case((score >= 9, 1), else_=0)), func.sum(case((score <= 6, 1), else_=0)))


def feedback_overall(user, since: datetime) -> FeedbackFigures:
    """Over all the user's cards (not an average of the dealers' averages)."""
    query = access.scope(select(*_feedback_columns()).where(FeedbackCard.submitted_at >= since), FeedbackCard, user)
    return _feedback(*db.session.execute(query).one())


def feedback_by_dealer(user, since: datetime) -> dict[int | None, FeedbackFigures]:
    query = access.scope(select(FeedbackCard.dealer_id, *_feedback_columns())
                         .where(FeedbackCard.submitted_at >= since).group_by(FeedbackCard.dealer_id),
                         FeedbackCard, user)
    return {row[0]: _feedback(*row[1:]) for row in db.session.execute(query)}


def dealer_scorecard(user, since: datetime, limit: int = SCORECARD_ROWS) -> list[DealerScore]:
    """Dealers with orders or complaints in the period, highest complaint rate first."""
    orders = dict(db.session.execute(access.scope(
        select(Order.dealer_id, func.count()).where(Order.ordered_on >= since.date()).group_by(Order.dealer_id),
        Order, user)).all())
    complaint_rows = db.session.execute(access.scope(
        select(Complaint.dealer_id, Complaint.received_at, Complaint.first_response_at)
        .where(Complaint.received_at >= since), Complaint, user)).all()
    complaints: dict[int | None, int] = defaultdict(int)
    responses: dict[int | None, list[float]] = defaultdict(list)
    for dealer_id, received_at, answered_at in complaint_rows:
        complaints[dealer_id] += 1
        if answered_at is not None:
            responses[dealer_id].append(_hours(answered_at - received_at))
    feedback = feedback_by_dealer(user, since)
    dealer_ids = {dealer_id for dealer_id in (*orders, *complaints, *feedback) if dealer_id is not None}
    dealers = db.session.execute(select(Dealer.id, Dealer.code, Dealer.name).where(Dealer.id.in_(dealer_ids))).all()
    scores = [DealerScore(dealer_id, code, name, orders.get(dealer_id, 0), complaints.get(dealer_id, 0),
                          _median(responses.get(dealer_id, [])), feedback.get(dealer_id, _feedback(0, 0, 0, 0, 0, 0)))
              for dealer_id, code, name in dealers]
    scores.sort(key=lambda score: (-(score.complaints_per_100_orders or 0), -score.complaints, score.code))
    return scores[:limit]


def customers_by(user, column) -> list[tuple[str | None, int]]:
    """Customer counts per value of `column` (household stage, channel, province), largest first."""
    query = access.scope(select(column, func.count()).group_by(column), Customer, user)
    return sorted(db.session.execute(query).all(), key=lambda row: (-row[1], row[0] or ""))


def _feedback(cards, rating_sum, ratings, scores, promoters, detractors) -> FeedbackFigures:
    return FeedbackFigures(
        cards=cards or 0,
        satisfaction=(rating_sum / ratings) if ratings else None,
        nps=(100 * (promoters - detractors) / scores) if scores else None,
    )


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _median(values: list[float]) -> float | None:
    return median(values) if values else None


def _count(user, model, *conditions) -> int:
    query = access.scope(select(func.count()).select_from(model).where(*conditions), model, user)
    return db.session.scalar(query) or 0
