"""`flask --app wsgi seed demo`: a realistic, repeatable demo archive.

Every customer is generated from its index alone, so a second run finds the customers it
made before (by mobile number) and adds only the missing ones: nothing is duplicated.
"""
from __future__ import annotations

import os
import random
import secrets
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, insert, select

from crm.clock import now
from crm.database import write_transaction
from crm.extensions import db
from crm.models import (
    AuditEntry,
    CardBatch,
    CardOpening,
    CaseNote,
    Complaint,
    Customer,
    Dealer,
    FeedbackCard,
    HotlineTicket,
    Order,
    Product,
    ThrottleEvent,
    User,
    Visit,
)
from crm.models.choices import (
    AuditAction,
    AcquisitionChannel,
    CardStatus,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
    CustomerStatus,
    Gender,
    HouseholdStage,
    HousingType,
    PriceTier,
    Role,
    Severity,
    TicketStatus,
    TicketTopic,
    VisitChannel,
    VisitPurpose,
)
from crm.services import audit, sla
from crm.services.numbering import ALPHABET
from seeds import data

BATCH_SIZE = 2000
MOBILE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "186", "187", "188",
                   "133", "153", "180", "181", "189", "130", "131", "132", "155", "156", "185", "177", "199")
DEMO_USERS = (("admin", Role.ADMIN, None), ("clerk", Role.CLERK, None),
              ("dealer1", Role.DEALER, "GD-FS-001"), ("dealer2", Role.DEALER, "SH-PD-001"))
# Children first, so that a reset never trips over a foreign key.
TABLES_IN_DELETE_ORDER = (CaseNote, FeedbackCard, CardOpening, CardBatch, HotlineTicket, Complaint, Visit, Order, Customer, ThrottleEvent, User,
                          Product, Dealer)


@dataclass
class SeedResult:
    dealers: int
    products: int
    customers_created: int
    customers_total: int
    logins: list[tuple[str, str]]
    password_generated: bool


def seed(customer_count: int = 300, reset: bool = False, progress=None) -> SeedResult:
    with write_transaction():
        if reset:
            _delete_everything()
        dealers = _upsert_dealers()
        products = _upsert_products()
        password, generated = _demo_password()
        users = _upsert_users(dealers, password)
        _upsert_card_batches(dealers, products, users["clerk"])
        db.session.commit()
    created = _seed_customers(customer_count, dealers, products, users, progress)
    total = db.session.scalar(select(func.count()).select_from(Customer))
    return SeedResult(len(dealers), len(products), created, total,
                      [(name, password) for name, _role, _dealer in DEMO_USERS], generated)


def _delete_everything() -> None:
    """Every record but the audit trail, which keeps one entry per table saying what went."""
    summary = []
    for model in TABLES_IN_DELETE_ORDER:
        if model is Customer:
            db.session.execute(Customer.__table__.update().values(referred_by_id=None))
        deleted = db.session.execute(delete(model)).rowcount
        if deleted and model is not ThrottleEvent:
            summary.append(audit.record_bulk(model.__table__.name, deleted, "seed demo --reset", AuditAction.DELETE))
    if summary:
        db.session.execute(insert(AuditEntry), summary)


def _demo_password() -> tuple[str, bool]:
    chosen = os.environ.get("DEMO_PASSWORD")
    if chosen:
        return chosen, False
    return secrets.token_urlsafe(9), True


def _upsert_dealers() -> dict[str, Dealer]:
    existing = {d.code: d for d in db.session.scalars(select(Dealer))}
    for index, (code, name, province, city, level) in enumerate(data.DEALERS):
        if code in existing:
            continue
        region = next(r for r in data.REGIONS if r[1] == city)
        dealer = Dealer(code=code, name=name, province=province, city=city, level=level, active=True,
                        address=f"{region[4][0]}{data.STREETS[index]}{100 + index * 7}号",
                        contact_person=data.CONTACTS[index], phone=_mobile(900_000 + index),
                        joined_on=date(2015 + index % 8, 1 + index, 1))
        db.session.add(dealer)
        existing[code] = dealer
    db.session.flush()
    return existing


def _upsert_products() -> list[Product]:
    existing = {p.model_number: p for p in db.session.scalars(select(Product))}
    for model_number, name, series, category, material, warranty, interval in data.PRODUCTS:
        if model_number not in existing:
            existing[model_number] = Product(model_number=model_number, name=name, series=series,
                                             category=category, material=material, warranty_months=warranty,
                                             maintenance_interval_months=interval, active=True)
            db.session.add(existing[model_number])
    db.session.flush()
    return [existing[row[0]] for row in data.PRODUCTS]


def _upsert_card_batches(dealers: dict[str, Dealer], products: list[Product], clerk: User) -> None:
    """One printed batch of feedback cards per dealer, as a clerk would have made."""
    taken = set(db.session.scalars(select(CardBatch.code)))
    for index, dealer in enumerate(dealers.values()):
        code = f"{dealer.code}-DEMO"
        if code not in taken:
            db.session.add(CardBatch(code=code, dealer=dealer, product=products[index % len(products)], size=40,
                                     created_by=clerk))
    db.session.flush()


def _upsert_users(dealers: dict[str, Dealer], password: str) -> dict[str, User]:
    users = {}
    for username, role, dealer_code in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username)
            db.session.add(user)
        user.role = role.value
        user.dealer = dealers[dealer_code] if dealer_code else None
        user.active = True
        user.set_password(password)
        users[username] = user
    db.session.flush()
    return users


def _mobile(index: int) -> str:
    prefix = MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]
    # An affine map with a multiplier prime to 10 is one-to-one on 8 digits and looks random.
    rest = (index * 91_823_457 + 12_345_678) % 100_000_000
    return f"+86{prefix}{rest:08d}"


def _seed_customers(count, dealers, products, users, progress) -> int:
    dealer_list = [dealers[row[0]] for row in data.DEALERS]
    context = {
        "dealers": [(d.id, d.city) for d in dealer_list],
        "products": [(p.id, p.category) for p in products],
        "clerk_id": users["clerk"].id,
        "today": now(),
    }
    created = 0
    bar = progress(count) if progress and count >= 5 * BATCH_SIZE else nullcontext()
    with bar as tracker:
        for start in range(0, count, BATCH_SIZE):
            stop = min(start + BATCH_SIZE, count)
            created += _seed_batch(range(start, stop), context)
            if tracker is not None:
                tracker.update(stop - start)
    return created


def _seed_batch(indexes: range, context) -> int:
    mobiles = {_mobile(i): i for i in indexes}
    with write_transaction():
        taken = set(db.session.scalars(select(Customer.mobile).where(Customer.mobile.in_(list(mobiles)))))
        fresh = [i for mobile, i in mobiles.items() if mobile not in taken]
        if not fresh:
            db.session.rollback()
            return 0
        rows = [_customer_row(i, context) for i in fresh]
        # Each row comes back with its (unique) mobile number, so the rows may return in any
        # order: asking for parameter order makes SQLite insert one row at a time.
        by_mobile = dict(db.session.execute(insert(Customer).returning(Customer.mobile, Customer.id)
                                            .execution_options(render_nulls=True), rows).all())
        ids = [by_mobile[row["mobile"]] for row in rows]
        _insert_related(list(zip(fresh, ids, rows)), context)
        db.session.commit()
    return len(fresh)


def _customer_row(i: int, context) -> dict:
    rng = random.Random(i)
    dealer_id, dealer_city = context["dealers"][i % len(context["dealers"])]
    region = next(r for r in data.REGIONS if r[1] == dealer_city)
    province, city, _code, postal_prefix, districts = region
    district = rng.choice(districts)
    stage = rng.choice(HouseholdStage.codes())
    size = {"single": 1, "couple": 2, "young_family": 3, "three_generations": rng.randint(5, 7),
            "retired_couple": 2}[stage]
    status = rng.choices(CustomerStatus.codes(), weights=(25, 70, 5))[0]
    created = context["today"] - timedelta(days=rng.randint(1, 1500), minutes=rng.randint(0, 1440))
    consent = rng.random() < 0.7
    return {
        "name": rng.choice(data.SURNAMES) + "".join(rng.choice(data.GIVEN_NAME_CHARS) for _ in range(rng.randint(1, 2))),
        "gender": rng.choice((Gender.FEMALE.value, Gender.MALE.value)),
        "mobile": _mobile(i),
        "email": f"user{i}@example.cn" if rng.random() < 0.3 else None,
        "province": province, "city": city, "district": district,
        "address": f"{rng.choice(data.STREETS)}{rng.randint(1, 999)}号{rng.choice(data.ESTATES)}"
                   f"{rng.randint(1, 30)}栋{rng.randint(1, 32)}0{rng.randint(1, 4)}",
        "postal_code": f"{postal_prefix}{rng.randint(0, 999):03d}",
        "housing_type": rng.choices(HousingType.codes(), weights=(75, 8, 12, 5))[0],
        "floor_area": Decimal(rng.randint(45, 320)),
        "household_stage": stage, "household_size": size,
        "employer": rng.choice(data.EMPLOYERS),
        "birthday": date(rng.randint(1950, 2002), rng.randint(1, 12), rng.randint(1, 28)),
        "channel": rng.choice(AcquisitionChannel.codes()),
        "status": status, "dealer_id": dealer_id,
        "salesperson": rng.choice(data.SALESPEOPLE),
        "price_tier": rng.choice(PriceTier.codes()),
        "discount_terms": rng.choice((None, "老客户九五折", "满一万减一千", "赠送床垫保护罩")),
        "payment_terms": rng.choice(("全款", "定金30%，送货前付清", "分期12期免息")),
        "consent_to_contact": consent, "consent_at": created if consent else None,
        "created_at": created, "updated_at": created,
    }


def _insert_related(customers: list[tuple[int, int, dict]], context) -> None:
    orders, visits, complaints, tickets, cards = [], [], [], [], []
    for i, customer_id, row in customers:
        rng = random.Random(f"related-{i}")
        customer_orders = _orders_for(i, customer_id, row, rng, context) if row["status"] != "potential" else []
        orders.extend(customer_orders)
        visits.extend(_visits_for(customer_id, row, customer_orders, rng, context))
        if customer_orders and rng.random() < 0.1:
            complaints.append(_complaint_for(i, customer_id, row, customer_orders[0], rng, context))
        if rng.random() < 0.04:
            tickets.append(_ticket_for(i, customer_id, row, rng, context))
        if customer_orders and rng.random() < 0.12:
            cards.append(_card_for(i, customer_id, row, customer_orders[0], rng))
    summary = [audit.record_bulk(Customer.__table__.name, len(customers), "seed demo")]
    for model, rows in ((Order, orders), (Visit, visits), (Complaint, complaints), (HotlineTicket, tickets),
                        (FeedbackCard, cards)):
        if rows:
            # None goes as NULL, so rows with different empty fields still go in one batch.
            db.session.execute(insert(model).execution_options(render_nulls=True), rows)
            summary.append(audit.record_bulk(model.__table__.name, len(rows), "seed demo"))
    # Bulk inserts bypass the per-record audit events: one entry per table and batch says what was written.
    db.session.execute(insert(AuditEntry), summary)


def _orders_for(i, customer_id, row, rng, context) -> list[dict]:
    result = []
    for k in range(rng.choices((1, 2, 3), weights=(70, 22, 8))[0]):
        product_id, _category = rng.choice(context["products"])
        ordered = (row["created_at"] + timedelta(days=rng.randint(0, 30) + 200 * k)).date()
        ordered = min(ordered, context["today"].date())
        delivered = ordered + timedelta(days=rng.randint(5, 25))
        delivered = delivered if delivered <= context["today"].date() else None
        quantity = rng.choice((1, 1, 1, 2))
        result.append({
            "order_number": f"SO{ordered:%Y%m}-{i:07d}-{k + 1}",
            "customer_id": customer_id, "dealer_id": row["dealer_id"], "product_id": product_id,
            "quantity": quantity, "amount": Decimal(rng.randrange(1800, 39800, 100) * quantity),
            "ordered_on": ordered, "delivered_on": delivered,
            "installed_on": delivered + timedelta(days=rng.randint(0, 3)) if delivered else None,
            "created_at": datetime.combine(ordered, datetime.min.time()),
            "updated_at": datetime.combine(ordered, datetime.min.time()),
        })
    return result


def _visits_for(customer_id, row, orders, rng, context) -> list[dict]:
    result = []
    for _ in range(rng.choices((0, 1, 2, 3), weights=(35, 35, 20, 10))[0] if orders else 0):
        purpose = rng.choice(VisitPurpose.codes())
        summary, outcome = data.VISIT_SUMMARIES[purpose]
        channel = {"maintenance": "home_visit", "inspection": "home_visit", "installation": "home_visit",
                   "measurement": "home_visit", "birthday": "sms", "holiday": "wechat"}.get(
            purpose, rng.choice(VisitChannel.codes()))
        happened = min(row["created_at"] + timedelta(days=rng.randint(10, 900)), context["today"])
        result.append({
            "customer_id": customer_id, "dealer_id": row["dealer_id"], "staff_id": None,
            "channel": channel, "purpose": purpose, "happened_at": happened,
            "place": row["address"] if channel == "home_visit" else None,
            "summary": summary, "outcome": outcome,
            "satisfaction": rng.choice((3, 4, 5, 5, None)),
            "next_follow_up_on": (happened + timedelta(days=rng.choice((30, 90, 180)))).date()
            if rng.random() < 0.5 else None,
            "created_at": happened, "updated_at": happened,
        })
    return result


def _complaint_for(i, customer_id, row, order, rng, context) -> dict:
    statuses = ComplaintStatus.codes()
    status = statuses[i % len(statuses)]  # every status appears
    category = rng.choice(ComplaintCategory.codes())
    received = context["today"] - timedelta(days=rng.randint(0, 120), hours=rng.randint(0, 23))
    responded = received + timedelta(hours=rng.randint(1, 30)) if status != "new" else None
    resolved = received + timedelta(days=rng.randint(1, 9)) if status in ("resolved", "closed") else None
    severity = rng.choices(Severity.codes(), weights=(20, 55, 18, 7))[0]
    due = sla.deadlines(received, severity)
    return {
        "number": f"TS{received:%y%m%d}-{_code(i)}",
        "customer_id": customer_id, "dealer_id": row["dealer_id"], "product_id": order["product_id"],
        "order_id": None, "channel": rng.choice(ComplaintChannel.codes()), "category": category,
        "severity": severity, "status": status,
        "first_response_due_at": due.first_response, "resolution_due_at": due.resolution,
        "description": rng.choice(data.COMPLAINT_TEXTS[category]),
        "assigned_to_id": context["clerk_id"] if status != "new" else None,
        "received_at": received, "first_response_at": min(responded, context["today"]) if responded else None,
        "resolved_at": min(resolved, context["today"]) if resolved else None,
        "resolution": "已安排师傅上门处理并更换配件" if resolved else None,
        "root_cause": "来料批次质量问题" if resolved and category == "product_quality" else None,
        "satisfaction": rng.choice((3, 4, 5)) if status == "closed" else None,
        "created_at": received, "updated_at": received,
    }


def _ticket_for(i, customer_id, row, rng, context) -> dict:
    topic = rng.choice(TicketTopic.codes())
    status = TicketStatus.codes()[i % len(TicketStatus.codes())]
    received = context["today"] - timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 23))
    due = sla.deadlines(received, Severity.NORMAL.value)
    answered = status != "new"
    return {
        "number": f"RX{received:%y%m%d}-{_code(i)}", "channel": rng.choice(("web", "phone")), "topic": topic,
        "description": data.TICKET_TEXTS[topic], "contact_name": row["name"], "mobile": row["mobile"],
        "city": row["city"], "address": row["address"], "customer_id": customer_id, "dealer_id": row["dealer_id"],
        "product_id": None, "purchase_date": None, "status": status,
        "assigned_to_id": context["clerk_id"] if answered else None,
        "first_response_due_at": due.first_response, "resolution_due_at": due.resolution,
        "first_response_at": min(received + timedelta(hours=3), context["today"]) if answered else None,
        "received_at": received, "resolved_at": received + timedelta(days=2) if status in ("resolved", "closed")
        and received + timedelta(days=2) <= context["today"] else None,
        "satisfaction": rng.choice((3, 4, 5)) if status == "closed" else None,
        "created_at": received, "updated_at": received,
    }


def _card_for(i, customer_id, row, order, rng) -> dict:
    submitted = datetime.combine(order["delivered_on"] or order["ordered_on"], datetime.min.time()) + timedelta(
        hours=rng.randint(9, 21))
    ratings = {f"rating_{k}": rng.choices((2, 3, 4, 5), weights=(5, 15, 40, 40))[0]
               for k in ("quality", "design", "delivery", "installation", "service")}
    return {
        "reference": f"FK{submitted:%y%m%d}-{_code(i)}", "customer_id": customer_id, "dealer_id": row["dealer_id"],
        "product_id": order["product_id"], "purchase_date": order["ordered_on"],
        **ratings, "recommend_score": rng.randint(5, 10), "comments": rng.choice(data.CARD_COMMENTS) or None,
        "contact_name": row["name"], "mobile": row["mobile"], "consent_to_contact": row["consent_to_contact"],
        "consent_at": submitted if row["consent_to_contact"] else None,
        "status": rng.choice(CardStatus.codes()), "submitted_at": submitted,
        "created_at": submitted, "updated_at": submitted,
    }


def _code(i: int) -> str:
    """A short code from the customer index, in the alphabet numbers use."""
    digits = []
    while True:
        i, remainder = divmod(i, len(ALPHABET))
        digits.append(ALPHABET[remainder])
        if i == 0:
            break
    return "".join(reversed(digits)).rjust(4, ALPHABET[0])
