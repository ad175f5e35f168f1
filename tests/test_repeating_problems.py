"""Repeating problems: same product, same category, above the threshold, per window."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.clock import now
from crm.extensions import db
from crm.models import Complaint, Customer, User
from crm.services import repeats


@pytest.fixture
def pile(app, customer, product, other_dealer):
    theirs = Customer(name="别家客户", dealer=other_dealer, status="actual")
    db.session.add(theirs)

    serial = iter(range(1000))

    def add(n, category, days_ago, who=customer):
        code = {"product_quality": "PQ", "delivery": "DL"}[category]
        for _ in range(n):
            db.session.add(Complaint(number=f"{code}{days_ago}-{next(serial)}", customer=who,
                                     dealer=who.dealer, product=product, category=category, description="坐垫塌陷",
                                     received_at=now() - timedelta(days=days_ago)))
    add(3, "product_quality", 5)
    add(1, "product_quality", 60)
    add(2, "delivery", 5)
    add(2, "product_quality", 5, theirs)
    db.session.commit()


def test_groups_above_the_threshold_per_window(app, pile, admin_client):
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    last_30 = repeats.repeating_problems(admin, 30)
    assert [(g.model_number, g.category, g.count) for g in last_30] == [("SF-2031", "product_quality", 5)]
    last_90 = repeats.repeating_problems(admin, 90)
    assert [(g.category, g.count) for g in last_90] == [("product_quality", 6)]
    assert repeats.repeating_problems(admin, 30, minimum=2)[1].category == "delivery"


def test_a_dealer_sees_only_their_own_complaints_in_the_groups(app, pile, dealer_client):
    page = dealer_client.get("/admin/complaint/repeating/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "3 complaints" in page and "5 complaints" not in page


def test_the_dashboard_flags_the_group_and_the_link_lists_its_complaints(app, pile, clerk_client):
    dashboard = clerk_client.get("/admin/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "5 complaints about SF-2031" in dashboard
    page = clerk_client.get("/admin/complaint/repeating/").get_data(as_text=True)
    link = re.search(r'href="(/admin/complaint/\?flt0_[^"]+)"', page).group(1).replace("&amp;", "&")
    listed = clerk_client.get(link).get_data(as_text=True)
    assert listed.count("PQ5-") == 5 and "DL5-" not in listed
