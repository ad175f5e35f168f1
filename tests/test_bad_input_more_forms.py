"""Bad input, generated (hypothesis), at the forms and endpoints test_bad_input_properties.py
leaves out: users and card batches, notes and lifecycle steps on cases, linking a feedback
card and opening a complaint from a ticket, the duplicates' compare and merge, the order
import's upload, commit and undo, the change of one's password, the service calendar's and
the reports' query strings, and a customer's personal-data export and anonymisation.

The promise is the same as there, for every generated input: a success (2xx/3xx) or a clear
refusal (4xx, or the page shown again, or the page gone back to, with the reason in Chinese,
the default language); never a server error nor the database's own text; and a refused
request stores nothing at all (every table counted before and after).

Runs are bounded (10-40 examples each, no example database) so that the file stays well
under a minute.
"""
import csv
import io
import itertools
import re

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.clock import now
from crm.extensions import db
from crm.models import CardBatch, CaseNote, Complaint, Customer, FeedbackCard, HotlineTicket, OrderImport, User
from crm.services import records
from tests.conftest import PASSWORD, _password_hash, make_dealer
from tests.test_bad_input_properties import (BOUNDED, CJK, MISSING, assert_clear_refusal, assert_local,
                                             assert_no_leak, bad_bytes, percent_encoded, table_counts, values,
                                             with_overrides)

FEW = settings(BOUNDED, max_examples=15)
value_or_missing = st.one_of(values, st.just(MISSING))
# Ids as a request may carry them: not numbers, past any column, negative, padded, absent.
bad_ids = st.one_of(values, st.integers(-2**70, 2**70).map(str),
                    st.sampled_from(("", " ", "0", "-1", "2147483648", "9" * 40, "1.0", "1e3", "0x10", "١", "\x00")),
                    st.just(MISSING))
_serial = itertools.count(1)


# What a refusal looks like -----------------------------------------------------------------------------
def error_text(page: str) -> str:
    """The errors a page shows (under fields, in an alert, in a notice), without its titles:
    a page whose title happens to be Chinese does not count as saying why."""
    parts = re.findall(r'class="field-error"[^>]*>(.*?)</p>', page, re.S)
    parts += re.findall(r'class="notice notice-error"[^>]*>(.*?)</p>', page, re.S)
    parts += re.findall(r'<li>(.*?)</li>', "".join(re.findall(r'text-danger[^>]*>(.*?)</ul>', page, re.S)), re.S)
    parts += re.findall(r'class="alert alert-danger[^"]*"[^>]*>(.*?)</(?:div|p)>', page, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", part) for part in parts)


def assert_answered(response) -> None:
    """No server error, nothing of the database's own text, and a redirect only to this site."""
    assert_no_leak(response)
    event(f"answered {response.status_code}")
    assert response.status_code < 500, response.status_code
    if 300 <= response.status_code < 400:
        assert_local(response.location)


def assert_refused_in_chinese(client, response) -> None:
    """A refusal that says why in Chinese: a 4xx page, a form shown again with its errors, or
    the page the request went back to, with the reason in an alert."""
    if 300 <= response.status_code < 400:
        page = client.get(response.location)
        assert_no_leak(page)
        assert page.status_code == 200, page.status_code
        assert CJK.search(error_text(page.get_data(as_text=True))), "no Chinese reason on the page gone back to"
    elif response.status_code == 200:
        assert CJK.search(error_text(response.get_data(as_text=True))), "no Chinese error on the form"
    else:
        assert_clear_refusal(response)


def id_query(raw) -> dict:
    return {} if raw is MISSING else {"id": raw}


def counted(name: str) -> int:
    return table_counts()[name]


def snapshot(record) -> dict:
    """The stored row, read afresh."""
    db.session.expire_all()
    fresh = db.session.get(type(record), record.id)
    return {column.key: getattr(fresh, column.key) for column in type(record).__table__.columns}


# Records to work on ------------------------------------------------------------------------------------
@pytest.fixture
def catalogue(app, dealer, product, customer):
    """As in test_bad_input_properties: a dealer, a product and a customer of that dealer."""
    return {"dealer": dealer, "product": product, "customer": customer}


@pytest.fixture
def cases(catalogue):
    """A complaint and a complaint-topic hotline ticket, both of the catalogue's customer."""
    customer, dealer = catalogue["customer"], catalogue["dealer"]
    complaint = Complaint(customer=customer, dealer=dealer, category="product_quality", description="沙发坐垫塌陷",
                          received_at=now())
    db.session.add(complaint)
    records.prepare(complaint)
    ticket = HotlineTicket(channel="phone", topic="complaint", description="抽屉滑轨坏了", contact_name="张伟",
                           mobile=customer.mobile, customer=customer, dealer=dealer)
    db.session.add(ticket)
    records.prepare(ticket)
    db.session.commit()
    return {"complaint": complaint, "hotline_ticket": ticket}


# Users ------------------------------------------------------------------------------------------------
USER_FIELDS = ("username", "role", "dealer", "active", "language", "password", "unexpected")


@example(overrides={"username": "新\x00用户"})
@example(overrides={"dealer": "3000000000", "role": "dealer"})
@example(overrides={"password": "x" * 6000})
@example(overrides={"role": MISSING, "language": "\x01"})
@example(overrides={"password": "short"})
@settings(BOUNDED, max_examples=30)  # a saved user's password is hashed, slow on purpose
@given(overrides=st.dictionaries(st.sampled_from(USER_FIELDS), value_or_missing, min_size=1, max_size=4))
def test_any_new_user_is_saved_once_or_refused_in_chinese_saving_nothing(admin_client, catalogue, overrides):
    """The administrator's new-user form with random values in a few of its fields: one new
    user, or the form again with the errors in Chinese and every table as it was."""
    base = {"username": f"user-{next(_serial)}", "role": "clerk", "active": "y", "language": "zh_CN",
            "password": "long-enough-42"}
    before = table_counts()
    response = admin_client.post("/admin/user/new/", data=with_overrides(base, overrides))
    assert_answered(response)
    if response.status_code == 302:
        assert counted("user") == before["user"] + 1
    else:
        assert_refused_in_chinese(admin_client, response)
        assert table_counts() == before


@example(overrides={"username": "admin\x00"})
@example(overrides={"dealer": "99999999999999999999"})
@settings(BOUNDED, max_examples=30)
@given(overrides=st.dictionaries(st.sampled_from(USER_FIELDS), value_or_missing, min_size=1, max_size=4))
def test_any_edit_of_a_user_is_saved_or_refused_in_chinese_leaving_the_user_as_it_was(admin_client, catalogue,
                                                                                     overrides):
    """Another user's edit form sent with random values: saved, or shown again with the
    errors in Chinese and the stored user unchanged."""
    user = db.session.scalar(select(User).where(User.username == "someone"))
    if user is None:  # once for all examples
        user = User(username="someone", role="clerk", active=True, password_hash=_password_hash())
        db.session.add(user)
        db.session.commit()
    base = {"username": "someone", "role": "clerk", "active": "y", "language": "zh_CN"}
    before, counts = snapshot(user), table_counts()
    response = admin_client.post(f"/admin/user/edit/?id={user.id}", data=with_overrides(base, overrides))
    assert_answered(response)
    if response.status_code != 302:
        assert_refused_in_chinese(admin_client, response)
        assert snapshot(user) == before
        assert table_counts() == counts
    if db.session.get(User, user.id).username != "someone":  # the next example edits the same user
        db.session.get(User, user.id).username = "someone"
        db.session.commit()


# Card batches -----------------------------------------------------------------------------------------
BATCH_FIELDS = ("dealer", "product", "size", "unexpected")


@example(overrides={"dealer": MISSING})  # its reason was missing: only Flask-Admin's English "Failed to create record."
@example(overrides={"size": "3000000000"})
@example(overrides={"size": "1e309"})
@example(overrides={"dealer": "3000000000"})
@example(overrides={"product": "-1"})
@BOUNDED
@given(overrides=st.dictionaries(st.sampled_from(BATCH_FIELDS),
                                  st.one_of(value_or_missing, st.integers(-2**40, 2**40).map(str)),
                                  min_size=1, max_size=3))
def test_any_card_batch_is_made_once_or_refused_in_chinese_making_nothing(admin_client, catalogue, overrides):
    """A batch of feedback cards with random dealer, product and size: one batch, or the form
    again with the reason in Chinese and nothing made."""
    base = {"dealer": str(catalogue["dealer"].id), "product": str(catalogue["product"].id), "size": "40"}
    before = table_counts()
    response = admin_client.post("/admin/card_batch/new/", data=with_overrides(base, overrides))
    assert_answered(response)
    if response.status_code == 302 and counted("card_batch") == before["card_batch"] + 1:
        assert 1 <= db.session.scalar(select(CardBatch.size).order_by(CardBatch.id.desc())) <= 500
    else:
        assert_refused_in_chinese(admin_client, response)
        assert table_counts() == before


# Notes and steps on cases -------------------------------------------------------------------------------
@example(kind="complaint", form={"kind": "response", "body": "已联系\x00顾客"})  # PostgreSQL: a server error
@example(kind="hotline_ticket", form={"kind": "progress", "body": "x" * 4001})
@example(kind="hotline_ticket", form={"kind": "\x00", "body": "好"})
@BOUNDED
@given(kind=st.sampled_from(("complaint", "hotline_ticket")),
       form=st.fixed_dictionaries({}, optional={"kind": st.one_of(st.sampled_from(("response", "progress")), values),
                                                "body": values, "unexpected": values}))
def test_any_note_on_a_case_is_added_once_or_refused_in_chinese_adding_nothing(admin_client, cases, kind, form):
    """A response or progress note with random kind and text, on a complaint and on a hotline
    ticket: one note, or the case's page with the reason in Chinese and nothing added."""
    case = cases[kind]
    before, counts = snapshot(case), table_counts()
    response = admin_client.post(f"/admin/{kind}/note/?id={case.id}", data=form)
    assert_answered(response)
    assert response.status_code == 302
    if counted("case_note") == counts["case_note"] + 1:
        stored = db.session.scalar(select(CaseNote.body).order_by(CaseNote.id.desc()))
        assert stored and len(stored) <= 4000
    else:
        assert_refused_in_chinese(admin_client, response)
        assert snapshot(case) == before
        assert table_counts() == counts


STEPS = ("acknowledge", "start", "resolve", "callback", "close", "reopen")


@example(kind="complaint", form={"step": "start"})
@example(kind="complaint", form={"step": "resolve", "resolution": "换新\x00坐垫"})  # PostgreSQL: a server error
@example(kind="hotline_ticket", form={"step": "resolve", "resolution": "修好"})
@example(kind="hotline_ticket", form={"step": "callback", "score": "3000000000", "outcome": "满意"})
@example(kind="hotline_ticket", form={"step": "callback", "score": "5", "outcome": "满意\x00"})
@example(kind="complaint", form={"step": "close", "reason": "\x00"})
@example(kind="complaint", form={"step": "reopen", "reason": "又坏了\x01"})
@settings(BOUNDED, max_examples=40)
@given(kind=st.sampled_from(("complaint", "hotline_ticket")),
       form=st.fixed_dictionaries({"step": st.one_of(st.sampled_from(STEPS), values)},
                                  optional={"resolution": values, "score": st.one_of(values, st.sampled_from("012345")),
                                            "outcome": values, "reason": values}))
def test_any_lifecycle_step_moves_the_case_or_is_refused_in_chinese_changing_nothing(admin_client, cases, kind,
                                                                                     form):
    """The lifecycle buttons with random steps, resolutions, scores, outcomes and reasons
    (the case walks on as steps succeed): the step is taken and stamped on the timeline, or
    the case's page says why in Chinese and the case and every table are as they were."""
    case = cases[kind]
    before, counts = snapshot(case), table_counts()
    response = admin_client.post(f"/admin/{kind}/step/?id={case.id}", data=form)
    assert_answered(response)
    assert response.status_code == 302
    if counted("case_note") == counts["case_note"] + 1:
        assert snapshot(case) != before
    else:
        assert_refused_in_chinese(admin_client, response)
        assert snapshot(case) == before
        assert table_counts() == counts


# Feedback cards and tickets ---------------------------------------------------------------------------------
@example(mobile="138\x0012345678")
@example(mobile="13812345678" + "\x01")
@example(mobile="+86 138 1234 5678")  # the catalogue customer's number: linked
@example(mobile="1" * 6000)
@BOUNDED
@given(mobile=value_or_missing)
def test_any_mobile_typed_to_link_a_card_links_it_or_is_refused_in_chinese(admin_client, catalogue, mobile):
    """Linking a feedback card to the customer with the typed mobile number: linked to that
    customer, or the card's page says why in Chinese and the card is as it was."""
    card = FeedbackCard(reference=f"FK-{next(_serial)}", dealer=catalogue["dealer"], submitted_at=now())
    db.session.add(card)
    db.session.commit()
    before, counts = snapshot(card), table_counts()
    response = admin_client.post(f"/admin/feedback_card/link/?id={card.id}",
                                 data={} if mobile is MISSING else {"mobile": mobile})
    assert_answered(response)
    assert response.status_code == 302
    after = snapshot(card)
    if after["customer_id"] is not None:
        assert after["customer_id"] == catalogue["customer"].id
    else:
        assert_refused_in_chinese(admin_client, response)
        assert after == before
        assert table_counts() == counts


TOPICS = ("complaint", "repair", "product_question", "suggestion", "other")


@example(topic="complaint", linked=True, form={"unexpected": "\x00"})
@example(topic="repair", linked=True, form={})
@example(topic="complaint", linked=False, form={})
@FEW
@given(topic=st.sampled_from(TOPICS), linked=st.booleans(),
       form=st.dictionaries(st.sampled_from(("id", "topic", "customer", "unexpected")), values, max_size=3))
def test_opening_a_complaint_from_any_ticket_opens_one_or_is_refused_changing_nothing(admin_client, catalogue,
                                                                                     topic, linked, form):
    """A ticket of any topic, with or without its customer, turned into a complaint with
    random form values beside: one complaint (only from a complaint ticket of a customer), or
    a refusal in Chinese (403, or the ticket's page saying why) and nothing changed."""
    customer = catalogue["customer"]
    ticket = HotlineTicket(channel="phone", topic=topic, description="扶手松动", contact_name="张伟",
                           mobile=customer.mobile, dealer=catalogue["dealer"], customer=customer)
    db.session.add(ticket)
    records.prepare(ticket)
    if not linked:
        ticket.customer = None
    db.session.commit()
    before, counts = snapshot(ticket), table_counts()
    response = admin_client.post(f"/admin/hotline_ticket/to-complaint/?id={ticket.id}", data=form)
    assert_answered(response)
    if counted("complaint") == counts["complaint"] + 1:
        assert topic == "complaint" and linked
        assert snapshot(ticket)["complaint_id"] is not None
    else:
        assert response.status_code in (302, 403)
        assert_refused_in_chinese(admin_client, response)
        assert snapshot(ticket) == before
        assert table_counts() == counts


# Duplicate customers ----------------------------------------------------------------------------------------
@pytest.fixture
def look_alikes(catalogue):
    """Ids to draw from (a merge may delete any of them): the catalogue's customer, one of
    another dealer, and the dealer of the first."""
    elsewhere = make_dealer("SH-PD-001", "上海浦东月星家居店", province="上海市", city="上海市")
    stranger = Customer(name="张伟", mobile="+8613812345679", dealer=elsewhere, status="potential")
    db.session.add(stranger)
    db.session.commit()
    return {"customer": catalogue["customer"].id, "stranger": stranger.id, "dealer": catalogue["dealer"].id}


def _twin(look_alikes) -> Customer:
    """A fresh likely duplicate of the catalogue's customer, per example (a merge deletes one)."""
    twin = Customer(name="张 伟", mobile=f"+86139{next(_serial):08d}", dealer_id=look_alikes["dealer"],
                    status="potential", notes="重复录入")
    db.session.add(twin)
    db.session.commit()
    return twin


# Mostly the ids of real customers (so that most pairs get past the look-up), else a bad id.
real_pick = st.sampled_from(("customer", "stranger", "twin", "twin"))
PICKS = st.integers(0, 3).flatmap(lambda draw: bad_ids if draw == 0 else real_pick)  # one_of would flatten bad_ids


def _picked(pick, look_alikes, twin):
    if pick == "twin":
        return str(twin.id)
    if pick in ("customer", "stranger"):
        return str(look_alikes[pick])
    return pick


@example(keep="customer", other="twin")
@example(keep="customer", other="customer")
@example(keep="customer", other="stranger")
@example(keep="\x00", other="twin")
@BOUNDED
@given(keep=PICKS, other=PICKS)
def test_any_pair_to_compare_shows_the_comparison_or_a_clear_refusal(admin_client, look_alikes, keep, other):
    """The side-by-side preview with any pair of ids: the comparison (two customers of one
    dealer), or a refusal in Chinese (404, or the duplicates list saying why); it stores nothing."""
    twin = _twin(look_alikes)
    query = {name: _picked(pick, look_alikes, twin) for name, pick in (("keep", keep), ("other", other))
             if pick is not MISSING}
    counts = table_counts()
    response = admin_client.get("/admin/duplicates/compare/", query_string=query)
    assert_answered(response)
    if response.status_code != 200:
        assert_refused_in_chinese(admin_client, response)
    assert table_counts() == counts


@example(keep="customer", other="twin", extra={})
@example(keep="twin", other="customer", extra={"keep": "\x00"})
@example(keep="customer", other="stranger", extra={})
@BOUNDED
@given(keep=PICKS, other=PICKS, extra=st.dictionaries(st.sampled_from(("unexpected", "name", "mobile")), values,
                                                      max_size=2))
def test_any_pair_to_merge_merges_once_or_is_refused_in_chinese_changing_nothing(admin_client, look_alikes, keep,
                                                                               other, extra):
    """The one-step merge with any pair of ids: one customer fewer (two of one dealer), or a
    refusal in Chinese and every table as it was."""
    twin = _twin(look_alikes)
    form = {**extra, **{name: _picked(pick, look_alikes, twin) for name, pick in (("keep", keep), ("other", other))
                        if pick is not MISSING}}
    counts = table_counts()
    response = admin_client.post("/admin/duplicates/merge/", data=form)
    assert_answered(response)
    if counted("customer") == counts["customer"] - 1:
        assert response.status_code == 302
        assert response.location.startswith("/admin/customer/details/")
    else:
        assert_refused_in_chinese(admin_client, response)
        assert table_counts() == counts


# Order imports -------------------------------------------------------------------------------------------
HEADERS = ["客户姓名", "手机号码", "详细地址", "产品型号", "数量", "金额", "订单号", "下单日期", "送货日期"]
filenames = st.one_of(values, st.sampled_from(("orders.csv", "../../etc/passwd", "a\r\nb.csv", '"quoted".xlsx',
                                               "订单.xlsx", ".csv", "C:\\x\\y.csv")))
dealer_codes = st.one_of(st.just("GD-FS-001"), st.just("gd-fs-001 "), values, st.just(MISSING))


@example(data=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", name="old.xls", code="GD-FS-001")
@example(data=b"PK\x03\x04broken", name="x.xlsx", code="GD-FS-001")
@example(data="客户姓名,手机号码\n张三,139".encode("gbk"), name="x.csv", code="GD-FS-001")
@example(data=b"a,b\n1,2", name="x\x00.csv", code="GD\x00")
@FEW
@given(data=st.one_of(st.binary(max_size=2000), bad_bytes, st.text(max_size=300).map(str.encode),
                      st.just(b"PK\x03\x04").map(lambda head: head + bytes(range(256)))),
       name=filenames, code=dealer_codes)
def test_any_uploaded_file_that_is_no_order_sheet_is_refused_in_chinese_storing_nothing(admin_client, catalogue,
                                                                                      data, name, code):
    """Random bytes as the uploaded file, under random file names and dealer codes: the
    upload page again, with the reason in Chinese (400), and no import or row kept."""
    form = {"file": (io.BytesIO(data), name)}
    if code is not MISSING:
        form["dealer"] = code
    counts = table_counts()
    response = admin_client.post("/admin/order_import/upload/", data=form, content_type="multipart/form-data")
    assert_answered(response)
    assert_refused_in_chinese(admin_client, response)
    assert table_counts() == counts


def _sheet(cells: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(cells)
    return buffer.getvalue().encode("utf-8")


good_row = ["张三", "13912340001", "天河路1号", "SF-2031", "1", "9800", "IMP-1", "2026-03-01", ""]
rows_with_random_cells = st.lists(
    st.dictionaries(st.integers(0, len(HEADERS) - 1), values, max_size=4).map(
        lambda changes: [changes.get(index, cell) for index, cell in enumerate(good_row)]),
    min_size=1, max_size=4)


def _alerts(page: str) -> str:
    return " ".join(re.findall(r'class="alert alert-(?:success|danger)[^"]*"[^>]*>(.*?)</p>', page, re.S))


@example(rows=[good_row], name="orders.csv", skip="y")
@example(rows=[[*good_row[:6], "9" * 300, *good_row[7:]]], name="o.csv", skip="y")  # an order number past its column
@example(rows=[[*good_row[:4], "3000000000", "1e309", *good_row[6:]]], name="o.csv", skip="y")
@example(rows=[["\x01" + good_row[0], *good_row[1:]]], name="o.csv", skip="y")
@settings(BOUNDED, max_examples=20)
@given(rows=rows_with_random_cells, name=filenames,
       skip=st.one_of(st.just("y"), st.just("y"), st.sampled_from(("n", "")), values))
def test_any_cells_of_a_well_formed_sheet_are_previewed_then_imported_or_refused_and_undone(admin_client, catalogue,
                                                                                          rows, name, skip):
    """A sheet with the right headers and random cells, under a random file name: previewed
    (one import, its rows kept), then imported all or nothing (or refused, saying why in
    Chinese), then undone without a failure; orders are never half written."""
    counts = table_counts()
    response = admin_client.post("/admin/order_import/upload/", data={
        "file": (io.BytesIO(_sheet(rows)), name), "dealer": "GD-FS-001"}, content_type="multipart/form-data")
    assert_answered(response)
    if response.status_code != 200:  # the file could not be read (a NUL in a cell): refused
        assert_refused_in_chinese(admin_client, response)
        assert table_counts() == counts
        return
    page = response.get_data(as_text=True)
    assert CJK.search(_alerts(page)) and "alert-success" in page, "the preview was not made"
    batch = db.session.scalar(select(OrderImport).order_by(OrderImport.id.desc()))
    assert counted("order_import") == counts["order_import"] + 1 and counted("orders") == counts["orders"]
    staged = table_counts()
    committed = admin_client.post(f"/admin/order_import/commit/?id={batch.id}", data={"skip_errors": skip})
    assert_answered(committed)
    if committed.status_code == 302:  # refused before it began (rows with errors, nothing to import)
        assert_refused_in_chinese(admin_client, committed)
        assert table_counts() == staged
    else:
        page = committed.get_data(as_text=True)
        assert CJK.search(_alerts(page)), "the import page says neither done nor why not"
        if "alert-danger" in page:
            assert counted("orders") == staged["orders"], "a failed import left orders behind"
    undone = admin_client.post(f"/admin/order_import/undo/?id={batch.id}", data={"skip_errors": skip})
    assert_answered(undone)
    assert undone.status_code == 302
    assert counted("orders") == counts["orders"]


# One's own password ----------------------------------------------------------------------------------------
@example(current=PASSWORD, new="new-pass\x00word", confirm="new-pass\x00word")
@example(current=PASSWORD + "\x00", new="new-password-1", confirm="new-password-1")
@example(current=PASSWORD, new="长" * 201, confirm="长" * 201)
@example(current=PASSWORD, new="new-password-1", confirm="new-password-1")
@settings(BOUNDED, max_examples=12)  # every attempt checks a password hash, slow on purpose
@given(current=st.one_of(st.just(PASSWORD), value_or_missing), new=value_or_missing,
       confirm=st.one_of(st.just("same"), value_or_missing))
def test_any_password_change_is_made_or_refused_in_chinese_keeping_the_old_password(admin_client, current, new,
                                                                                  confirm):
    """The change-password page with random current, new and repeated passwords: changed
    (and the signed-in session kept), or the page again with the reason in Chinese and the
    password as it was."""
    form = {"current_password": current, "new_password": new, "confirm": new if confirm == "same" else confirm}
    form = {name: value for name, value in form.items() if value is not MISSING}
    user = db.session.scalar(select(User).where(User.username == "admin"))
    before, counts = snapshot(user), table_counts()
    response = admin_client.post("/account/password", data=form)
    assert_answered(response)
    if response.status_code == 302:
        assert snapshot(user)["password_hash"] != before["password_hash"]
        assert admin_client.get("/admin/").status_code == 200  # still signed in
        db.session.get(User, user.id).password_hash = _password_hash()  # the next example starts from PASSWORD
        db.session.commit()
    else:
        assert response.status_code == 400
        assert_refused_in_chinese(admin_client, response)
        assert snapshot(user) == before
        assert table_counts() == counts


# The service calendar and the reports ---------------------------------------------------------------------
CALENDAR_ARGS = ("list", "days", "holiday", "dealer", "page", "url", "unexpected")
REPORT_ARGS = ("report", "start", "end", "dealer", "url", "unexpected")
calendar_values = st.one_of(values, st.sampled_from(("maintenance", "birthdays", "holiday", "7", "30", "GD-FS-001",
                                                     "spring_festival", "2147483648", "-1")))
report_values = st.one_of(values, st.sampled_from(("2026-01-01", "1989-12-31", "2101-01-01", "GD-FS-001",
                                                   "sales_by_dealer", "complaints_by_category")))


@example(path="/admin/care/", who="admin", query={"page": "99999999999999999999", "days": "3000000000"})
@example(path="/admin/care/campaign.csv", who="admin", query={"dealer": "GD\x00"})
@example(path="/admin/care/", who="dealer", query={"holiday": "\x00", "list": "holiday"})
@BOUNDED
@given(path=st.sampled_from(("/admin/care/", "/admin/care/campaign.csv")), who=st.sampled_from(("admin", "dealer")),
       query=st.dictionaries(st.one_of(st.sampled_from(CALENDAR_ARGS), st.text(max_size=8)), calendar_values,
                             max_size=5))
def test_any_service_calendar_query_string_shows_the_calendar_or_its_export(admin_client, dealer_client, catalogue,
                                                                           path, who, query):
    """The service calendar and its campaign export with any mix of arguments, known or not,
    and random values: the page (saying in Chinese what it could not honour) or the CSV."""
    client = admin_client if who == "admin" else dealer_client
    response = client.get(path, query_string=query)
    assert_answered(response)
    assert response.status_code == 200


@example(path="/admin/reports/", who="admin", query={"start": "2026-02-30", "end": "0000-00-00"})
@example(path="/admin/reports/export.xlsx", who="admin",
         query={"start": "2100-12-31", "end": "1990-01-01", "dealer": "\x00"})
@example(path="/admin/reports/export.csv", who="dealer", query={"report": "\x00", "start": "9999-12-31"})
@BOUNDED
@given(path=st.sampled_from(("/admin/reports/", "/admin/reports/export.csv", "/admin/reports/export.xlsx")),
       who=st.sampled_from(("admin", "dealer")),
       query=st.dictionaries(st.one_of(st.sampled_from(REPORT_ARGS), st.text(max_size=8)), report_values,
                             max_size=5))
def test_any_reports_query_string_shows_a_report_or_exports_it(admin_client, dealer_client, catalogue, path, who,
                                                               query):
    """The reports page and its exports with any mix of arguments and random values: a report
    (the page saying in Chinese what it could not honour) or its file, never a failure."""
    client = admin_client if who == "admin" else dealer_client
    response = client.get(path, query_string=query)
    assert_answered(response)
    assert response.status_code == 200


@FEW
@given(path=st.sampled_from(("/admin/care/", "/admin/care/campaign.csv", "/admin/reports/",
                             "/admin/reports/export.csv", "/admin/reports/export.xlsx")), raw=bad_bytes)
def test_a_calendar_or_reports_query_string_of_invalid_bytes_still_answers_the_page(admin_client, catalogue, path,
                                                                                    raw):
    """Percent-encoded bytes that are no UTF-8, broken escapes and stray separators in the
    query string of the calendar and the reports."""
    response = admin_client.get(path, environ_overrides={"QUERY_STRING": percent_encoded(raw)})
    assert_answered(response)
    assert response.status_code == 200


# A customer's personal data ----------------------------------------------------------------------------------
@example(action="anonymise", extra={"id": "\x00"})
@example(action="personal-data", extra={"format": "xml\x00"})
@FEW
@given(action=st.sampled_from(("personal-data", "anonymise")),
       extra=st.dictionaries(st.sampled_from(("format", "unexpected", "confirm", "id")), values, max_size=3))
def test_a_personal_data_step_with_any_other_form_values_is_done_once_or_refused_in_chinese(admin_client, catalogue,
                                                                                          action, extra):
    """Exporting or anonymising a customer's personal data with random values beside the
    customer's id (in the query string, read first): the file or the erasure, done once (a second
    anonymisation is refused in Chinese, changing nothing), never a failure."""
    customer = catalogue["customer"]
    counts = table_counts()
    response = admin_client.post(f"/admin/customer/{action}/?id={customer.id}", data=extra)
    assert_answered(response)
    if action == "personal-data":
        assert response.status_code == 200 and response.mimetype == "application/json"
        assert counted("audit_entry") == counts["audit_entry"] + 1
    else:
        assert response.status_code == 302
        if counted("audit_entry") == counts["audit_entry"]:  # already anonymised: refused
            assert_refused_in_chinese(admin_client, response)
            assert table_counts() == counts


# Ids that name nothing, everywhere -------------------------------------------------------------------------
ID_ENDPOINTS = (
    ("POST", "/admin/complaint/note/", "args"), ("POST", "/admin/hotline_ticket/note/", "args"),
    ("POST", "/admin/complaint/step/", "args"), ("POST", "/admin/hotline_ticket/step/", "args"),
    ("POST", "/admin/feedback_card/link/", "args"), ("POST", "/admin/hotline_ticket/to-complaint/", "args"),
    ("POST", "/admin/order_import/commit/", "args"), ("POST", "/admin/order_import/undo/", "args"),
    ("POST", "/admin/customer/personal-data/", "form"), ("POST", "/admin/customer/anonymise/", "form"),
    ("GET", "/admin/duplicates/compare/", "pair"), ("POST", "/admin/duplicates/merge/", "pair"),
    ("GET", "/admin/card_batch/print/", "args"),
)


@example(endpoint=ID_ENDPOINTS[0], raw="2147483648")
@example(endpoint=ID_ENDPOINTS[8], raw="\x00")
@example(endpoint=ID_ENDPOINTS[11], raw="99999999999999999999")
@settings(BOUNDED, max_examples=40)
@given(endpoint=st.sampled_from(ID_ENDPOINTS), raw=bad_ids)
def test_any_id_that_names_no_record_is_answered_404_in_chinese_storing_nothing(admin_client, endpoint, raw):
    """Every action on one record (notes, steps, linking, opening a complaint, importing,
    undoing, the personal data, comparing, merging, printing) given an id that names none
    (there are none): not found, said in Chinese, and nothing stored."""
    method, path, where = endpoint
    named = id_query(raw) if where != "pair" else ({} if raw is MISSING else {"keep": raw, "other": raw})
    form = {"body": "好", "kind": "progress", "step": "start", "mobile": "13812345678"}
    counts = table_counts()
    if method == "GET":
        response = admin_client.get(path, query_string=named)
    elif where == "form" or where == "pair":
        response = admin_client.post(path, data={**form, **named})
    else:
        response = admin_client.post(path, query_string=named, data=form)
    assert_answered(response)
    assert response.status_code == 404
    assert_clear_refusal(response)
    assert table_counts() == counts


# Bodies no browser sends --------------------------------------------------------------------------------------
BODY_ENDPOINTS = ("/admin/complaint/note/?id={complaint}", "/admin/hotline_ticket/step/?id={hotline_ticket}",
                  "/admin/feedback_card/link/?id={card}", "/admin/order_import/upload/", "/account/password",
                  "/admin/user/new/", "/admin/card_batch/new/", "/admin/duplicates/merge/")


@FEW
@given(path=st.sampled_from(BODY_ENDPOINTS), body=bad_bytes,
       kind=st.sampled_from(("application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz",
                             "multipart/form-data", "text/plain", "application/json")))
def test_a_wrongly_encoded_body_at_a_back_office_post_is_refused_storing_nothing(admin_client, cases, path, body,
                                                                                 kind):
    """Invalid UTF-8, broken percent-encoding, a multipart body without its parts, sent to the
    back office's forms and buttons: refused (or gone back to the page, saying why), never a
    failure, and nothing stored."""
    card = db.session.scalar(select(FeedbackCard))
    if card is None:
        card = FeedbackCard(reference="FK-BODY", dealer=cases["complaint"].dealer, submitted_at=now())
        db.session.add(card)
        db.session.commit()
    target = path.format(complaint=cases["complaint"].id, hotline_ticket=cases["hotline_ticket"].id, card=card.id)
    counts = table_counts()
    response = admin_client.post(target, data=body, content_type=kind)
    assert_answered(response)
    if response.status_code == 200:
        assert "/new/" in target  # only a new-record form is shown again; the buttons go back to their page
    assert_refused_in_chinese(admin_client, response)
    assert table_counts() == counts
