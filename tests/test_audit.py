"""The audit trail: every create, update and delete is recorded, and nobody can change it."""
import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditEntry, Customer, User
from tests.conftest import make_user


def entries(record_type=None, action=None) -> list[AuditEntry]:
    db.session.rollback()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if record_type:
        query = query.where(AuditEntry.record_type == record_type)
    if action:
        query = query.where(AuditEntry.action == action)
    return db.session.scalars(query).all()


def test_a_back_office_create_records_who_when_where_and_the_values(clerk_client, dealer):
    clerk_client.post("/admin/customer/new/", data={"name": "李娜", "gender": "female", "status": "potential",
                                                    "mobile": "13900001111", "dealer": str(dealer.id)},
                      environ_base={"REMOTE_ADDR": "192.0.2.7"})
    [entry] = entries("customer", "create")
    assert entry.actor == "clerk" and entry.actor_id is not None
    assert entry.address == "192.0.2.7"
    assert entry.at is not None
    assert entry.record_id == db.session.scalar(select(Customer.id))
    assert entry.changes["name"] == [None, "李娜"]
    assert entry.changes["mobile"] == [None, "+8613900001111"]


def test_an_update_records_each_changed_field_before_and_after(clerk_client, customer):
    clerk_client.post(f"/admin/customer/edit/?id={customer.id}", data={
        "name": "张伟", "gender": "male", "status": "lost", "mobile": "13812345678", "city": "广州市",
        "version": customer.version})
    [entry] = entries("customer", "update")
    assert entry.changes["status"] == ["actual", "lost"]
    assert entry.changes["city"] == ["佛山市", "广州市"]
    assert "name" not in entry.changes  # unchanged fields are not listed


def test_a_delete_records_the_values_that_went(clerk_client, customer):
    customer_id = customer.id
    clerk_client.post("/admin/customer/delete/", data={"id": str(customer_id)})
    [entry] = entries("customer", "delete")
    assert entry.record_id == customer_id
    assert entry.changes["name"] == ["张伟", None]


def test_password_hashes_never_reach_the_trail(admin_client):
    admin_client.post("/admin/user/new/", data={"username": "c2", "role": "clerk", "active": "y",
                                                "password": "long-enough-1"})
    entry = entries("user", "create")[-1]
    assert entry.record_label == "c2"
    assert entry.changes["password_hash"] == [None, "***"]


def test_a_command_is_recorded_as_the_command(runner, app, monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    runner.invoke(args=["users", "create", "wang", "--role", "clerk"], input="a-good-password\n")
    [entry] = entries("user", "create")
    assert entry.actor.startswith("command: users create")
    assert entry.address is None


def test_the_demo_seed_leaves_summary_entries(runner, app, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-2026")
    runner.invoke(args=["seed", "demo", "--customers", "20"])
    bulk = [e for e in entries("customer", "create") if e.record_id is None]
    assert bulk and bulk[0].changes["count"] == [None, 20]
    assert bulk[0].actor.startswith("command: seed demo")


def test_public_changes_are_recorded_as_public(client, app):
    """A visitor without a login is "public" (the portal's intake forms write as such)."""
    from crm.services.audit import _actor

    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "198.51.100.1"}):
        assert _actor() == (None, "public", "198.51.100.1")


def test_signing_in_is_not_an_audited_change(client, app):
    make_user("clerk", "clerk")
    before = len(entries())
    client.post("/login", data={"username": "clerk", "password": "correct-horse-42"})
    assert len(entries()) == before


def test_admins_browse_and_filter_the_trail(admin_client, clerk_client, dealer):
    clerk_client.post("/admin/customer/new/", data={"name": "李娜", "gender": "female", "status": "potential"})
    page = admin_client.get("/admin/audit/?search=clerk").get_data(as_text=True)
    assert "李娜" in page
    assert admin_client.get("/admin/audit/?search=nobody-like-this").get_data(as_text=True).count("李娜") == 0


def test_a_records_details_page_shows_its_own_history(admin_client, clerk_client, customer):
    clerk_client.post(f"/admin/customer/edit/?id={customer.id}", data={
        "name": "张伟", "gender": "male", "status": "lost", "mobile": "13812345678", "version": customer.version})
    page = admin_client.get(f"/admin/customer/details/?id={customer.id}",
                            headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "变更记录" in page and "clerk" in page and "lost" in page


def test_clerks_do_not_see_the_trail(clerk_client, customer):
    assert clerk_client.get("/admin/audit/").status_code == 403
    page = clerk_client.get(f"/admin/customer/details/?id={customer.id}",
                            headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "变更记录" not in page


@pytest.mark.parametrize("path", ["/admin/audit/new/", "/admin/audit/edit/?id={id}", "/admin/audit/delete/",
                                  "/admin/audit/action/"])
def test_nobody_can_change_or_delete_audit_entries(admin_client, customer, path):
    entry_id = entries()[0].id
    before = [(e.id, e.changes) for e in entries()]
    response = admin_client.post(path.format(id=entry_id), data={"id": str(entry_id), "rowid": str(entry_id),
                                                                 "action": "delete", "actor": "forged"})
    assert response.status_code == 403
    assert [(e.id, e.changes) for e in entries()] == before


def test_an_audit_entry_outlives_the_user_who_made_it(admin_client, app):
    user_id = make_user("temp", "clerk").id
    admin_client.post("/admin/user/delete/", data={"id": str(user_id)})
    assert db.session.get(User, user_id) is None
    assert entries("user", "delete")[0].changes["username"] == ["temp", None]
