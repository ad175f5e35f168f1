"""Hotline tickets follow the complaint's lifecycle: steps, deadlines, escalation, queues,
and what the customer sees on the status page."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.clock import now
from crm.extensions import db
from crm.models import HotlineTicket, User, Visit
from crm.services import intake, lifecycle, records
from crm.services.errors import ServiceError
from tests.conftest import make_user


@pytest.fixture
def clerk(app):
    return make_user("clerk", "clerk")


@pytest.fixture
def ticket(app, customer, dealer):
    item = HotlineTicket(channel="phone", topic="repair", description="抽屉滑轨坏了", contact_name="张伟",
                         mobile=customer.mobile, customer=customer, dealer=dealer)
    records.prepare(item)
    db.session.add(item)
    db.session.commit()
    return item


def step(client, ticket, name, **fields):
    return client.post(f"/admin/hotline_ticket/step/?id={ticket.id}", data={"step": name, **fields},
                       headers={"Accept-Language": "en"}, follow_redirects=True)


def test_a_new_ticket_gets_the_normal_deadlines(ticket):
    assert ticket.status == "new"
    assert ticket.received_at < ticket.first_response_due_at < ticket.resolution_due_at


def test_a_ticket_walks_through_every_step_from_its_page(clerk_client, ticket):
    for name, fields in (("acknowledge", {}), ("start", {}), ("resolve", {"resolution": "更换滑轨"}),
                         ("callback", {"score": "5", "outcome": "满意"}), ("close", {})):
        assert "Saved." in step(clerk_client, ticket, name, **fields).get_data(as_text=True)
    db.session.refresh(ticket)
    assert (ticket.status, ticket.resolution, ticket.satisfaction) == ("closed", "更换滑轨", 5)
    assert ticket.first_response_at is not None and ticket.closed_at is not None
    assert [note.kind for note in ticket.notes] == ["acknowledge", "start", "resolve", "callback", "close"]
    assert db.session.scalar(select(Visit).where(Visit.customer_id == ticket.customer_id)).satisfaction == 5


def test_a_ticket_cannot_close_without_a_callback_or_a_reason(clerk, ticket):
    lifecycle.start_work(ticket, clerk)
    lifecycle.resolve(ticket, clerk, "已修好")
    with pytest.raises(ServiceError):
        lifecycle.close(ticket, clerk)
    lifecycle.close(ticket, clerk, "客户拒绝回访")
    assert ticket.status == "closed" and ticket.close_reason == "客户拒绝回访"


def test_a_refused_ticket_step_uses_the_ticket_wording(clerk_client, ticket):
    page = step(clerk_client, ticket, "close").get_data(as_text=True)
    assert "This step is not possible while the case is Received." in page


def test_the_ticket_form_has_no_status_field(clerk_client, ticket):
    page = clerk_client.get(f"/admin/hotline_ticket/edit/?id={ticket.id}").get_data(as_text=True)
    assert 'name="status"' not in page and 'name="resolved_at"' not in page


def test_a_public_response_is_the_tickets_first_response(clerk_client, ticket):
    clerk_client.post(f"/admin/hotline_ticket/note/?id={ticket.id}", data={"kind": "response", "body": "明天上门"})
    db.session.refresh(ticket)
    assert ticket.first_response_at is not None


def test_the_sweep_escalates_an_unanswered_ticket(ticket, clerk):
    dealer_user = make_user("dealer1", "dealer", dealer=ticket.dealer)
    ticket.assigned_to = dealer_user
    db.session.commit()
    assert lifecycle.sweep(ticket.first_response_due_at + timedelta(minutes=1)) == (0, 1)
    db.session.refresh(ticket)
    assert ticket.escalated_at is not None and ticket.assigned_to_id == clerk.id
    assert [note.kind for note in ticket.notes] == ["escalate"]


def test_a_ticket_turned_into_a_complaint_hands_its_deadlines_over(clerk_client, ticket):
    clerk = db.session.scalar(select(User).where(User.username == "clerk"))
    ticket.topic = "complaint"
    db.session.commit()
    complaint = intake.complaint_from_ticket(ticket, clerk)
    assert ticket.status == "in_progress" and complaint.number in ticket.notes[-1].body
    _, escalated = lifecycle.sweep(ticket.first_response_due_at + timedelta(minutes=1))
    db.session.refresh(ticket)
    assert escalated == 1 and ticket.escalated_at is None  # only the complaint escalated
    listed = clerk_client.get(_queue_url(clerk_client, "overdue")).get_data(as_text=True)
    assert ticket.number not in listed


def test_the_least_busy_clerk_counts_tickets_too(ticket, clerk):
    other = make_user("clerk2", "clerk")
    busy = HotlineTicket(channel="phone", topic="repair", description="x", contact_name="李", mobile="+8613900000001",
                         assigned_to=clerk)
    records.prepare(busy)
    db.session.add(busy)
    db.session.commit()
    lifecycle.sweep(ticket.first_response_due_at + timedelta(minutes=1))
    db.session.refresh(ticket)
    assert ticket.assigned_to_id == other.id


def _queue_url(client, queue: str) -> str:
    return client.get("/admin/hotline_ticket/queue/mine/").location.replace("=mine", f"={queue}")


def test_the_ticket_queues_filter_overdue_and_mine(clerk_client, ticket):
    clerk = db.session.scalar(select(User).where(User.username == "clerk"))
    late = HotlineTicket(channel="phone", topic="repair", description="x", contact_name="李", mobile="+8613900000002",
                         received_at=now() - timedelta(days=10), assigned_to=clerk)
    records.prepare(late)
    db.session.add(late)
    db.session.commit()
    page = clerk_client.get("/admin/hotline_ticket/").get_data(as_text=True)
    assert page.count("sla-overdue") == 1
    overdue = clerk_client.get(_queue_url(clerk_client, "overdue")).get_data(as_text=True)
    assert late.number in overdue and ticket.number not in overdue
    mine = clerk_client.get(_queue_url(clerk_client, "mine")).get_data(as_text=True)
    assert late.number in mine and ticket.number not in mine


def test_the_status_page_follows_the_steps(client, clerk, ticket):
    def codes():
        return [entry.code for entry in intake.public_timeline(ticket)]

    assert codes() == ["received"]
    lifecycle.acknowledge(ticket, clerk)
    assert codes() == ["received", "assigned"]
    lifecycle.resolve(ticket, clerk, "已修好")
    assert codes() == ["received", "assigned", "resolved"]
    lifecycle.reopen(ticket, clerk, "又坏了")
    assert codes() == ["received", "assigned"]


def test_an_answered_ticket_becomes_a_complaint_that_counts_the_answer(clerk, ticket):
    lifecycle.acknowledge(ticket, clerk)
    ticket.topic = "complaint"
    db.session.commit()
    complaint = intake.complaint_from_ticket(ticket, clerk)
    assert complaint.first_response_at == ticket.first_response_at and complaint.assigned_to_id == clerk.id
    assert lifecycle.sweep(complaint.first_response_due_at + timedelta(hours=1)) == (0, 0)
