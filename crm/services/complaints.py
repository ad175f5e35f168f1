"""The complaint lifecycle: explicit steps, each stamped with who and when and written to
the complaint's timeline, and the escalation of unanswered complaints to the maker's desk."""
from flask_babel import gettext as _
from sqlalchemy import func, select

from crm.clock import now
from crm.database import write_transaction
from crm.extensions import db
from crm.models import CaseNote, Complaint, User, Visit
from crm.models.choices import ComplaintStatus, Role, VisitChannel, VisitPurpose
from crm.services import sla
from crm.services.errors import ServiceError

NEW, ACKNOWLEDGED, IN_PROGRESS, RESOLVED, CLOSED, REOPENED = (
    ComplaintStatus.NEW.value, ComplaintStatus.ACKNOWLEDGED.value, ComplaintStatus.IN_PROGRESS.value,
    ComplaintStatus.RESOLVED.value, ComplaintStatus.CLOSED.value, ComplaintStatus.REOPENED.value)
OPEN = (NEW, ACKNOWLEDGED, IN_PROGRESS, REOPENED)
# Which statuses each step may start from.
STEPS_FROM = {
    "acknowledge": (NEW, REOPENED),
    "start": (NEW, ACKNOWLEDGED, REOPENED),
    "resolve": (ACKNOWLEDGED, IN_PROGRESS, REOPENED),
    "callback": (RESOLVED,),
    "close": (RESOLVED,),
    "reopen": (RESOLVED, CLOSED),
}


def available_steps(complaint: Complaint) -> list[str]:
    return [step for step, origins in STEPS_FROM.items() if complaint.status in origins]


def _require(complaint: Complaint, step: str) -> None:
    if complaint.status not in STEPS_FROM[step]:
        raise ServiceError(_("This step is not possible while the complaint is %(status)s.",
                             status=ComplaintStatus.label_for(complaint.status)))


def _stamp(complaint: Complaint, user, step: str, text: str | None = None) -> None:
    complaint.notes.append(CaseNote(kind=step, public=False, body=text or "", author_id=user.id))


def _first_response(complaint: Complaint) -> None:
    if complaint.first_response_at is None:
        complaint.first_response_at = now()


def _move(complaint: Complaint, user, step: str, status: str, text: str | None = None, answers: bool = True,
          **fields) -> None:
    """One lifecycle step: check it is allowed now, set the new status and fields, stamp the
    timeline, commit. Steps that `answer` the customer count as the first response."""
    _require(complaint, step)
    with write_transaction():
        complaint.status = status
        for name, value in fields.items():
            setattr(complaint, name, value)
        if answers:
            _first_response(complaint)
        _stamp(complaint, user, step, text)
        db.session.commit()


def acknowledge(complaint: Complaint, user) -> None:
    _move(complaint, user, "acknowledge", ACKNOWLEDGED)


def start_work(complaint: Complaint, user) -> None:
    _move(complaint, user, "start", IN_PROGRESS)


def resolve(complaint: Complaint, user, resolution: str) -> None:
    _require(complaint, "resolve")
    resolution = (resolution or "").strip()
    if not resolution:
        raise ServiceError(_("Write how the complaint was resolved."))
    _move(complaint, user, "resolve", RESOLVED, resolution, resolution=resolution, resolved_at=now())


def record_callback(complaint: Complaint, user, score: int | None, outcome: str) -> Visit:
    """The satisfaction call-back (回访): a phone visit with a 1-5 score."""
    _require(complaint, "callback")
    if score is None or not 1 <= score <= 5:
        raise ServiceError(_("Choose a score from %(low)d to %(high)d.", low=1, high=5))
    with write_transaction():
        visit = Visit(customer_id=complaint.customer_id, dealer_id=complaint.dealer_id, staff_id=user.id,
                      channel=VisitChannel.PHONE.value, purpose=VisitPurpose.FOLLOW_UP.value, happened_at=now(),
                      summary=_("Call-back on complaint %(number)s", number=complaint.number),
                      outcome=(outcome or "").strip() or None, satisfaction=score)
        db.session.add(visit)
        complaint.satisfaction = score
        _stamp(complaint, user, "callback", f"{score}/5 {visit.outcome or ''}".strip())
        db.session.commit()
    return visit


def close(complaint: Complaint, user, reason: str | None = None) -> None:
    """Closing needs the call-back, or a recorded reason why none was possible."""
    _require(complaint, "close")
    reason = (reason or "").strip() or None
    if complaint.satisfaction is None and not reason:
        raise ServiceError(_("Record the call-back first, or say why no call-back was possible."))
    _move(complaint, user, "close", CLOSED, reason, answers=False, closed_at=now(), close_reason=reason)


def reopen(complaint: Complaint, user, reason: str) -> None:
    _require(complaint, "reopen")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the complaint is reopened."))
    _move(complaint, user, "reopen", REOPENED, reason, answers=False, resolved_at=None, closed_at=None,
          satisfaction=None)


def first_response_overdue(moment):
    """SQL condition: still unanswered after its first-response deadline."""
    return (Complaint.first_response_at.is_(None) & Complaint.first_response_due_at.is_not(None)
            & (Complaint.first_response_due_at < moment))


def sweep(moment=None) -> tuple[int, int]:
    """Give deadlines to complaints without them, and hand every complaint whose dealer let
    the first-response window pass to the maker's service desk. Returns (dated, escalated)."""
    moment = moment or now()
    with write_transaction():
        undated = db.session.scalars(select(Complaint).where(Complaint.first_response_due_at.is_(None))).all()
        for complaint in undated:
            due = sla.deadlines(complaint.received_at, complaint.severity)
            complaint.first_response_due_at, complaint.resolution_due_at = due.first_response, due.resolution
        db.session.flush()
        overdue = db.session.scalars(select(Complaint).where(
            first_response_overdue(moment), Complaint.escalated_at.is_(None), Complaint.status.in_(OPEN))).all()
        for complaint in overdue:
            _escalate(complaint, moment)
        db.session.commit()
    return len(undated), len(overdue)


def _escalate(complaint: Complaint, moment) -> None:
    complaint.escalated_at = moment
    if complaint.assigned_to is None or complaint.assigned_to.role == Role.DEALER.value:
        complaint.assigned_to = _least_busy_clerk()
    complaint.notes.append(CaseNote(kind="escalate", public=False, author_id=None,
                                    body=_("No first response before %(due)s: passed to the service desk.",
                                           due=complaint.first_response_due_at.strftime("%Y-%m-%d %H:%M"))))


def _least_busy_clerk() -> User | None:
    open_count = (select(func.count(Complaint.id)).where(Complaint.assigned_to_id == User.id,
                                                         Complaint.status.in_(OPEN)).scalar_subquery())
    return db.session.scalars(select(User).where(User.role == Role.CLERK.value, User.active.is_(True))
                              .order_by(open_count, User.id)).first()
