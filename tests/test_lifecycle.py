"""The complaint lifecycle: explicit steps with their rules, deadlines, escalation, queues."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from crm.clock import now
from crm.extensions import db
from crm.models import CaseNote, Complaint, User, Visit
from crm.services import lifecycle
from crm.services.errors import ServiceError
from tests.conftest import make_user


@pytest.fixture
def clerk(app):
    return make_user("clerk", "clerk")


@pytest.fixture
def complaint(app, customer, dealer):
    item = Complaint(number="TS-1", customer=customer, dealer=dealer, category="delivery", severity="normal",
                     description="送货延误", received_at=now())
    from crm.services import records

    records.prepare(item)
    db.session.add(item)
    db.session.commit()
    return item


def kinds(complaint) -> list[str]:
    db.session.refresh(complaint)
    return [note.kind for note in complaint.notes]


def test_a_new_complaint_gets_its_deadlines(complaint):
    assert complaint.first_response_due_at > complaint.received_at
    assert complaint.resolution_due_at > complaint.first_response_due_at


def test_the_full_lifecycle_stamps_every_step(complaint, clerk):
    lifecycle.acknowledge(complaint, clerk)
    assert complaint.status == "acknowledged" and complaint.first_response_at is not None
    lifecycle.start_work(complaint, clerk)
    lifecycle.resolve(complaint, clerk, "更换坐垫")
    assert complaint.resolved_at is not None and complaint.resolution == "更换坐垫"
    visit = lifecycle.record_callback(complaint, clerk, 5, "很满意")
    assert (visit.satisfaction, visit.purpose, visit.staff_id) == (5, "follow_up", clerk.id)
    lifecycle.close(complaint, clerk)
    assert complaint.status == "closed" and complaint.closed_at is not None
    assert kinds(complaint) == ["acknowledge", "start", "resolve", "callback", "close"]
    assert all(note.author_id == clerk.id for note in complaint.notes)


def test_closing_without_a_call_back_needs_a_reason(complaint, clerk):
    lifecycle.start_work(complaint, clerk)
    lifecycle.resolve(complaint, clerk, "已修复")
    with pytest.raises(ServiceError):
        lifecycle.close(complaint, clerk)
    lifecycle.close(complaint, clerk, "客户电话停机，三次未接通")
    assert complaint.close_reason == "客户电话停机，三次未接通"


def test_resolving_needs_a_resolution(complaint, clerk):
    lifecycle.start_work(complaint, clerk)
    with pytest.raises(ServiceError):
        lifecycle.resolve(complaint, clerk, "  ")
    assert complaint.status == "in_progress"


def test_steps_out_of_order_are_refused(complaint, clerk):
    for step in (lambda: lifecycle.close(complaint, clerk, "x"),
                 lambda: lifecycle.record_callback(complaint, clerk, 4, ""),
                 lambda: lifecycle.reopen(complaint, clerk, "x")):
        with pytest.raises(ServiceError):
            step()
    assert complaint.status == "new"


def test_reopening_needs_a_reason_and_clears_the_resolution_time(complaint, clerk):
    lifecycle.start_work(complaint, clerk)
    lifecycle.resolve(complaint, clerk, "已修复")
    lifecycle.record_callback(complaint, clerk, 2, "又坏了")
    lifecycle.reopen(complaint, clerk, "回访不满意")
    assert (complaint.status, complaint.resolved_at, complaint.satisfaction) == ("reopened", None, None)


def test_a_public_response_is_the_first_response(complaint, clerk):
    from crm.services import cases

    cases.add_note(complaint, clerk, "progress", "内部记录")
    assert complaint.first_response_at is None
    cases.add_note(complaint, clerk, "response", "已安排上门")
    assert complaint.first_response_at is not None


def test_the_sweep_passes_an_unanswered_complaint_to_the_desk(complaint, clerk):
    dealer_user = make_user("dealer1", "dealer", dealer=complaint.dealer)
    complaint.assigned_to = dealer_user
    db.session.commit()
    dated, escalated = lifecycle.sweep(complaint.first_response_due_at + timedelta(minutes=1))
    assert escalated == 1
    db.session.refresh(complaint)
    assert complaint.escalated_at is not None and complaint.assigned_to_id == clerk.id
    assert complaint.dealer_id is not None  # the dealer keeps seeing it
    assert kinds(complaint) == ["escalate"]
    assert lifecycle.sweep(complaint.first_response_due_at + timedelta(hours=1)) == (0, 0)


def test_the_sweep_leaves_answered_and_not_yet_due_complaints_alone(complaint, clerk):
    assert lifecycle.sweep(complaint.first_response_due_at - timedelta(minutes=1)) == (0, 0)
    lifecycle.acknowledge(complaint, clerk)
    assert lifecycle.sweep(complaint.first_response_due_at + timedelta(days=1)) == (0, 0)


def test_the_sweep_dates_complaints_that_lack_deadlines(complaint):
    complaint.first_response_due_at = complaint.resolution_due_at = None
    db.session.commit()
    assert lifecycle.sweep(complaint.received_at)[0] == 1
    assert complaint.first_response_due_at is not None


def test_the_sweep_command(runner, complaint, clerk, monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    complaint.received_at = datetime(2026, 1, 5, 9, 0)
    complaint.first_response_due_at = datetime(2026, 1, 6, 9, 0)
    db.session.commit()
    result = runner.invoke(args=["sla", "sweep"])
    assert "Passed to the service desk: 1" in result.output


def test_severity_changes_move_the_deadlines(clerk_client, complaint):
    before = complaint.first_response_due_at
    clerk_client.post(f"/admin/complaint/edit/?id={complaint.id}", data={
        "customer": str(complaint.customer_id), "channel": "hotline", "category": "delivery", "severity": "critical",
        "description": "送货延误", "received_at": complaint.received_at.strftime("%Y-%m-%d %H:%M:%S"),
        "version": complaint.version})
    db.session.refresh(complaint)
    assert complaint.severity == "critical" and complaint.first_response_due_at < before


def test_the_steps_run_from_the_complaint_page(clerk_client, complaint):
    clerk_client.post(f"/admin/complaint/step/?id={complaint.id}", data={"step": "start"})
    clerk_client.post(f"/admin/complaint/step/?id={complaint.id}", data={"step": "resolve", "resolution": "换新"})
    clerk_client.post(f"/admin/complaint/step/?id={complaint.id}", data={"step": "callback", "score": "4"})
    clerk_client.post(f"/admin/complaint/step/?id={complaint.id}", data={"step": "close"})
    db.session.refresh(complaint)
    assert complaint.status == "closed" and complaint.satisfaction == 4
    assert db.session.scalar(select(Visit).where(Visit.satisfaction == 4)) is not None


def test_a_refused_step_says_why(clerk_client, complaint):
    response = clerk_client.post(f"/admin/complaint/step/?id={complaint.id}", data={"step": "close"},
                                 headers={"Accept-Language": "en"}, follow_redirects=True)
    assert "This step is not possible" in response.get_data(as_text=True)


def test_the_status_cannot_be_edited_freely(clerk_client, complaint):
    page = clerk_client.get(f"/admin/complaint/edit/?id={complaint.id}").get_data(as_text=True)
    assert 'name="status"' not in page


def test_dealers_see_the_step_buttons_on_their_own_complaints(dealer_client, complaint):
    page = dealer_client.get(f"/admin/complaint/details/?id={complaint.id}").get_data(as_text=True)
    assert "/admin/complaint/step/" in page


def test_overdue_rows_are_marked_and_the_queues_filter(clerk_client, complaint, customer):
    clerk = db.session.scalar(select(User).where(User.username == "clerk"))
    late = Complaint(number="TS-LATE", customer=customer, category="delivery", description="x",
                     received_at=now() - timedelta(days=10), first_response_due_at=now() - timedelta(days=9),
                     resolution_due_at=now() - timedelta(days=3), assigned_to=clerk)
    db.session.add(late)
    db.session.commit()
    page = clerk_client.get("/admin/complaint/").get_data(as_text=True)
    assert page.count("sla-overdue") == 1
    mine = clerk_client.get("/admin/complaint/queue/mine/")
    listed = clerk_client.get(mine.location).get_data(as_text=True)
    assert "TS-LATE" in listed and "TS-1<" not in listed
    url = mine.location.replace("=mine", "=unassigned")
    unassigned = clerk_client.get(url).get_data(as_text=True)
    assert "TS-1" in unassigned and "TS-LATE" not in unassigned
    overdue = clerk_client.get(mine.location.replace("=mine", "=overdue")).get_data(as_text=True)
    assert "TS-LATE" in overdue and ">TS-1<" not in overdue


def test_every_clerk_step_is_recorded_in_the_audit_trail(complaint, clerk):
    from crm.models import AuditEntry

    lifecycle.acknowledge(complaint, clerk)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.record_type == "complaint",
                                                          AuditEntry.action == "update")).all()
    assert any(entry.changes.get("status") == ["new", "acknowledged"] for entry in entries)
    assert db.session.scalar(select(CaseNote).where(CaseNote.kind == "acknowledge")).author_id == clerk.id


@pytest.fixture
def overdue_with_dealer(complaint):
    dealer_user = make_user("dealer1", "dealer", dealer=complaint.dealer)
    complaint.assigned_to = dealer_user
    complaint.received_at = now() - timedelta(days=3)
    complaint.first_response_due_at = now() - timedelta(hours=1)
    db.session.commit()
    return complaint


@pytest.mark.parametrize("page", ["/admin/complaint/", "/admin/complaint/details/?id={id}", "/admin/"])
def test_reading_a_list_escalates_what_the_sweep_has_not_yet(clerk_client, overdue_with_dealer, page):
    clerk_client.get(page.format(id=overdue_with_dealer.id))
    db.session.refresh(overdue_with_dealer)
    clerk = db.session.scalar(select(User).where(User.username == "clerk"))
    assert overdue_with_dealer.escalated_at is not None and overdue_with_dealer.assigned_to_id == clerk.id


def test_escalation_on_read_is_recorded_as_automatic_not_as_the_reader(clerk_client, overdue_with_dealer):
    from crm.models import AuditEntry

    clerk_client.get("/admin/complaint/")
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.record_type == "complaint")).all()
    escalation = next(entry for entry in entries if "escalated_at" in entry.changes)
    assert escalation.actor.startswith("command: automatic escalation") and escalation.actor_id is None


def test_reading_with_nothing_overdue_writes_nothing(clerk_client, complaint):
    from tests.conftest import recorded_statements

    with recorded_statements(db.engine) as statements:
        clerk_client.get("/admin/complaint/")
    assert not [sql for sql in statements if sql.lstrip().upper().startswith(("UPDATE", "INSERT"))]


def test_the_callback_is_recorded_once(complaint, clerk):
    lifecycle.start_work(complaint, clerk)
    lifecycle.resolve(complaint, clerk, "已修复")
    lifecycle.record_callback(complaint, clerk, 4, "满意")
    assert "callback" not in lifecycle.available_steps(complaint)
    with pytest.raises(ServiceError):
        lifecycle.record_callback(complaint, clerk, 5, "再来一次")
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1 and complaint.satisfaction == 4


def test_a_reopened_complaint_gets_a_fresh_resolution_deadline(complaint, clerk):
    complaint.resolution_due_at = now() - timedelta(days=1)
    db.session.commit()
    lifecycle.start_work(complaint, clerk)
    lifecycle.resolve(complaint, clerk, "已修复")
    lifecycle.reopen(complaint, clerk, "又坏了")
    assert complaint.resolution_due_at > now()


def test_the_dealer_answers_first_with_the_steps(dealer_client, complaint):
    response = dealer_client.post(f"/admin/complaint/step/?id={complaint.id}", data={"step": "acknowledge"})
    db.session.refresh(complaint)
    assert response.status_code == 302 and complaint.status == "acknowledged"
    assert complaint.first_response_at is not None


def test_escalation_notes_are_worded_for_each_reader(clerk_client, overdue_with_dealer):
    lifecycle.sweep()
    url = f"/admin/complaint/details/?id={overdue_with_dealer.id}"
    english = clerk_client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    chinese = clerk_client.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "No first response before" in english and "passed to the service desk" not in chinese
