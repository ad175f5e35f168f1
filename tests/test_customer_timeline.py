"""The customer page as a timeline of everything about them, with quick actions."""
import re
from datetime import timedelta

from crm.clock import now
from crm.extensions import db
from crm.models import Complaint, FeedbackCard, HotlineTicket, Order, Visit


def test_the_timeline_lists_everything_newest_first(clerk_client, customer, product):
    db.session.add_all([
        Order(order_number="SO-OLD", customer=customer, product=product, ordered_on=(now() - timedelta(days=90)).date()),
        Visit(customer=customer, channel="home_visit", purpose="installation", happened_at=now() - timedelta(days=80),
              summary="上门安装"),
        FeedbackCard(reference="FK-1", customer=customer, submitted_at=now() - timedelta(days=70), comments="很好"),
        Complaint(number="TS-NEW", customer=customer, category="delivery", description="扶手松动",
                  received_at=now() - timedelta(days=2)),
        HotlineTicket(number="RX-NEWEST", customer=customer, topic="repair", description="求修", contact_name="张伟",
                      mobile="+8613812345678", received_at=now() - timedelta(days=1)),
    ])
    db.session.commit()
    page = clerk_client.get(f"/admin/customer/details/?id={customer.id}").get_data(as_text=True)
    positions = [page.index(text) for text in ("RX-NEWEST", "TS-NEW", "FK-1", "上门安装", "SO-OLD")]
    assert positions == sorted(positions)


def test_quick_actions_open_forms_with_the_customer_chosen(clerk_client, customer):
    page = clerk_client.get(f"/admin/customer/details/?id={customer.id}").get_data(as_text=True)
    assert f"/admin/visit/new/?customer={customer.id}" in page
    assert f"/admin/complaint/new/?customer={customer.id}" in page
    form = clerk_client.get(f"/admin/visit/new/?customer={customer.id}").get_data(as_text=True)
    assert f'name="customer" type="hidden" value="{customer.id}"' in form


def test_dealers_get_no_complaint_action_and_cannot_preselect_a_foreign_customer(dealer_client, customer,
                                                                               other_dealer):
    from crm.models import Customer

    theirs = Customer(name="别家客户", dealer=other_dealer, status="actual")
    db.session.add(theirs)
    db.session.commit()
    page = dealer_client.get(f"/admin/customer/details/?id={customer.id}").get_data(as_text=True)
    assert "/admin/complaint/new/" not in page and "/admin/visit/new/" in page
    form = dealer_client.get(f"/admin/visit/new/?customer={theirs.id}").get_data(as_text=True)
    [customer_input] = re.findall(r'<input[^>]*id="customer"[^>]*>', form)
    assert f'value="{theirs.id}"' not in customer_input and "data-json" not in customer_input
