"""Lost updates: two people edit the same record; the second save, made from the version
both opened, is refused with what the first changed, keeps what the second typed, and
saving again applies it. The first edit survives."""
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm.extensions import db
from crm.models import AuditEntry, Customer
from crm.models.choices import Role
from tests.conftest import logged_in_client

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def first_clerk(app):
    return logged_in_client(app, "wang", Role.CLERK.value)


@pytest.fixture
def second_clerk(app):
    return logged_in_client(app, "li", Role.CLERK.value)


def customer_form(customer, **changes) -> dict:
    """The customer's edit form as its page shows it, with the user's changes typed in."""
    form = {"name": customer.name, "gender": customer.gender, "status": customer.status,
            "mobile": (customer.mobile or "")[3:], "city": customer.city or "", "address": customer.address or "",
            "dealer": str(customer.dealer_id or ""), "version": str(customer.version)}
    return {**form, **changes}


def save(client, customer_id, form):
    return client.post(f"/admin/customer/edit/?id={customer_id}", data=form, headers=ZH)


def stored(customer_id) -> Customer:
    db.session.rollback()  # a fresh read, not the test's earlier snapshot
    return db.session.get(Customer, customer_id)


def test_the_edit_form_carries_the_version_it_shows(first_clerk, customer):
    page = first_clerk.get(f"/admin/customer/edit/?id={customer.id}").get_data(as_text=True)
    assert f'name="version" type="hidden" value="{customer.version}"' in page


def test_each_save_raises_the_version(first_clerk, customer):
    before = customer.version
    assert save(first_clerk, customer.id, customer_form(customer, city="广州市")).status_code == 302
    assert stored(customer.id).version == before + 1


def test_a_save_from_an_older_version_is_refused_and_the_first_edit_survives(first_clerk, second_clerk, customer):
    opened = customer_form(customer)
    save(first_clerk, customer.id, {**opened, "city": "广州市"})
    response = save(second_clerk, customer.id, {**opened, "address": "天河路1号"})
    assert response.status_code == 200
    assert (stored(customer.id).city, stored(customer.id).address) == ("广州市", None)


def test_the_refusal_says_who_saved_in_between(first_clerk, second_clerk, customer):
    opened = customer_form(customer)
    save(first_clerk, customer.id, {**opened, "city": "广州市"})
    page = save(second_clerk, customer.id, {**opened, "address": "天河路1号"}).get_data(as_text=True)
    assert "wang" in page and "您的修改尚未保存" in page


def test_the_refused_form_keeps_what_the_second_person_typed(first_clerk, second_clerk, customer):
    opened = customer_form(customer)
    save(first_clerk, customer.id, {**opened, "city": "广州市"})
    page = save(second_clerk, customer.id, {**opened, "address": "天河路1号"}).get_data(as_text=True)
    assert 'value="天河路1号"' in page


def test_a_field_both_changed_keeps_the_second_entry_and_shows_the_first(first_clerk, second_clerk, customer):
    opened = customer_form(customer)
    save(first_clerk, customer.id, {**opened, "city": "广州市"})
    page = save(second_clerk, customer.id, {**opened, "city": "深圳市"}).get_data(as_text=True)
    assert 'value="深圳市"' in page
    assert "wang 在" in page and "“广州市”" in page


def test_a_field_only_the_first_changed_shows_the_first_persons_value(first_clerk, second_clerk, customer):
    opened = customer_form(customer)
    save(first_clerk, customer.id, {**opened, "city": "广州市"})
    page = save(second_clerk, customer.id, {**opened, "address": "天河路1号"}).get_data(as_text=True)
    assert 'value="广州市"' in page and 'value="佛山市"' not in page


def test_the_refused_form_moves_to_the_stored_version(first_clerk, second_clerk, customer):
    opened = customer_form(customer)
    save(first_clerk, customer.id, {**opened, "city": "广州市"})
    page = save(second_clerk, customer.id, {**opened, "address": "天河路1号"}).get_data(as_text=True)
    assert f'name="version" type="hidden" value="{stored(customer.id).version}"' in page


def test_saving_the_refused_form_again_applies_the_second_edit_and_keeps_the_first(first_clerk, second_clerk,
                                                                                    customer):
    opened = customer_form(customer)
    save(first_clerk, customer.id, {**opened, "city": "广州市"})
    save(second_clerk, customer.id, {**opened, "address": "天河路1号"})
    reapplied = customer_form(stored(customer.id), address="天河路1号")
    assert save(second_clerk, customer.id, reapplied).status_code == 302
    assert (stored(customer.id).city, stored(customer.id).address) == ("广州市", "天河路1号")


def test_a_form_without_a_version_is_refused(first_clerk, customer):
    form = {key: value for key, value in customer_form(customer, city="广州市").items() if key != "version"}
    assert save(first_clerk, customer.id, form).status_code == 200
    assert stored(customer.id).city == "佛山市"


def test_a_change_saved_without_the_trail_is_still_refused_with_a_general_message(first_clerk, customer):
    opened = customer_form(customer)
    db.session.execute(update(Customer).where(Customer.id == customer.id)
                       .values(notes="批量更新", version=Customer.version + 1))
    db.session.commit()
    page = save(first_clerk, customer.id, {**opened, "city": "广州市"}).get_data(as_text=True)
    assert "有人在您打开后保存了这条记录" in page
    assert stored(customer.id).city == "佛山市"


def test_a_dealer_editing_their_customer_is_protected_the_same_way(dealer_client, first_clerk, customer):
    opened = customer_form(customer)
    save(first_clerk, customer.id, {**opened, "city": "广州市"})
    assert save(dealer_client, customer.id, {**opened, "address": "天河路1号"}).status_code == 200
    assert stored(customer.id).address is None


def test_the_history_does_not_list_the_version(first_clerk, admin_client, customer):
    save(first_clerk, customer.id, customer_form(customer, city="广州市"))
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).one()
    assert entry.changes["version"] == [1, 2] and "version" not in entry.shown_changes()


def test_a_save_racing_another_is_refused_by_the_database(app, customer):
    """Two saves that both passed the form check: the mapper saves `WHERE version = n`,
    so the later one finds no row to change instead of overwriting."""
    with Session(db.engine, expire_on_commit=False) as late_save:
        copy = late_save.get(Customer, customer.id)  # reads version 1
        late_save.commit()
        with db.engine.begin() as earlier_save:
            earlier_save.execute(update(Customer).where(Customer.id == customer.id)
                                 .values(city="深圳市", version=Customer.version + 1))
        copy.city = "广州市"
        with pytest.raises(StaleDataError):
            late_save.commit()
    assert stored(customer.id).city == "深圳市"



def test_a_form_opened_before_an_anonymisation_cannot_bring_the_personal_data_back(first_clerk, second_clerk,
                                                                                     customer):
    from crm.services import privacy

    opened = customer_form(customer, address="天河路1号")
    privacy.anonymise_customer(stored(customer.id))
    page = save(second_clerk, customer.id, opened).get_data(as_text=True)
    assert "13812345678" not in page and 'value="张伟"' not in page
    anonymised = stored(customer.id)
    save(second_clerk, customer.id, customer_form(anonymised, address="天河路1号"))
    assert not stored(customer.id).mobile and stored(customer.id).name == anonymised.name


def test_a_clerk_editing_a_dealers_contact_fields_is_protected_too(admin_client, first_clerk, dealer):
    opened = {"contact_person": "刘经理", "phone": "0757-22223333", "address": "顺德大道1号",
              "version": str(dealer.version)}
    admin_client.post(f"/admin/dealer/edit/?id={dealer.id}", data={
        "code": dealer.code, "name": dealer.name, "level": dealer.level, "contact_person": "陈经理",
        "version": str(dealer.version)})
    assert first_clerk.post(f"/admin/dealer/edit/?id={dealer.id}", data=opened).status_code == 200
    db.session.rollback()
    assert db.session.get(type(dealer), dealer.id).contact_person == "陈经理"


def test_a_status_an_order_import_changed_is_kept_when_the_refused_form_is_saved_again(first_clerk, customer):
    """An import turns a potential customer who bought into an actual one, in bulk; a form
    opened before shows, once refused, the new status, so that saving again keeps it."""
    from crm.services import imports

    customer.status = "potential"
    db.session.commit()
    opened = customer_form(customer, address="天河路1号")
    imports._change_status(Customer.id == customer.id, "potential", "actual")
    db.session.commit()
    page = save(first_clerk, customer.id, opened).get_data(as_text=True)
    assert 'value="actual" selected' in page or 'selected value="actual"' in page
    save(first_clerk, customer.id, customer_form(stored(customer.id), address="天河路1号"))
    assert (stored(customer.id).status, stored(customer.id).address) == ("actual", "天河路1号")
