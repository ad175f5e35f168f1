"""Duplicate customers: the finder's rules, the side-by-side preview, and the merge that
moves everything to the kept record and leaves a trace."""
from datetime import date

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditEntry, Complaint, Customer, FeedbackCard, HotlineTicket, Order, Visit
from crm.services import duplicates
from crm.clock import now
from tests.conftest import make_user

EN = {"Accept-Language": "en"}


def person(name, mobile=None, address=None, dealer=None, **fields):
    customer = Customer(name=name, mobile=mobile, address=address, dealer=dealer, **fields)
    db.session.add(customer)
    db.session.commit()
    return customer


@pytest.fixture
def clerk(app):
    return make_user("clerk9", "clerk")


def found(user) -> list[tuple[str, str, str]]:
    return [(pair.keep.name, pair.other.name, pair.reason) for pair in duplicates.likely_duplicates(user)]


def test_the_same_mobile_number_makes_a_pair(app, dealer, clerk):
    person("王芳", "+8613800000001", dealer=dealer)
    person("王 芳", "+8613800000001", dealer=dealer)
    person("李娜", "+8613800000002", dealer=dealer)
    assert found(clerk) == [("王芳", "王 芳", "phone")]


def test_a_similar_name_at_the_same_address_makes_a_pair(app, dealer, clerk):
    person("王芳", address="天河路 1 号", dealer=dealer)
    person("汪芳", address="天河路1号", dealer=dealer)  # one character apart
    person("李娜", address="天河路1号", dealer=dealer)  # same address, another person
    assert found(clerk) == [("王芳", "汪芳", "name_address")]


@pytest.mark.parametrize("first, second, alike", [
    ("王芳", "王 芳", True), ("王芳", "汪芳", True), ("张伟", "李娜", False), ("王芳", "王芳芳", False),
    ("", "王芳", False), ("Li Na", "li na", True)])
def test_similar_names(first, second, alike):
    assert duplicates.similar_names(first, second) is alike


def test_the_preview_shows_both_records_and_what_would_move(app, dealer, product, clerk):
    keep = person("王芳", "+8613800000001", dealer=dealer)
    other = person("王芳", "+8613800000001", address="天河路1号", email="wf@example.cn", dealer=dealer)
    db.session.add(Order(order_number="SO-1", customer=other, ordered_on=date(2026, 1, 1)))
    db.session.commit()
    plan = duplicates.preview(keep, other)
    after = {name: merged for name, _kept, _other, merged in plan.fields}
    assert after["address"] == "天河路1号" and after["email"] == "wf@example.cn"
    assert plan.moving[0][1] == 1 and all(n == 0 for _kind, n in plan.moving[1:])  # the order, nothing else


def test_merging_moves_everything_and_deletes_the_other_record(app, dealer, product, clerk):
    keep = person("王芳", "+8613800000001", dealer=dealer, status="potential")
    other = person("王芳", "+8613800000001", address="天河路1号", dealer=dealer, status="actual",
                   consent_to_contact=True, consent_at=now())
    referred = person("介绍来的", dealer=dealer, referred_by=other)
    db.session.add_all([
        Order(order_number="SO-1", customer=other, ordered_on=date(2026, 1, 1)),
        Visit(customer=other, channel="phone", purpose="follow_up", happened_at=now()),
        Complaint(number="TS-1", customer=other, category="delivery", description="x", received_at=now()),
        HotlineTicket(number="RX-1", topic="repair", description="x", contact_name="王芳", mobile="+8613800000001",
                      customer=other, received_at=now()),
        FeedbackCard(reference="FK-1", customer=other, submitted_at=now()),
    ])
    db.session.commit()
    other_id = other.id
    duplicates.merge(keep, other)
    db.session.expire_all()
    assert db.session.get(Customer, other_id) is None
    for model in (Order, Visit, Complaint, HotlineTicket, FeedbackCard):
        assert db.session.scalar(select(model.customer_id)) == keep.id, model.__name__
    assert db.session.get(Customer, referred.id).referred_by_id == keep.id
    kept = db.session.get(Customer, keep.id)
    assert (kept.address, kept.status, kept.consent_to_contact) == ("天河路1号", "actual", True)


def test_the_merge_leaves_a_trace_naming_both_records(app, dealer, clerk):
    keep = person("王芳", "+8613800000001", dealer=dealer)
    other = person("王芳", "+8613800000001", dealer=dealer)
    other_id = other.id
    duplicates.merge(keep, other)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.record_type == "customer")).all()
    merge_entry = next(entry for entry in entries if "merged_from" in entry.changes)
    assert merge_entry.record_id == keep.id and merge_entry.changes["merged_from"] == [other_id, keep.id]
    assert any(entry.action == "delete" and entry.record_id == other_id for entry in entries)


def test_a_customer_cannot_be_merged_into_itself(app, dealer):
    from crm.services.errors import ServiceError

    keep = person("王芳", "+8613800000001", dealer=dealer)
    with pytest.raises(ServiceError):
        duplicates.merge(keep, keep)


# Through the back office ---------------------------------------------------------------------
def test_a_clerk_finds_compares_and_merges(clerk_client, dealer):
    keep = person("王芳", "+8613800000001", dealer=dealer)
    other = person("王芳", "+8613800000001", address="天河路1号", dealer=dealer)
    listing = clerk_client.get("/admin/duplicates/", headers=EN).get_data(as_text=True)
    assert f"/admin/duplicates/compare/?keep={keep.id}&amp;other={other.id}" in listing
    page = clerk_client.get(f"/admin/duplicates/compare/?keep={keep.id}&other={other.id}", headers=EN)
    assert "Keep the other record instead" in page.get_data(as_text=True)
    keep_id, other_id = keep.id, other.id
    response = clerk_client.post("/admin/duplicates/merge/", data={"keep": keep_id, "other": other_id})
    assert response.status_code == 302 and response.location.endswith(f"/admin/customer/details/?id={keep_id}")
    assert db.session.scalar(select(Customer.id).where(Customer.id == other_id)) is None


def test_dealers_do_not_merge(dealer_client, dealer):
    keep = person("王芳", "+8613800000001", dealer=dealer)
    other = person("王芳", "+8613800000001", dealer=dealer)
    assert dealer_client.get("/admin/duplicates/").status_code == 403
    assert dealer_client.post("/admin/duplicates/merge/", data={"keep": keep.id, "other": other.id}).status_code == 403


def test_anonymous_visitors_are_sent_to_login(client):
    assert client.get("/admin/duplicates/").status_code == 302


def test_unknown_ids_answer_404(clerk_client):
    assert clerk_client.get("/admin/duplicates/compare/?keep=1&other=abc").status_code == 404


def test_customers_of_different_dealers_are_never_paired_or_merged(app, dealer, other_dealer, clerk):
    from crm.services.errors import ServiceError

    own = person("王芳", "+8613800000001", dealer=dealer)
    other = person("王芳", "+8613800000001", dealer=other_dealer)
    assert found(clerk) == []
    with pytest.raises(ServiceError):
        duplicates.merge(own, other)


def test_a_placeholder_shared_by_many_is_not_a_duplicate(app, dealer, clerk):
    for i in range(duplicates.MAX_GROUP + 1):
        person(f"客户{i}", "+8613800000001", dealer=dealer)
    assert found(clerk) == []


def test_the_comparison_shows_labels_not_codes(clerk_client, dealer):
    keep = person("王芳", "+8613800000001", dealer=dealer, household_stage="couple")
    other = person("王芳", "+8613800000001", dealer=dealer)
    page = clerk_client.get(f"/admin/duplicates/compare/?keep={keep.id}&other={other.id}",
                            headers=EN).get_data(as_text=True)
    assert "Couple" in page and ">couple<" not in page and dealer.name in page
