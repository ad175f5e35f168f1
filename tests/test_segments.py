"""Customer segments on the customer list: last purchase, number of orders, total spend."""
import json
import re
from datetime import timedelta

import pytest

from crm.clock import today
from crm.extensions import db
from crm.models import Customer, Order

EN = {"Accept-Language": "en"}


@pytest.fixture
def shoppers(app, dealer, product):
    def person(name, orders):
        customer = Customer(name=name, dealer=dealer, status="actual")
        db.session.add(customer)
        for n, (days_ago, amount) in enumerate(orders):
            db.session.add(Order(order_number=f"{name}-{n}", customer=customer, product=product, quantity=1,
                                 amount=amount, ordered_on=today() - timedelta(days=days_ago)))
    person("近期大客户", [(10, 30000), (400, 25000), (800, 1000)])
    person("老客户", [(900, 8000)])
    person("从未购买", [])
    person("一年内", [(200, 3000), (300, 3000)])
    db.session.commit()


def filter_url(client, label, value):
    page = client.get("/admin/customer/", headers=EN).get_data(as_text=True)
    groups = json.loads(re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', page, re.S).group(1))
    arg = groups[label][0]["arg"]
    return f"/admin/customer/?flt0_{arg}={value}"


def names(client, url):
    page = client.get(url).get_data(as_text=True)
    return {name for name in ("近期大客户", "老客户", "从未购买", "一年内") if name in page}


@pytest.mark.parametrize("label,value,expected", [
    ("Last purchase", "90", {"近期大客户"}),
    ("Last purchase", "365", {"近期大客户", "一年内"}),
    ("Last purchase", "older", {"老客户"}),
    ("Last purchase", "never", {"从未购买"}),
    ("Number of orders", "0", {"从未购买"}),
    ("Number of orders", "2", {"一年内"}),
    ("Number of orders", "3plus", {"近期大客户"}),
    ("Total spend", "lt5k", {"从未购买"}),
    ("Total spend", "5k-20k", {"老客户", "一年内"}),
    ("Total spend", "50kplus", {"近期大客户"}),
])
def test_segment_filters(clerk_client, shoppers, label, value, expected):
    assert names(clerk_client, filter_url(clerk_client, label, value)) == expected
