"""The lifecycle of a case (a complaint or a hotline ticket): explicit steps, each stamped
with who and when and written to the case's timeline, and the escalation of unanswered
cases to the maker's service desk."""
from flask_babel import gettext as _
from sqlalchemy import DateTime, bindparam, exists, func, inspect, or_, select, true

from crm.clock import now
from crm.database import write_transaction
from crm.extensions import db
from crm.models import CaseNote, Complaint, HotlineTicket, User, Visit
from crm.models.choices import (
    OPEN_COMPLAINT_STATUSES,
    ComplaintStatus,
    Role,
    Severity,
    TicketStatus,
    VisitChannel,
    VisitPurpose,
)
from crm.services import audit, sla
from crm.services.cases import refuse_control_characters
from crm.services.errors import ServiceError

NEW, ACKNOWLEDGED, IN_PROGRESS, RESOLVED, CLOSED, REOPENED = (
    ComplaintStatus.NEW.value, ComplaintStatus.ACKNOWLEDGED.value, ComplaintStatus.IN_PROGRESS.value,
    ComplaintStatus.RESOLVED.value, ComplaintStatus.CLOSED.value, ComplaintStatus.REOPENED.value)
OPEN = OPEN_COMPLAINT_STATUSES  # new, acknowledged, in progress, reopened
CASE_MODELS = (Complaint, HotlineTicket)
Case = Complaint | HotlineTicket
# Which statuses each step may start from.
STEPS_FROM = {
    "acknowledge": (NEW, REOPENED),
    "start": (NEW, ACKNOWLEDGED, REOPENED),
    "resolve": (ACKNOWLEDGED, IN_PROGRESS, REOPENED),
    "callback": (RESOLVED,),
    "close": (RESOLVED,),
    "reopen": (RESOLVED, CLOSED),
}


def available_steps(case: Case) -> list[str]:
    return [step for step in STEPS_FROM if _possible(case, step)]


def _possible(case: Case, step: str) -> bool:
    return case.status in STEPS_FROM[step] and not (step == "callback" and case.satisfaction is not None)


def _require(case: Case, step: str, check=None) -> None:
    """Lock the case's row (PostgreSQL; SQLite's write lock is taken at BEGIN), then check
    that the step is possible in the state the case has now, not when the page was drawn.
    A refusal ends the transaction, releasing the lock."""
    if inspect(case).persistent:
        db.session.refresh(case, with_for_update=True)
    try:
        if step == "callback" and case.satisfaction is not None and case.status in STEPS_FROM[step]:
            raise ServiceError(_("The call-back is already recorded."))
        if not _possible(case, step):
            raise ServiceError(_("This step is not possible while the case is %(status)s.",
                                 status=_status_label(case)))
        if check is not None:
            check()
    except ServiceError:
        db.session.rollback()
        raise


def _status_label(case: Case) -> str:
    return (TicketStatus if isinstance(case, HotlineTicket) else ComplaintStatus).label_for(case.status)


def _stamp(case: Case, user, step: str, text: str | None = None) -> None:
    case.notes.append(CaseNote(kind=step, public=False, body=text or "", author_id=user.id))


def _first_response(case: Case) -> None:
    if case.first_response_at is None:
        case.first_response_at = now()


def _move(case: Case, user, step: str, status: str, text: str | None = None, answers: bool = True,
          check=None, **fields) -> None:
    """One lifecycle step: check it is allowed now, set the new status and fields, stamp the
    timeline, commit. Steps that `answer` the customer count as the first response."""
    with write_transaction():
        _require(case, step, check)
        case.status = status
        if step in ("acknowledge", "start") and case.assigned_to_id is None:
            case.assigned_to_id = user.id  # whoever takes the case up is responsible for it
        for name, value in fields.items():
            setattr(case, name, value)
        if answers:
            _first_response(case)
        _stamp(case, user, step, text)
        db.session.commit()


def acknowledge(case: Case, user) -> None:
    _move(case, user, "acknowledge", ACKNOWLEDGED)


def start_work(case: Case, user) -> None:
    _move(case, user, "start", IN_PROGRESS)


def resolve(case: Case, user, resolution: str) -> None:
    resolution = (resolution or "").strip()
    if not resolution:
        raise ServiceError(_("Write how it was resolved."))
    refuse_control_characters(resolution)  # PostgreSQL refused a NUL with a server error
    _move(case, user, "resolve", RESOLVED, resolution, resolution=resolution, resolved_at=now())


def record_callback(case: Case, user, score: int | None, outcome: str) -> Visit | None:
    """The satisfaction call-back (回访): a phone visit with a 1-5 score on the customer's
    record (a ticket not yet linked to a customer keeps only the score). Once per case."""
    if score is None or not 1 <= score <= 5:
        raise ServiceError(_("Choose a score from %(low)d to %(high)d.", low=1, high=5))
    outcome = (outcome or "").strip() or None
    refuse_control_characters(outcome)  # PostgreSQL refused a NUL with a server error
    with write_transaction():
        _require(case, "callback")
        visit = None
        if case.customer_id is not None:
            visit = Visit(customer_id=case.customer_id, dealer_id=case.dealer_id, staff_id=user.id,
                          channel=VisitChannel.PHONE.value, purpose=VisitPurpose.FOLLOW_UP.value, happened_at=now(),
                          summary=_("Call-back on %(number)s", number=case.number), outcome=outcome,
                          satisfaction=score)
            db.session.add(visit)
        case.satisfaction = score
        _stamp(case, user, "callback", f"{score}/5 {outcome or ''}".strip())
        db.session.commit()
    return visit


def close(case: Case, user, reason: str | None = None) -> None:
    """Closing needs the call-back, or a recorded reason why none was possible."""
    reason = (reason or "").strip() or None
    refuse_control_characters(reason)  # PostgreSQL refused a NUL with a server error

    def needs_callback_or_reason():
        if case.satisfaction is None and not reason:
            raise ServiceError(_("Record the call-back first, or say why no call-back was possible."))

    _move(case, user, "close", CLOSED, reason, answers=False, check=needs_callback_or_reason, closed_at=now(),
          close_reason=reason)


def reopen(case: Case, user, reason: str) -> None:
    """A reopened case gets a fresh resolution deadline, counted from now."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why it is reopened."))
    refuse_control_characters(reason)  # PostgreSQL refused a NUL with a server error
    _move(case, user, "reopen", REOPENED, reason, answers=False, resolved_at=None, closed_at=None,
          satisfaction=None, resolution_due_at=sla.deadlines(now(), severity_of(case)).resolution)


def first_response_overdue(model, moment):
    """SQL condition: a case of `model` still unanswered after its first-response deadline."""
    return (model.first_response_at.is_(None) & model.first_response_due_at.is_not(None)
            & (model.first_response_due_at < moment))


def is_open(model):
    """SQL condition: the case is open. The statuses are written into the SQL, as in the
    partial index of open cases (crm.models.base.IS_OPEN), so that SQLite uses it."""
    return model.status.in_(bindparam(f"{model.__tablename__}_open", list(OPEN), expanding=True,
                                      literal_execute=True))


def tracked(model):
    """SQL condition: cases whose service levels count. A ticket turned into a complaint
    hands its deadlines over to that complaint."""
    return model.complaint_id.is_(None) if model is HotlineTicket else true()


def severity_of(case: Case) -> str:
    return getattr(case, "severity", None) or Severity.NORMAL.value


def sweep(moment=None) -> tuple[int, int]:
    """Give deadlines to cases without them, and hand every case whose dealer let the
    first-response window pass to the maker's service desk. Returns (dated, escalated)."""
    moment = moment or now()
    dated = 0
    with write_transaction():
        for model in CASE_MODELS:
            undated = db.session.scalars(select(model).where(model.first_response_due_at.is_(None))).all()
            for case in undated:
                due = sla.deadlines(case.received_at, severity_of(case))
                case.first_response_due_at, case.resolution_due_at = due.first_response, due.resolution
            dated += len(undated)
        db.session.flush()
        escalated = _escalate_overdue(moment)
        db.session.commit()
    return dated, escalated


def escalate_on_read(moment=None) -> int:
    """Escalation when a list, queue or dashboard is read, so that they are right even if the
    scheduled sweep has not run yet. One indexed lookup when nothing is due."""
    moment = moment or now()
    if not db.session.scalar(_ANYTHING_DUE, {"moment": moment}):
        return 0
    db.session.commit()  # end the read transaction, so that the write lock is taken from the start
    with write_transaction(), audit.acting_as_command("automatic escalation"):
        escalated = _escalate_overdue(moment)
        db.session.commit()
    return escalated


def _awaiting_escalation(model, moment):
    return (first_response_overdue(model, moment) & tracked(model) & model.escalated_at.is_(None)
            & is_open(model))


# Built once: every case list and the dashboard ask it, and building it cost more than running it.
_ANYTHING_DUE = select(or_(*(exists().where(_awaiting_escalation(model, bindparam("moment", type_=DateTime)))
                             for model in CASE_MODELS)))


def _escalate_overdue(moment) -> int:
    count = 0
    for model in CASE_MODELS:
        # Rows another process is escalating right now are skipped, not escalated twice.
        awaiting = select(model).where(_awaiting_escalation(model, moment)).with_for_update(skip_locked=True)
        for case in db.session.scalars(awaiting).all():
            _escalate(case, moment)
            count += 1
    return count


def _escalate(case: Case, moment) -> None:
    case.escalated_at = moment
    if case.assigned_to is None or case.assigned_to.role == Role.DEALER.value:
        case.assigned_to = _least_busy_clerk()
    # The body is the missed deadline; the page words it in the reader's language.
    case.notes.append(CaseNote(kind="escalate", public=False, author_id=None,
                               body=case.first_response_due_at.strftime("%Y-%m-%d %H:%M")))


def _least_busy_clerk() -> User | None:
    """The active clerk with the fewest open complaints and tickets."""
    complaints, tickets = (select(func.count(model.id)).where(model.assigned_to_id == User.id,
                                                              model.status.in_(OPEN)).scalar_subquery()
                           for model in CASE_MODELS)
    return db.session.scalars(select(User).where(User.role == Role.CLERK.value, User.active.is_(True))
                              .order_by(complaints + tickets, User.id)).first()
