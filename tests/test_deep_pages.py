"""Deep pages of the customer list start from the block of ids that holds their first row
(crm/page_blocks.py): the blocks must count every customer through inserts, deletes and
bulk loads, and a page found by blocks must hold exactly the rows OFFSET would give."""
import re

import pytest
from sqlalchemy import delete, func, insert, select, text

from crm import page_blocks
from crm.extensions import db
from crm.models import Customer
from tests.conftest import logged_in_client, recorded_statements

BLOCK = page_blocks.BLOCK_SIZE


def bulk_customers(dealer, count: int, start: int = 0) -> None:
    """Many customers in one executemany (the way imports and loaders write)."""
    db.session.execute(insert(Customer), [
        {"name": f"客户{i:05d}", "mobile": f"+86139{i:08d}", "dealer_id": dealer.id, "status": "actual"}
        for i in range(start, start + count)])
    db.session.commit()


def blocks() -> dict[int, int]:
    return page_blocks.counts(db.session.connection())


@pytest.fixture
def postgresql(app):
    """Only PostgreSQL locks the rows it updates until the end of the transaction."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")


def counted_afresh() -> dict[int, int]:
    ids = db.session.scalars(select(Customer.id)).all()
    counts: dict[int, int] = {}
    for customer_id in ids:
        counts[customer_id // BLOCK] = counts.get(customer_id // BLOCK, 0) + 1
    return counts


def ids_on(page: str) -> list[int]:
    """The rows of a list page, by the ids in their view links (every role has those)."""
    return [int(value) for value in re.findall(r'/details/\?[^"]*&amp;id=(\d+)"', page)]


def newest_first(offset: int, limit: int) -> list[int]:
    return db.session.scalars(select(Customer.id).order_by(Customer.id.desc()).offset(offset).limit(limit)).all()


@pytest.fixture
def archive(app, dealer):
    """2,700 customers with a gap of deleted ones in the middle and some at the newest end."""
    bulk_customers(dealer, 2700)
    ids = newest_first(0, 2700)
    gone = ids[5:9] + ids[1000:1300:3] + ids[2500:2510]
    db.session.execute(delete(Customer).where(Customer.id.in_(gone)))
    db.session.commit()
    return dealer


def test_blocks_count_customers_added_one_by_one_and_in_bulk(app, dealer):
    bulk_customers(dealer, 1500)
    db.session.add_all([Customer(name=f"单个{i}", mobile=f"+86137{i:08d}", dealer=dealer) for i in range(3)])
    db.session.commit()
    assert blocks() == counted_afresh()
    assert sum(blocks().values()) == 1503


def test_blocks_count_deleted_customers_out(app, archive):
    assert blocks() == counted_afresh()


def test_emptying_the_table_empties_the_blocks(app, archive):
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE customer CASCADE"))
    else:
        db.session.execute(delete(Customer))
    db.session.commit()
    assert blocks() == {}


def test_locate_finds_the_block_and_the_rest_of_the_offset(app, archive):
    connection = db.session.connection()
    for offset in (0, 1, BLOCK - 1, BLOCK, 1500, 2500):
        position = page_blocks.locate(connection, offset, 20)
        bound, skip = position.bound, position.skip
        assert newest_first(offset, 1) == db.session.scalars(
            select(Customer.id).where(Customer.id < bound).order_by(Customer.id.desc()).offset(skip).limit(1)).all()


def test_locate_says_when_there_are_no_customers(app, dealer):
    assert page_blocks.locate(db.session.connection(), 2000, 20) is None


@pytest.mark.parametrize("page", [0, 1, 51, 52, 60, 99, 129])
def test_every_page_holds_the_rows_offset_would_give(clerk_client, archive, page):
    shown = ids_on(clerk_client.get(f"/admin/customer/?page={page}").get_data(as_text=True))
    assert shown == newest_first(page * 20, 20)


def test_deep_pages_at_every_page_size(clerk_client, archive):
    for size in (50, 100):
        for page in (10, 20, 25):
            shown = ids_on(clerk_client.get(f"/admin/customer/?page={page}&page_size={size}").get_data(as_text=True))
            assert shown == newest_first(page * size, size), (size, page)


def test_a_deep_page_counts_ahead_from_where_it_starts(clerk_client, archive):
    page = clerk_client.get("/admin/customer/?page=60", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "List (1,420+)" in page  # 60 pages of 20 before it, this page and 200 rows ahead


def test_a_page_past_the_end_shows_the_last_page_and_the_whole_count(clerk_client, archive):
    total = db.session.scalar(select(func.count()).select_from(Customer))
    page = clerk_client.get("/admin/customer/?page=500", headers={"Accept-Language": "en"}).get_data(as_text=True)
    last = (total - 1) // 20 * 20
    assert ids_on(page) == newest_first(last, 20) and f"List ({total:,})" in page
    assert f'aria-current="page">{last // 20 + 1}</span>' in page


def test_locate_past_the_end_gives_the_last_page(app, archive):
    total = db.session.scalar(select(func.count()).select_from(Customer))
    position = page_blocks.locate(db.session.connection(), total + 5000, 50)
    assert position.offset == (total - 1) // 50 * 50


def test_a_deep_page_does_not_walk_the_rows_before_it(clerk_client, archive, app):
    with recorded_statements(db.engine) as statements:
        clerk_client.get("/admin/customer/?page=100")
    id_query = next(statement for statement in statements if statement.lstrip().startswith("SELECT customer.id"))
    assert any(page_blocks.TABLE in statement for statement in statements)
    assert "customer.id <" in id_query


def test_searches_filters_and_sorting_still_page_by_offset(clerk_client, archive):
    by_name = clerk_client.get("/admin/customer/?page=60&sort=0").get_data(as_text=True)
    expected = db.session.scalars(select(Customer.id).order_by(Customer.name).offset(1200).limit(20)).all()
    assert ids_on(by_name) == expected


def test_a_dealers_deep_pages_hold_only_their_rows(app, archive, other_dealer):
    bulk_customers(other_dealer, 300, start=5000)
    client = logged_in_client(app, "dealer1", "dealer", dealer=archive)
    shown = ids_on(client.get("/admin/customer/?page=70").get_data(as_text=True))
    expected = db.session.scalars(select(Customer.id).where(Customer.dealer_id == archive.id)
                                  .order_by(Customer.id.desc()).offset(1400).limit(20)).all()
    assert shown == expected



def add_while_an_import_is_open(dealer) -> None:
    """A customer added and committed while another transaction has added some and is still open."""
    with db.engine.connect() as importing, db.engine.connect() as public_form:
        importing.execute(insert(Customer), [{"name": f"导入{i}", "status": "actual"} for i in range(5)])
        public_form.execute(text("SET lock_timeout = '2s'"))  # fails the test instead of waiting
        public_form.execute(insert(Customer), [{"name": "新顾客", "status": "potential"}])
        public_form.commit()
        importing.commit()


def waiting_counts() -> int:
    return db.session.scalar(text(f"SELECT count(*) FROM {page_blocks.CHANGES}"))


def test_a_customer_added_while_an_import_is_open_does_not_wait_for_it(app, dealer, postgresql):
    bulk_customers(dealer, 10)
    add_while_an_import_is_open(dealer)
    assert waiting_counts() == 1 and blocks() == counted_afresh() and sum(blocks().values()) == 16


def test_nor_when_the_import_opened_a_new_block(app, dealer, postgresql):
    bulk_customers(dealer, 10)
    db.session.execute(text(f"ALTER SEQUENCE customer_id_seq RESTART WITH {5 * BLOCK}"))
    db.session.commit()
    add_while_an_import_is_open(dealer)
    assert blocks() == counted_afresh() and blocks()[5] == 6


def test_without_contention_counts_go_straight_into_the_blocks(app, archive, postgresql):
    assert waiting_counts() == 0 and blocks() == counted_afresh()


def test_a_reader_folds_the_waiting_counts_into_the_blocks(app, archive, postgresql, monkeypatch):
    add_while_an_import_is_open(archive)
    before = page_blocks.locate(db.session.connection(), 1500, 20)
    db.session.commit()
    monkeypatch.setattr(page_blocks, "FOLD_AFTER", 0)
    assert page_blocks.locate(db.session.connection(), 1500, 20) == before
    db.session.commit()
    assert waiting_counts() == 0 and blocks() == counted_afresh()
