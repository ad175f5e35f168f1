"""A fresh benchmark database with N realistic customers, loaded fast.

    python -m bench.seed --database-url sqlite:////tmp/bench/x.db --customers 1000000
    python -m bench.seed --database-url postgresql://user@host/db --customers 1000000 [--check]

`load()` drops and rebuilds the database: Alembic migrations to head, the demo seed's
fixed part (dealers, products, card batches, the users admin, clerk, dealer1, dealer2),
extra dealers (one per 500 customers, at least 20 in all), then the customers with their
orders, visits, complaints (with their timelines), feedback cards and hotline tickets,
and returns a summary with facts for the benchmark to query by. Rows come from a fixed
random seed, one stream per chunk of customers: the same size gives the same customers
and records; times are relative to now, so what depends on the clock (deadlines, which
cases are overdue) can differ a little from one day to the next.

Speed: plain tuples inserted with the raw DB-API, ids assigned here, secondary indexes
(and the triggers that fire on insert) dropped before and rebuilt after, statistics
refreshed at the end.
- SQLite: one transaction without journal; the customer table is written by this
  process while a forked side process writes the other tables into a side database and
  indexes them there; they are then copied in page order (SQLite's transfer
  optimization). Search tables are rebuilt: external-content FTS5 tables with
  'rebuild', trigger-fed ones by running the trigger's INSERT once for all rows.
- PostgreSQL: COPY (FREEZE) in one transaction with the foreign keys dropped (checking
  them row by row costs ten times the COPY); then the indexes are built and the foreign
  keys validated on two connections, VACUUM ANALYZE, and the sequences moved on.
The loader reads indexes, triggers and columns from the database, so new migrations need
no change here unless they add a NOT NULL column without a default to a loaded table
(the load then stops and names it).
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import multiprocessing
import os
import random
import re
import subprocess
import sys
import threading
import time
import traceback
from bisect import bisect
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

from crm import page_blocks, search_index

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEED = 20261125
CHUNK = 50_000  # customers generated and inserted at a time, with their related rows
# The first open complaints made are overdue until there are this many (a few fall due
# later than planned): the overdue queue then shows a full first page at every size (at
# 10,000 customers, 7 % of the open ones is two cases), so that its times at 10,000 and
# 1,000,000 customers compare the same page.
MIN_OVERDUE_COMPLAINTS = 30
CUSTOMERS_PER_DEALER = 500
MIN_DEALERS = 20
DAY = 86_400
FTS_REBUILD_HASHSIZE = 256 * 1024 * 1024
FTS_DEFAULT_HASHSIZE = 1024 * 1024

# What the loader writes, in the order a chunk is written (parents before children).
LOADED_TABLES = ("customer", "orders", "visit", "complaint", "hotline_ticket", "case_note", "feedback_card")
COLUMNS = {
    "dealer": ("id", "code", "name", "province", "city", "address", "contact_person", "phone", "level", "active",
               "joined_on", "created_at", "updated_at"),
    "customer": ("id", "name", "gender", "mobile", "other_phone", "email", "province", "city", "district",
                 "address", "postal_code", "housing_type", "floor_area", "household_stage", "household_size",
                 "employer", "birthday", "channel", "referred_by_id", "status", "dealer_id", "salesperson",
                 "price_tier", "discount_terms", "payment_terms", "consent_to_contact", "consent_at",
                 "created_at", "updated_at"),
    "orders": ("id", "order_number", "customer_id", "dealer_id", "product_id", "quantity", "amount", "ordered_on",
               "delivered_on", "installed_on", "salesperson", "created_at", "updated_at"),
    "visit": ("id", "customer_id", "dealer_id", "staff_id", "channel", "purpose", "happened_at", "place",
              "summary", "outcome", "satisfaction", "next_follow_up_on", "created_at", "updated_at"),
    "complaint": ("id", "number", "customer_id", "dealer_id", "order_id", "product_id", "channel", "category",
                  "severity", "status", "description", "assigned_to_id", "received_at", "root_cause",
                  "first_response_at", "resolved_at", "resolution", "satisfaction", "first_response_due_at",
                  "resolution_due_at", "escalated_at", "closed_at", "close_reason", "created_at", "updated_at"),
    "hotline_ticket": ("id", "number", "channel", "topic", "description", "contact_name", "mobile", "city",
                       "address", "customer_id", "dealer_id", "product_id", "purchase_date", "status",
                       "assigned_to_id", "received_at", "first_response_at", "resolved_at", "resolution",
                       "satisfaction", "first_response_due_at", "resolution_due_at", "escalated_at", "closed_at",
                       "close_reason", "created_at", "updated_at"),
    "case_note": ("id", "complaint_id", "ticket_id", "author_id", "kind", "public", "body", "created_at",
                  "updated_at"),
    "feedback_card": ("id", "reference", "customer_id", "dealer_id", "product_id", "purchase_date",
                      "rating_quality", "rating_design", "rating_delivery", "rating_installation",
                      "rating_service", "recommend_score", "comments", "contact_name", "mobile",
                      "consent_to_contact", "consent_at", "status", "submitted_at", "created_at", "updated_at"),
}


# --------------------------------------------------------------------------------------
# The public entry point
# --------------------------------------------------------------------------------------

def load(database_url: str, customers: int, password: str = "bench-pass-1", progress=print, *,
         background: bool = True) -> dict:
    """Build a fresh benchmark database at `database_url` with `customers` customers and
    return a summary: counts per table, seconds per phase, the users and facts to query by.
    `background` (SQLite): load the tables other than customer in a forked side process,
    where there is fork; False does all in this process. PostgreSQL does not need it:
    its server works on the second core."""
    if customers < 0:
        raise ValueError("customers must not be negative")
    say = progress or (lambda _line: None)
    timer = _Timer(say)
    target = _target_for(database_url)

    with timer.phase("reset"):
        target.reset()
    with timer.phase("migrate"):
        _run_migrations(target.app_url)

    with _environment(DATABASE_URL=target.app_url, DEMO_PASSWORD=password):
        from crm.app import create_app  # late: the app reads its settings from the environment

        app = create_app()
        with app.app_context():
            with timer.phase("demo seed"):
                users = _demo_seed()
            from crm.extensions import db

            db.session.remove()
            db.engine.dispose()  # the load needs the database to itself
            context = _Context.read(target, app, customers)
            generator = _Generator(context)
            generator.background = background
            with timer.phase("dealers") as phase:
                phase.rows = target.load_dealers(generator.dealers())
            loaded = target.load(generator, timer, say)
            with timer.phase("audit"):
                _record_audit(loaded)
            db.session.remove()
            db.engine.dispose()

    with timer.phase("counts"):
        counts = target.counts()
    facts = generator.facts()
    summary = {
        "database_url": target.display_url,
        "backend": target.name,
        "customers_requested": customers,
        "counts": counts,
        "rows_loaded": loaded,
        "seconds": timer.seconds,
        "total_seconds": round(timer.total(), 2),
        "users": users,
        "password": password,
        **facts,
    }
    say(f"done: {sum(loaded.values()):,} rows in {summary['total_seconds']:.1f} s")
    return summary


# --------------------------------------------------------------------------------------
# Phases and helpers shared by both databases
# --------------------------------------------------------------------------------------

class _Timer:
    def __init__(self, say):
        self.say = say
        self.seconds: dict[str, float] = {}
        self.started = time.perf_counter()

    @contextlib.contextmanager
    def phase(self, name: str):
        class Phase:
            rows = None

        phase = Phase()
        start = time.perf_counter()
        yield phase
        elapsed = time.perf_counter() - start
        self.add(name, elapsed)
        rows = f", {phase.rows:,} rows" if phase.rows is not None else ""
        self.say(f"{name}: {elapsed:.1f} s{rows}")

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = round(self.seconds.get(name, 0.0) + seconds, 2)

    def total(self) -> float:
        return time.perf_counter() - self.started


@contextlib.contextmanager
def _environment(**values):
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run_migrations(app_url: str) -> None:
    """`flask --app wsgi db upgrade` in its own process, so that Alembic's logging set-up
    stays out of the caller's."""
    env = {**os.environ, "DATABASE_URL": app_url}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(PROJECT_ROOT), env.get("PYTHONPATH"))))
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"migrations failed:\n{result.stdout}\n{result.stderr}")


def _demo_seed() -> list[dict]:
    """The demo seed's fixed part: dealers, products, card batches and the demo users."""
    from crm.services import audit
    from seeds import demo

    with audit.acting_as_command("bench seed"):
        demo.seed(customer_count=0)
    return [{"username": username, "role": role.value, "dealer_code": dealer}
            for username, role, dealer in demo.DEMO_USERS]


def _record_audit(loaded: dict[str, int]) -> None:
    """One audit entry per bulk-loaded table, as the demo seed writes for its batches."""
    from sqlalchemy import insert

    from crm.database import write_transaction
    from crm.extensions import db
    from crm.models import AuditEntry
    from crm.services import audit

    with audit.acting_as_command("bench seed"), write_transaction():
        rows = [audit.record_bulk(table, count, "bench seed") for table, count in loaded.items() if count]
        if rows:
            db.session.execute(insert(AuditEntry), rows)
        db.session.commit()


class _Context:
    """What the generator needs from the database after the demo seed, and the clock."""

    @classmethod
    def read(cls, target, app, customers: int) -> "_Context":
        from crm.clock import now
        from crm.services import sla

        self = cls()
        self.customers = customers
        self.now = now()
        self.dealers = target.query("SELECT id, code, city FROM dealer ORDER BY id")
        self.products = target.query("SELECT id, category FROM product ORDER BY id")
        self.users = dict(target.query("SELECT username, id FROM \"user\""))
        self.user_dealers = dict(target.query("SELECT dealer_id, id FROM \"user\" WHERE dealer_id IS NOT NULL "
                                              "ORDER BY id DESC"))
        self.dealer1_dealer = target.query("SELECT d.code FROM \"user\" u JOIN dealer d ON d.id = u.dealer_id "
                                           "WHERE u.username = 'dealer1'")[0][0]
        self.next_ids = {table: target.query(f'SELECT coalesce(max(id), 0) FROM "{table}"')[0][0] + 1
                         for table in ("dealer", *LOADED_TABLES)}
        self.calendar = _cached_calendar(sla.calendar_from_config())
        self.sla_targets = {**sla.DEFAULT_TARGETS, **app.config.get("SLA_TARGETS", {})}
        return self


def _cached_calendar(calendar):
    """The app's business calendar with its working-day look-ups remembered."""
    from crm.services import sla

    known_days: dict[date, bool] = {}

    class CachedCalendar(sla.BusinessCalendar):
        def is_workday(self, day: date) -> bool:
            known = known_days.get(day)
            if known is None:
                known = known_days[day] = sla.BusinessCalendar.is_workday(self, day)
            return known

    return CachedCalendar(day_start=calendar.day_start, day_end=calendar.day_end,
                          extra_holidays=calendar.extra_holidays, extra_workdays=calendar.extra_workdays)


# --------------------------------------------------------------------------------------
# Word lists and weights (besides seeds.data)
# --------------------------------------------------------------------------------------

COMMON_GIVEN_NAMES = ("秀英", "秀兰", "桂英", "玉兰", "欣怡", "梓涵", "子豪", "雨婷", "佳琪", "思远", "晨曦",
                      "嘉怡", "俊杰", "文博", "宏伟", "建华", "国庆", "海燕", "春梅", "志强", "永红", "丹丹",
                      "晓东", "雪梅", "浩宇", "子轩", "静怡", "婷婷", "建国", "丽娟", "志明", "晓燕")
EXTRA_STREETS = ("延安路", "东风路", "青年路", "工业大道", "金融街", "朝阳路", "迎宾大道", "振兴路", "光明路",
                 "幸福路", "湖滨路", "江南大道", "世纪大道", "胜利路", "新城大道")
EXTRA_ESTATES = ("融创府", "中海国际社区", "招商雍景湾", "世茂云图", "金茂府", "旭辉城", "绿城桂语", "越秀星汇",
                 "美的城", "富力天域", "时代倾城", "雅居乐花园")
MALLS = ("红星美凯龙", "居然之家", "月星家居", "集美家居", "欧亚达", "富森美家居", "第六空间", "金盛家居",
         "吉盛伟邦", "喜临门广场", "家居港", "建材城")
CITY_WEIGHTS = {"上海市": 14, "北京市": 13, "广州市": 11, "深圳市": 11, "成都市": 10, "杭州市": 9,
                "武汉市": 9, "南京市": 8, "佛山市": 8, "青岛市": 7}
AREA_CODES = {"广州市": "20", "佛山市": "757", "深圳市": "755", "上海市": "21", "北京市": "10", "杭州市": "571",
              "南京市": "25", "成都市": "28", "武汉市": "27", "青岛市": "532"}
MOBILE_MULTIPLIER, MOBILE_OFFSET = 73_412_369, 40_960_817
MOBILE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "186", "187", "188",
                   "133", "153", "180", "181", "189", "130", "131", "132", "155", "156", "185", "177", "199")
EMAIL_DOMAINS = ("qq.com", "qq.com", "qq.com", "163.com", "163.com", "126.com", "sina.com", "foxmail.com")
PRICES = {  # per category: lowest and highest list price, yuan
    "sofa": (6800, 39800), "bed": (4800, 29800), "mattress": (2800, 19800), "wardrobe": (5800, 49800),
    "dining_table": (2800, 16800), "cabinet": (1800, 12800), "chair": (800, 4800), "other": (500, 5000),
}
RESPONSES = ("您好，已收到您的反馈，我们会尽快安排师傅与您联系。", "已致电客户了解情况，约定上门时间。",
             "已联系门店核实订单信息，稍后回复客户。", "非常抱歉给您带来不便，我们正在处理。")
RESOLUTIONS = ("已安排师傅上门处理并更换配件", "已为客户更换新品", "已与客户协商补偿方案，客户同意",
               "已重新安装调试，客户确认无问题", "已退还差价")
ROOT_CAUSES = ("来料批次质量问题", "安装工艺不规范", "物流包装不足", "门店沟通不到位")
CLOSE_REASONS = ("多次致电客户无人接听，无法回访", "客户表示不需要回访")
REOPEN_REASONS = ("客户反映问题再次出现", "更换的配件仍有问题")
CALLBACK_OUTCOMES = ("客户对处理结果满意", "客户表示基本满意", "客户希望处理更及时")


def _weighted_pool(items_weights, size: int, rng: random.Random) -> list:
    items = [item for item, _weight in items_weights]
    weights = [weight for _item, weight in items_weights]
    return rng.choices(items, weights=weights, k=size)


# --------------------------------------------------------------------------------------
# The generator: plain tuples, in chunks
# --------------------------------------------------------------------------------------

class _Generator:
    """Rows as plain tuples in COLUMNS order, with values as the app stores them (codes,
    E.164 numbers, ISO dates and SQLAlchemy's SQLite timestamp text, 0/1 booleans), drawn
    from precomputed pools so that each row costs a few dozen random() calls."""

    def __init__(self, context: _Context):
        from crm.models.choices import AcquisitionChannel, HouseholdStage, PriceTier
        from seeds import data

        self.context = context
        self.background = True  # SQLite: the side process (see load())
        self.data = data
        rng = self.rng = random.Random(SEED)
        now = context.now
        self.now = now
        # Times are whole seconds since midnight starting `day0`; strings come from tables.
        self.day0 = now.date() - timedelta(days=4 * 366)
        self.day0_dt = datetime.combine(self.day0, datetime.min.time())
        self.now_t = int((now - self.day0_dt).total_seconds())
        self.today = self.now_t // DAY
        days = self.today + 2 * 366
        self.dates = [(self.day0 + timedelta(days=d)).isoformat() for d in range(days)]
        self.date_sp = [d + " " for d in self.dates]
        self.hms = [f"{h:02d}:{m:02d}:{s:02d}.000000" for h in range(24) for m in range(60) for s in range(60)]
        self.yymmdd = [(self.day0 + timedelta(days=d)).strftime("%y%m%d") for d in range(days)]
        self.yyyymm = [(self.day0 + timedelta(days=d)).strftime("%Y%m") for d in range(days)]

        surnames = data.SURNAMES
        self.surname_pool = _weighted_pool([(s, 1 / (rank + 6)) for rank, s in enumerate(surnames)], 4096, rng)
        singles = sorted(set(data.GIVEN_NAME_CHARS))
        given = ([(c, 30 / len(singles)) for c in singles]
                 + [(g, 45 / len(COMMON_GIVEN_NAMES)) for g in COMMON_GIVEN_NAMES])
        pool = _weighted_pool(given, 8192, rng)
        for k in range(0, len(pool), 4):  # a quarter: two characters put together at random
            pool[k] = rng.choice(singles) + rng.choice(singles)
        self.given_pool = pool

        self.regions = {r[1]: r for r in data.REGIONS}
        self.city_pool = _weighted_pool(list(CITY_WEIGHTS.items()), 1024, rng)
        streets = list(data.STREETS) + list(EXTRA_STREETS)
        estates = list(data.ESTATES) + list(EXTRA_ESTATES)
        self.address_head = [f"{s}{n}号" for s in streets for n in range(1, 400)]
        self.address_tail = [f"{e}{b}栋{f}0{u}" for e in estates for b in range(1, 31) for f in range(1, 33)
                             for u in range(1, 5)]
        self.postcodes = {r[1]: [f"{r[3]}{n:03d}" for n in range(1000)] for r in data.REGIONS}
        start = date(1950, 1, 1).toordinal()
        self.birthdays = [date.fromordinal(d).isoformat() for d in range(start, date(2003, 12, 31).toordinal())]
        self.stage_pool = _weighted_pool(list(zip(HouseholdStage.codes(), (15, 20, 35, 18, 12))), 1000, rng)
        self.channel_pool = _weighted_pool(list(zip(AcquisitionChannel.codes(),
                                                    (12, 14, 8, 12, 22, 6, 14, 8, 4))), 1000, rng)
        self.tier_pool = _weighted_pool(list(zip(PriceTier.codes(), (25, 45, 22, 8))), 1000, rng)
        self.status_pool = _weighted_pool([("potential", 22), ("actual", 72), ("lost", 6)], 1000, rng)
        self.gender_pool = _weighted_pool([("female", 49), ("male", 47), ("unspecified", 4)], 1000, rng)
        self.housing_pool = _weighted_pool([(("apartment", 45, 180), 75), (("villa", 180, 450), 8),
                                            (("townhouse", 120, 260), 12), (("other", 30, 120), 5)], 1000, rng)
        self.employer_pool = list(data.EMPLOYERS) + [None, None, None]
        self.discounts = (None, None, "老客户九五折", "满一万减一千", "赠送床垫保护罩", "设计师推荐九折")
        self.payments = ("全款", "全款", "定金30%，送货前付清", "分期12期免息")
        self.stage_size = {"single": (1, 1), "couple": (2, 2), "young_family": (3, 4),
                           "three_generations": (5, 7), "retired_couple": (2, 2)}
        self.order_count_pool = _weighted_pool([(1, 46), (2, 32), (3, 14), (4, 8)], 1000, rng)
        self.visit_count_pool = _weighted_pool([(0, 54), (1, 32), (2, 10), (3, 4)], 1000, rng)
        self.quantity_pool = _weighted_pool([(1, 76), (2, 19), (3, 3), (4, 2)], 1000, rng)

        products = context.products
        self.product_pool = [products[k % len(products)] for k in range(len(products) * 8)]
        rng.shuffle(self.product_pool)
        self.prices = {}
        for product_id, category in products:
            low, high = PRICES.get(category, PRICES["other"])
            self.prices[product_id] = [(low + (high - low) * k // 63) // 100 * 100 for k in range(64)]
        self._visit_pools(rng)
        self._case_pools(rng)

        self._plan_dealers(rng)
        self.counters = Counter()
        self.ids = dict(context.next_ids)
        self.dealer_customers = Counter()
        self.name_counts = Counter()
        self.sample = None

    # ---- dealers ---------------------------------------------------------------------

    def _plan_dealers(self, rng: random.Random) -> None:
        context = self.context
        existing = [(dealer_id, code, city) for dealer_id, code, city in context.dealers]
        wanted = max(MIN_DEALERS, round(context.customers / CUSTOMERS_PER_DEALER))
        extra = max(0, wanted - len(existing))
        self.new_dealers = []
        dealer_id = context.next_ids["dealer"]
        names = Counter()
        for n in range(1, extra + 1):
            city = self.city_pool[int(rng.random() * len(self.city_pool))]
            province, _city, _code, _postal, districts = self.regions[city]
            district = districts[int(rng.random() * len(districts))]
            mall = MALLS[int(rng.random() * len(MALLS))]
            base = f"{city.rstrip('市')}{district.rstrip('区')}{mall}店"
            names[base] += 1
            name = base if names[base] == 1 else f"{base[:-1]}{names[base]}号店"
            level = rng.choices(("flagship", "standard", "outlet"), weights=(10, 70, 20))[0]
            joined = date(2010, 1, 1) + timedelta(days=int(rng.random() * (self.now.date() - date(2010, 1, 1)).days))
            created = f"{joined.isoformat()} {self.hms[9 * 3600 + n % 3600]}"
            phone = self._mobile(90_000_000 + n)
            contact = self.surname_pool[int(rng.random() * 4096)] + self.given_pool[int(rng.random() * 8192)]
            street = self.address_head[int(rng.random() * len(self.address_head))]
            self.new_dealers.append((dealer_id, f"BX-{n:06d}", name, province, city,
                                     f"{district}{street}{mall}{1 + n % 4}楼", contact, phone, level,
                                     0 if rng.random() < 0.03 else 1, joined.isoformat(), created, created))
            existing.append((dealer_id, f"BX-{n:06d}", city))
            dealer_id += 1
        # Customers per dealer: a spread around the mean; the demo dealers (dealer1's among
        # them) get exactly the mean's weight, so they hold a typical share.
        demo_ids = {row[0] for row in context.dealers}
        weights = [1.0 if d in demo_ids else rng.lognormvariate(0, 0.45) for d, _code, _city in existing]
        self.dealer_rows = existing
        self.dealer_cum = list(itertools.accumulate(weights))
        self.dealer_salespeople = {}
        for dealer_id, code, _city in existing:
            if dealer_id in demo_ids:
                people = list(self.data.SALESPEOPLE)
            else:
                people = [self.surname_pool[int(rng.random() * 4096)] + self.given_pool[int(rng.random() * 8192)]
                          for _ in range(rng.randint(3, 6))]
            self.dealer_salespeople[dealer_id] = people

    def dealers(self) -> list[tuple]:
        return self.new_dealers

    @staticmethod
    def _mobile(index: int) -> str:
        """The mobile number of customer `index` (0-based), as the app stores them (E.164).
        An affine map with a multiplier prime to 10 is one-to-one on 8 digits and looks
        random; the customer loop repeats this inline."""
        rest = (index * MOBILE_MULTIPLIER + MOBILE_OFFSET) % 100_000_000
        return f"+86{MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]}{rest:08d}"

    # ---- pools for visits and cases --------------------------------------------------

    def _visit_pools(self, rng: random.Random) -> None:
        from crm.models.choices import VisitChannel, VisitPurpose

        home = {"maintenance": "home_visit", "inspection": "home_visit", "installation": "home_visit",
                "measurement": "home_visit", "birthday": "sms", "holiday": "wechat"}
        purposes = _weighted_pool(list(zip(VisitPurpose.codes(), (22, 10, 15, 8, 20, 8, 8, 7, 2))), 1000, rng)
        channels = _weighted_pool(list(zip(VisitChannel.codes(), (5, 50, 15, 25, 1, 4))), 1000, rng)
        self.visit_pool = []
        for k, purpose in enumerate(purposes):
            summary, outcome = self.data.VISIT_SUMMARIES[purpose]
            channel = home.get(purpose, channels[k])
            self.visit_pool.append((channel, purpose, summary, outcome))
        self.satisfaction_pool = (3, 4, 4, 5, 5, 5, None, None)

    def _case_pools(self, rng: random.Random) -> None:
        from crm.models.choices import ComplaintCategory, ComplaintChannel, Severity, TicketTopic

        self.category_pool = _weighted_pool(list(zip(ComplaintCategory.codes(), (35, 20, 15, 12, 8, 10))), 1000, rng)
        self.complaint_channel_pool = _weighted_pool(list(zip(ComplaintChannel.codes(), (45, 20, 2, 8, 24, 1))),
                                                     1000, rng)
        self.severity_pool = _weighted_pool(list(zip(Severity.codes(), (20, 55, 18, 7))), 1000, rng)
        self.topic_pool = _weighted_pool(list(zip(TicketTopic.codes(), (40, 20, 20, 8, 12))), 1000, rng)
        # Most cases are long closed; a few are still open (see _case).
        self.complaint_status_pool = _weighted_pool([("closed", 80), ("resolved", 9), ("in_progress", 4),
                                                     ("acknowledged", 3), ("new", 2.5), ("reopened", 1.5)], 1000, rng)
        self.ticket_status_pool = _weighted_pool([("closed", 78), ("resolved", 10), ("in_progress", 4),
                                                  ("acknowledged", 3), ("new", 4), ("reopened", 1)], 1000, rng)
        self.rating_pool = _weighted_pool([(1, 2), (2, 5), (3, 15), (4, 38), (5, 40)], 1000, rng)
        self.nps_pool = _weighted_pool([(n, w) for n, w in zip(range(11), (1, 1, 1, 1, 2, 3, 4, 12, 18, 25, 32))],
                                       1000, rng)
        self.card_status_pool = _weighted_pool([("linked", 62), ("reviewed", 28), ("archived", 10)], 1000, rng)

    # ---- numbers customers read out ---------------------------------------------------

    def _code(self, kind: str) -> str:
        """Four characters in the app's alphabet, unique per kind (a permutation of a counter)."""
        from crm.services.numbering import ALPHABET

        space = len(ALPHABET) ** 4
        n = self.counters[kind]
        if n >= space:
            raise RuntimeError(f"more than {space} {kind} numbers")
        self.counters[kind] = n + 1
        value = (n * 387_420_489 + 12_345 + {"TS": 0, "RX": 1, "FK": 2}[kind]) % space
        digits = []
        for _ in range(4):
            value, remainder = divmod(value, len(ALPHABET))
            digits.append(ALPHABET[remainder])
        return "".join(digits)

    # ---- the chunk -------------------------------------------------------------------

    def chunk(self, first: int, count: int) -> dict[str, list[tuple]]:
        """Customers `first` .. `first + count - 1` (0-based) with their related rows."""
        customers = self.customers(first, count)
        return {"customer": customers, **self.related(first, customers)}

    def _created_t(self, j: int) -> int:
        """When customer `j` (0-based) was created: in store hours, evenly over the last
        three years, in id order (a dealer's newest customers are its highest ids)."""
        x = j * (3 * 365) / max(1, self.context.customers)
        day = self.today - 3 * 365 + int(x)
        return day * DAY + 9 * 3600 + int((x - int(x)) * 12 * 3600)

    def customers(self, first: int, count: int) -> list[tuple]:
        """The customer rows `first` .. `first + count - 1`, from their own random stream:
        the same rows wherever they are made (the side process makes them again for the
        related rows)."""
        r = random.Random(f"{SEED}-customers-{first}").random
        context = self.context
        total = max(1, context.customers)
        date_sp, hms = self.date_sp, self.hms
        now_t, today = self.now_t, self.today
        first_day = today - 3 * 365
        span_days = 3 * 365
        surnames, given = self.surname_pool, self.given_pool
        dealer_rows, dealer_cum = self.dealer_rows, self.dealer_cum
        dealer_total = dealer_cum[-1]
        city_pool = self.city_pool
        # city -> (province, districts, postal codes, area code)
        places = {city: (region[0], region[4], self.postcodes[city], AREA_CODES[city])
                  for city, region in self.regions.items()}
        head, tail = self.address_head, self.address_tail
        n_head, n_tail = len(head), len(tail)
        birthdays, n_birthdays = self.birthdays, len(self.birthdays)
        stage_pool, stage_size = self.stage_pool, self.stage_size
        channel_pool, tier_pool, status_pool = self.channel_pool, self.tier_pool, self.status_pool
        gender_pool, housing_pool = self.gender_pool, self.housing_pool
        employers, n_employers = self.employer_pool, len(self.employer_pool)
        discounts, payments = self.discounts, self.payments
        salespeople = self.dealer_salespeople
        prefixes, n_prefixes = MOBILE_PREFIXES, len(MOBILE_PREFIXES)
        multiplier, offset = MOBILE_MULTIPLIER, MOBILE_OFFSET

        customers = []
        cid = self.context.next_ids["customer"] + first
        for j in range(first, first + count):
            # As _created_t(j), inline.
            x = j * span_days / total
            day = first_day + int(x)
            created_t = day * DAY + 9 * 3600 + int((x - int(x)) * 12 * 3600)
            created = date_sp[day] + hms[created_t - day * DAY]
            dealer_id, _code, dealer_city = dealer_rows[bisect(dealer_cum, r() * dealer_total)]
            city = dealer_city if r() < 0.95 else city_pool[int(r() * 1024)]
            province, districts, postcodes, area_code = places[city]
            stage = stage_pool[int(r() * 1000)]
            low, high = stage_size[stage]
            housing, area_low, area_high = housing_pool[int(r() * 1000)]
            channel = channel_pool[int(r() * 1000)]
            consent = 1 if r() < 0.5 else 0
            people = salespeople[dealer_id]
            updated = created if r() < 0.85 else (
                date_sp[(t := created_t + int((now_t - created_t) * r())) // DAY] + hms[t % DAY])
            customers.append((
                cid, surnames[int(r() * 4096)] + given[int(r() * 8192)], gender_pool[int(r() * 1000)],
                f"+86{prefixes[j % n_prefixes]}{(j * multiplier + offset) % 100_000_000:08d}",
                f"+86{area_code}{20_000_000 + int(r() * 70_000_000)}" if r() < 0.12 else None,
                f"{10_000 + int(r() * 3_000_000_000)}@{EMAIL_DOMAINS[int(r() * 8)]}" if r() < 0.25 else None,
                province, city, districts[int(r() * len(districts))], head[int(r() * n_head)] + tail[int(r() * n_tail)],
                postcodes[int(r() * 1000)], housing, area_low + int(r() * (area_high - area_low)),
                stage, low + int(r() * (high - low + 1)), employers[int(r() * n_employers)],
                birthdays[int(r() * n_birthdays)] if r() < 0.85 else None,
                channel, 1 + int(r() * (cid - 1)) if channel == "referral" and cid > 1 and r() < 0.7 else None,
                status_pool[int(r() * 1000)], dealer_id, people[int(r() * len(people))], tier_pool[int(r() * 1000)],
                discounts[int(r() * 6)], payments[int(r() * 4)], consent, created if consent else None, created,
                updated,
            ))
            cid += 1
        return customers

    def count_customers(self, customers: list[tuple]) -> None:
        """Tally names and dealers of customer rows (for facts())."""
        self.name_counts.update(row[1] for row in customers)
        self.dealer_customers.update(row[20] for row in customers)

    def related(self, first: int, customers: list[tuple]) -> dict[str, list[tuple]]:
        """Orders, visits, complaints (with their timelines), feedback cards and hotline
        tickets of the customer rows `customers` (customers `first` onwards), from their
        own random stream; their ids continue from the previous chunk's."""
        self.rng = random.Random(f"{SEED}-related-{first}")
        self.overdue_to_place = MIN_OVERDUE_COMPLAINTS if first == 0 else 0
        r = self.rng.random
        ids = self.ids
        context = self.context
        dates, date_sp, hms = self.dates, self.date_sp, self.hms
        now_t, today = self.now_t, self.today
        order_count_pool, visit_count_pool = self.order_count_pool, self.visit_count_pool
        quantity_pool, product_pool, prices = self.quantity_pool, self.product_pool, self.prices
        n_products = len(product_pool)
        visit_pool, satisfaction_pool = self.visit_pool, self.satisfaction_pool
        yyyymm = self.yyyymm
        clerk = context.users.get("clerk")

        orders, visits = [], []
        complaints, tickets, notes, cards = [], [], [], []
        oid = ids["orders"]
        vid = ids["visit"]
        for j, customer in enumerate(customers, first):
            cid, name, customer_mobile, city, address = customer[0], customer[1], customer[3], customer[7], customer[9]
            status, dealer_id, salesperson, consent = customer[19], customer[20], customer[21], customer[25]
            created_t = self._created_t(j)
            day = created_t // DAY
            if status == "potential":
                customer_orders = ()
            else:
                customer_orders = []
                ordered = day + int(r() * 31)
                for k in range(order_count_pool[int(r() * 1000)]):
                    if ordered > today:
                        break
                    product_id, _category = product_pool[int(r() * n_products)]
                    quantity = quantity_pool[int(r() * 1000)]
                    delivered = ordered + 5 + int(r() * 21)
                    if delivered > today:
                        delivered = installed = None
                    else:
                        installed = delivered + int(r() * 4)
                        if installed > today:
                            installed = None
                    stamp = date_sp[ordered] + hms[9 * 3600 + int(r() * 12 * 3600)]
                    orders.append((
                        oid, f"SO{yyyymm[ordered]}-{cid:07d}-{k + 1}", cid, dealer_id, product_id, quantity,
                        prices[product_id][int(r() * 64)] * quantity, dates[ordered],
                        dates[delivered] if delivered is not None else None,
                        dates[installed] if installed is not None else None, salesperson, stamp, stamp,
                    ))
                    customer_orders.append((oid, ordered, delivered, product_id))
                    oid += 1
                    ordered += 60 + int(r() * 440)

            if customer_orders:
                first_order_day = customer_orders[0][1]
                visit_span = min(890, today - first_order_day - 1)
                for _ in range(visit_count_pool[int(r() * 1000)] if visit_span > 0 else 0):
                    vday = first_order_day + 1 + int(r() * visit_span)
                    channel_v, purpose, summary, outcome = visit_pool[int(r() * 1000)]
                    t = vday * DAY + 9 * 3600 + int(r() * 11 * 3600)
                    if t > now_t:
                        t = now_t - 3600
                    stamp = date_sp[t // DAY] + hms[t % DAY]
                    follow = dates[vday + (30, 90, 180)[int(r() * 3)]] if r() < 0.4 else None
                    visits.append((
                        vid, cid, dealer_id, clerk if channel_v == "phone" and r() < 0.3 else None, channel_v,
                        purpose, stamp, address if channel_v == "home_visit" else None, summary, outcome,
                        satisfaction_pool[int(r() * 8)], follow, stamp, stamp,
                    ))
                    vid += 1
                if r() < 0.04:
                    self._complaint(complaints, notes, cid, dealer_id, customer_orders)
                if r() < 0.066:
                    self._card(cards, cid, dealer_id, name, customer_mobile, consent, customer_orders)
            if r() < 0.01:
                self._ticket(tickets, notes, cid, dealer_id, name, customer_mobile, city, address, created_t,
                             customer_orders)
            if self.sample is None and len(customer_orders) >= 2 and complaints and complaints[-1][2] == cid:
                self.sample = (cid, customer_mobile, dealer_id)

        ids["orders"], ids["visit"] = oid, vid
        return {"orders": orders, "visit": visits, "complaint": complaints, "hotline_ticket": tickets,
                "case_note": notes, "feedback_card": cards}

    # ---- complaints, tickets and their timelines --------------------------------------

    def _dt(self, t: int) -> str:
        return self.date_sp[t // DAY] + self.hms[t % DAY]

    def _case(self, status: str, severity: str, earliest_t: int, responsible: int | None,
              overdue_wanted: bool = False) -> dict:
        """Received time, lifecycle stamps, deadlines and timeline of one complaint or ticket.
        Closed and resolved cases spread over the last year; open ones are recent, and about
        7% of them are overdue (those waiting for a first response were escalated)."""
        r = self.rng.random
        now_t = self.now_t
        year_ago = now_t - 365 * DAY
        lo = max(earliest_t, year_ago)
        clerk = self.context.users.get("clerk")
        open_case = status not in ("closed", "resolved")
        overdue = open_case and (r() < 0.07 or overdue_wanted)
        for attempt in range(3):
            if not open_case:
                hi = now_t - 10 * DAY if lo < now_t - 10 * DAY else now_t
                received = lo + int(r() * (hi - lo))
            elif overdue and attempt == 0 and lo < now_t - 45 * DAY:
                received = now_t - (12 * DAY + int(r() * 33 * DAY))
            else:
                overdue = False
                window = 2 * DAY if attempt == 0 else 3 * 3600
                received = max(lo, now_t - int(r() * window))
            timeline = self._timeline(status, severity, received)
            if not open_case or overdue:
                break
            due = timeline["first_due"] if timeline["first_response"] is None else timeline["resolution_due"]
            if due > now_t:
                break
        else:
            overdue = True  # the case could not be placed in time; it stays overdue
        t = timeline
        first_due, first_response = t["first_due"], t["first_response"]
        escalated = None
        if (first_due < now_t) if first_response is None else (first_response > first_due):
            escalated = first_due + 300 if first_due + 300 < now_t else first_due
        if escalated is not None:
            assignee = clerk
        elif first_response is None:
            assignee = None
        else:
            assignee = responsible or clerk
        satisfaction = close_reason = None
        if status == "closed":
            satisfaction = self.rating_pool[int(r() * 1000)] if r() < 0.9 else None
            if satisfaction is None:
                close_reason = CLOSE_REASONS[int(r() * len(CLOSE_REASONS))]
        resolution = RESOLUTIONS[int(r() * len(RESOLUTIONS))] if t["resolved"] is not None or t["reopened"] else None

        notes = []  # (kind, public, body, t, author)
        if escalated is not None:
            due_text = (self.day0_dt + timedelta(seconds=first_due)).strftime("%Y-%m-%d %H:%M")
            notes.append(("escalate", 0, due_text, escalated, None))
        if first_response is not None:
            notes.append(("acknowledge", 0, "", first_response, assignee))
            if r() < 0.5:
                notes.append(("response", 1, RESPONSES[int(r() * len(RESPONSES))],
                              min(first_response + 600, now_t), assignee))
        if t["started"] is not None:
            notes.append(("start", 0, "", t["started"], assignee))
        if t["first_resolved"] is not None:
            notes.append(("resolve", 0, resolution, t["first_resolved"], assignee))
        if t["reopened"] is not None:
            notes.append(("reopen", 0, REOPEN_REASONS[int(r() * len(REOPEN_REASONS))], t["reopened"], assignee))
        if t["closed"] is not None:
            if satisfaction is not None:
                notes.append(("callback", 0, f"{satisfaction}/5 {CALLBACK_OUTCOMES[int(r() * 3)]}",
                              max(t["resolved"], t["closed"] - 1800), assignee))
            notes.append(("close", 0, close_reason or "", t["closed"], assignee))
        dt = self._dt
        return {
            "received": received, "received_s": dt(received),
            "first_response_at": dt(first_response) if first_response is not None else None,
            "resolved_at": dt(t["resolved"]) if t["resolved"] is not None else None,
            "closed_at": dt(t["closed"]) if t["closed"] is not None else None,
            "first_response_due_at": dt(first_due), "resolution_due_at": dt(t["resolution_due"]),
            "escalated_at": dt(escalated) if escalated is not None else None,
            "assigned_to_id": assignee, "satisfaction": satisfaction, "close_reason": close_reason,
            "resolution": resolution if t["resolved"] is not None else None,
            "updated_at": dt(max(n[3] for n in notes)) if notes else dt(received),
            "notes": notes, "overdue": overdue,
        }

    def _timeline(self, status: str, severity: str, received: int) -> dict:
        r = self.rng.random
        now_t = self.now_t
        first_due, resolution_due = self._deadlines(received, severity)
        first_response = started = resolved = first_resolved = closed = reopened = None
        if status != "new":
            room = max(60, now_t - received)
            first_response = received + min(int((0.3 + r() * 30) * 3600), int(room * (0.05 + 0.3 * r())))
        if status in ("in_progress", "resolved", "closed", "reopened"):
            started = first_response + int(min(now_t - first_response, 6 * 3600) * r())
        if status in ("resolved", "closed", "reopened"):
            first_resolved = resolved = started + int(min(now_t - started, (0.5 + r() * 8) * DAY) * (0.3 + 0.7 * r()))
        if status == "closed":
            closed = resolved + int(min(now_t - resolved, (0.2 + r() * 4) * DAY) * r())
        if status == "reopened":
            reopened = resolved + int((now_t - resolved) * r() * 0.5)
            resolved = None
            resolution_due = self._deadlines(reopened, severity)[1]
        return {"first_due": first_due, "resolution_due": resolution_due, "first_response": first_response,
                "started": started, "resolved": resolved, "first_resolved": first_resolved, "closed": closed,
                "reopened": reopened}

    def _deadlines(self, t: int, severity: str) -> tuple[int, int]:
        calendar = self.context.calendar
        hours, days = self.context.sla_targets.get(severity, self.context.sla_targets["normal"])
        moment = self.day0_dt + timedelta(seconds=t)
        first = calendar.add_hours(moment, hours) - self.day0_dt
        resolution = calendar.add_days(moment, days) - self.day0_dt
        return int(first.total_seconds()), int(resolution.total_seconds())

    def _add_notes(self, notes: list, case: dict, complaint_id, ticket_id) -> None:
        note_id = self.ids["case_note"]
        dt = self._dt
        for kind, public, body, t, author in sorted(case["notes"], key=lambda n: n[3]):
            stamp = dt(t)
            notes.append((note_id, complaint_id, ticket_id, author, kind, public, body, stamp, stamp))
            note_id += 1
        self.ids["case_note"] = note_id

    def _complaint(self, complaints, notes, cid, dealer_id, customer_orders) -> None:
        r = self.rng.random
        order_id, ordered, delivered, product_id = customer_orders[int(r() * len(customer_orders))]
        earliest = ((delivered if delivered is not None else ordered) + 1) * DAY + 9 * 3600
        if earliest >= self.now_t - 3600:
            return
        category = self.category_pool[int(r() * 1000)]
        severity = self.severity_pool[int(r() * 1000)]
        status = self.complaint_status_pool[int(r() * 1000)]
        case = self._case(status, severity, earliest, self.context.user_dealers.get(dealer_id),
                          overdue_wanted=self.overdue_to_place > 0)
        self.overdue_to_place -= case["overdue"]
        complaint_id = self.ids["complaint"]
        self.ids["complaint"] = complaint_id + 1
        texts = self.data.COMPLAINT_TEXTS[category]
        complaints.append((
            complaint_id, f"TS{self.yymmdd[case['received'] // DAY]}-{self._code('TS')}", cid, dealer_id,
            order_id, product_id, self.complaint_channel_pool[int(r() * 1000)], category, severity, status,
            texts[int(r() * len(texts))], case["assigned_to_id"], case["received_s"],
            ROOT_CAUSES[int(r() * len(ROOT_CAUSES))] if case["resolved_at"] and category == "product_quality" else None,
            case["first_response_at"], case["resolved_at"], case["resolution"], case["satisfaction"],
            case["first_response_due_at"], case["resolution_due_at"], case["escalated_at"], case["closed_at"],
            case["close_reason"], case["received_s"], case["updated_at"],
        ))
        self._add_notes(notes, case, complaint_id, None)

    def _ticket(self, tickets, notes, cid, dealer_id, name, mobile, city, address, created_t,
                customer_orders) -> None:
        r = self.rng.random
        topic = self.topic_pool[int(r() * 1000)]
        status = self.ticket_status_pool[int(r() * 1000)]
        earliest = created_t + 3600
        if earliest >= self.now_t - 3600:
            return
        case = self._case(status, "normal", earliest, self.context.user_dealers.get(dealer_id))
        ticket_id = self.ids["hotline_ticket"]
        self.ids["hotline_ticket"] = ticket_id + 1
        product_id = purchase = None
        if customer_orders and topic in ("repair", "complaint", "product_question"):
            _order_id, ordered, _delivered, product_id = customer_orders[0]
            purchase = self.dates[ordered]
        tickets.append((
            ticket_id, f"RX{self.yymmdd[case['received'] // DAY]}-{self._code('RX')}",
            "web" if r() < 0.35 else "phone", topic, self.data.TICKET_TEXTS[topic], name, mobile, city, address,
            cid, dealer_id, product_id, purchase, status, case["assigned_to_id"], case["received_s"],
            case["first_response_at"], case["resolved_at"], case["resolution"], case["satisfaction"],
            case["first_response_due_at"], case["resolution_due_at"], case["escalated_at"], case["closed_at"],
            case["close_reason"], case["received_s"], case["updated_at"],
        ))
        self._add_notes(notes, case, None, ticket_id)

    def _card(self, cards, cid, dealer_id, name, mobile, consent, customer_orders) -> None:
        r = self.rng.random
        now_t = self.now_t
        _order_id, ordered, delivered, product_id = customer_orders[int(r() * len(customer_orders))]
        lo = max(((delivered if delivered is not None else ordered) + 2) * DAY, now_t - 365 * DAY)
        if lo >= now_t - 3600:
            return
        t = lo + int(r() * (now_t - lo))
        day = t // DAY
        t = min(day * DAY + 8 * 3600 + t % (14 * 3600), now_t - 60)  # 08:00-22:00
        stamp = self._dt(t)
        card_id = self.ids["feedback_card"]
        self.ids["feedback_card"] = card_id + 1
        ratings = self.rating_pool
        comments = self.data.CARD_COMMENTS
        status = "new" if now_t - t < 7 * DAY and r() < 0.7 else self.card_status_pool[int(r() * 1000)]
        cards.append((
            card_id, f"FK{self.yymmdd[day]}-{self._code('FK')}", cid, dealer_id, product_id, self.dates[ordered],
            ratings[int(r() * 1000)], ratings[int(r() * 1000)], ratings[int(r() * 1000)],
            ratings[int(r() * 1000)], ratings[int(r() * 1000)], self.nps_pool[int(r() * 1000)],
            comments[int(r() * len(comments))] or None, name, mobile, consent, stamp if consent else None, status,
            stamp, stamp, stamp,
        ))

    # ---- what the benchmark queries by ------------------------------------------------

    TALLIES = ("ids", "counters", "sample")  # of related(); count_customers() is the caller's

    def tallies(self) -> dict:
        return {name: getattr(self, name) for name in self.TALLIES}

    def adopt(self, tallies: dict) -> None:
        """Take over the tallies of a copy of this generator that made the rows elsewhere."""
        for name in self.TALLIES:
            setattr(self, name, tallies[name])

    def facts(self) -> dict:
        context = self.context
        codes = {dealer_id: code for dealer_id, code, _city in self.dealer_rows}
        dealer1 = context.dealer1_dealer
        counts = sorted((n, codes[d]) for d, n in self.dealer_customers.items() if codes[d] != dealer1)
        sample_dealer = counts[len(counts) // 2] if counts else (0, None)
        dealer1_id = next(d for d, code in codes.items() if code == dealer1)
        total = sum(self.name_counts.values())
        three = [(n, name) for name, n in self.name_counts.items() if len(name) == 3 and n >= 2]
        target = max(2.0, total * 0.001)
        name_count, name_part = min(three, key=lambda item: (abs(item[0] - target), item[1])) if three else (0, None)
        facts = {
            "dealers_total": len(self.dealer_rows),
            "dealer_user_dealer_code": dealer1,
            "dealer_user_dealer_customers": self.dealer_customers.get(dealer1_id, 0),
            "sample_dealer_code": sample_dealer[1],
            "sample_dealer_customers": sample_dealer[0],
            "sample_name_part": name_part,
            "sample_name_part_customers": name_count,
            "sample_customer_id": None,
            "sample_whole_mobile": None,
            "sample_mobile_part": None,
        }
        if self.sample is not None:
            customer_id, mobile, _dealer = self.sample
            digits = mobile[3:]  # +86 and 11 digits
            facts.update(sample_customer_id=customer_id, sample_whole_mobile=digits,
                         sample_whole_mobile_stored=mobile, sample_mobile_part=digits[5:9])
        return facts


def _pieces(generator: _Generator) -> list[tuple[int, int]]:
    """(first customer, count) of each chunk."""
    total = generator.context.customers
    return [(first, min(CHUNK, total - first)) for first in range(0, total, CHUNK)]


def _chunks(generator: _Generator, related: bool):
    """(customers so far, rows by table, seconds to make them) chunk by chunk: the
    customers, and their related rows if `related`."""
    for first, count in _pieces(generator):
        start = time.perf_counter()
        rows = {"customer": generator.customers(first, count)}
        generator.count_customers(rows["customer"])
        if related:
            rows.update(generator.related(first, rows["customer"]))
        yield first + count, rows, time.perf_counter() - start


class _SideProcess:
    """A forked process that makes the related rows (every table but customer) chunk by
    chunk, writes them into a side SQLite database and builds their indexes there, while
    this process makes and writes the customers and builds their indexes. finish() waits
    for it and takes over the generator's tallies."""

    def __init__(self, generator: _Generator, side: "_SideDatabase"):
        self.generator = generator
        self.side = side
        self.process = None
        self.finished = False

    @staticmethod
    def possible() -> bool:
        return "fork" in multiprocessing.get_all_start_methods()

    def __enter__(self) -> "_SideProcess":
        for stream in (sys.stdout, sys.stderr):  # or the child flushes a copy of what is buffered
            with contextlib.suppress(Exception):
                stream.flush()
        context = multiprocessing.get_context("fork")
        self.receiver, sender = context.Pipe(duplex=False)
        self.process = context.Process(target=self._run, args=(sender,), daemon=True)
        self.process.start()
        sender.close()
        return self

    def _run(self, sender) -> None:
        generator, side = self.generator, self.side
        try:
            report = {"rows": Counter(), "seconds": Counter()}
            side.open()
            for first, count in _pieces(generator):
                start = time.perf_counter()
                rows = generator.related(first, generator.customers(first, count))
                made = time.perf_counter()
                report["rows"].update(side.insert(rows))
                report["seconds"]["side: make rows"] += made - start
                report["seconds"]["side: insert"] += time.perf_counter() - made
            start = time.perf_counter()
            side.finish()
            report["seconds"]["side: create indexes"] += time.perf_counter() - start
            sender.send(("done", {"tallies": generator.tallies(), "report": report}))
        except BaseException:  # noqa: BLE001 - the parent reports it
            sender.send(("error", traceback.format_exc()))
        finally:
            sender.close()

    def finish(self) -> dict:
        """Wait for the side database to be complete; the rows it holds and seconds it took."""
        kind, payload = self.receiver.recv()
        if kind == "error":
            raise RuntimeError(f"the side process failed:\n{payload}")
        self.generator.adopt(payload["tallies"])
        self.finished = True
        return payload["report"]

    def __exit__(self, *_exc) -> None:
        self.receiver.close()
        if not self.finished:
            self.process.terminate()
        self.process.join()


class _SideDatabase:
    """A scratch SQLite file with some of the loaded tables, exactly as the target defines
    them: loaded and indexed by the side process while the target builds the customer
    table, then copied into the target by `INSERT INTO t SELECT * FROM side.t`, which
    SQLite carries out as a page-order copy of the table and of each of its indexes (the
    "transfer optimization", as VACUUM does) instead of inserting row by row."""

    def __init__(self, path: Path, tables: list[str], create_tables: list[str], create_indexes: list[str]):
        self.path = path
        self.tables = tuple(tables)
        self.create_tables = create_tables
        self.create_indexes = create_indexes
        self.connection = None

    def open(self) -> None:
        self.path.unlink(missing_ok=True)
        self.connection = _sqlite_bulk_connection(self.path)
        for sql in self.create_tables:
            self.connection.execute(sql)
        self.connection.execute("BEGIN")
        self.sql = {table: _insert_sql(table) for table in self.tables}

    def insert(self, rows: dict[str, list[tuple]]) -> Counter:
        counts = Counter()
        for table in self.tables:
            if rows.get(table):
                self.connection.executemany(self.sql[table], rows[table])
                counts[table] += len(rows[table])
        return counts

    def finish(self) -> None:
        self.connection.execute("COMMIT")
        self.connection.execute("BEGIN")
        for sql in self.create_indexes:
            self.connection.execute(sql)
        self.connection.execute("COMMIT")
        self.connection.close()


def _sqlite_bulk_connection(path: Path):
    """A connection for loading a fresh file: no journal (a failed load is thrown away),
    no syncs, a large page cache and sorter threads for the index builds, foreign keys
    off (the rows are consistent by construction; checks also stop SQLite's page copy)."""
    import sqlite3

    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("busy_timeout = 10000", "foreign_keys = OFF", "journal_mode = OFF", "synchronous = OFF",
                   "cache_size = -1000000", "temp_store = MEMORY", "threads = 2"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def _insert_sql(table: str) -> str:
    columns = COLUMNS[table]
    return f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" for _ in columns)})'


# --------------------------------------------------------------------------------------
# The databases
# --------------------------------------------------------------------------------------

def _target_for(database_url: str):
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _SQLite(url)
    if url.get_backend_name() in ("postgresql", "postgres"):
        return _PostgreSQL(url)
    raise ValueError(f"unsupported database: {database_url}")


class _SQLite:
    name = "sqlite"

    def __init__(self, url):
        if not url.database or url.database == ":memory:":
            raise ValueError("SQLite needs a database file")
        self.path = Path(url.database).expanduser().resolve()
        self.app_url = f"sqlite:///{self.path}"
        self.display_url = self.app_url

    def reset(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        for leftover in self.path.parent.glob(f"{self.path.name}.side-*"):  # of an interrupted load
            leftover.unlink(missing_ok=True)

    def _connect(self):
        import sqlite3

        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout = 10000")
        return connection

    def query(self, sql: str, params=()) -> list[tuple]:
        connection = self._connect()
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()

    def _check_columns(self, connection, table: str) -> None:
        info = connection.execute(f'PRAGMA table_xinfo("{table}")').fetchall()
        existing = {row[1] for row in info}
        supplied = set(COLUMNS[table])
        missing = supplied - existing
        if missing:
            raise RuntimeError(f"{table} has no column(s) {sorted(missing)}: bench/seed.py needs updating")
        required = [row[1] for row in info if row[3] and row[4] is None and not row[5] and row[6] == 0
                    and row[1] not in supplied]
        if required:
            raise RuntimeError(f"{table} needs {required} (NOT NULL, no default): bench/seed.py needs updating")

    def load_dealers(self, rows: list[tuple]) -> int:
        connection = self._connect()
        try:
            self._check_columns(connection, "dealer")
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(_insert_sql("dealer"), rows)
            connection.execute("COMMIT")
        finally:
            connection.close()
        return len(rows)

    @staticmethod
    def _is_fts5(connection, name: str) -> bool:
        found = connection.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                                   (name,)).fetchone()
        return bool(found and re.search(r"USING\s+fts5\s*\(", found[0] or "", re.I))

    def _fts_tables(self, connection) -> dict[str, str]:
        """FTS5 tables over external content (their text lives in another table): name -> content table."""
        found = {}
        for name, sql in connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                            "AND sql LIKE 'CREATE VIRTUAL TABLE%'"):
            content = re.search(r"content\s*=\s*'([^']+)'", sql, re.I)
            if re.search(r"USING\s+fts5\s*\(", sql, re.I) and content:
                found[name] = content.group(1)
        return found

    def load(self, generator: _Generator, timer: _Timer, say) -> dict[str, int]:
        """The customer table (and any loaded table with triggers or under a search index)
        is written here: its indexes and triggers dropped, rows inserted in one
        transaction, indexes created, search tables rebuilt, triggers back. Meanwhile a
        side process (where there is fork) loads and indexes the other tables in a side
        database, copied in at the end: SQLite has one writer, and this spreads the work
        over two cores."""
        connection = _sqlite_bulk_connection(self.path)
        loaded = Counter()
        side = None
        try:
            for table in LOADED_TABLES:
                self._check_columns(connection, table)
            fts = self._fts_tables(connection)
            triggered = {table for (table,) in connection.execute(
                "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger'")}
            here = [t for t in LOADED_TABLES if t == "customer" or t in triggered or t in fts.values()]
            if generator.background and _SideProcess.possible():
                side_tables = [t for t in LOADED_TABLES if t not in here]
                side = _SideDatabase(
                    self.path.with_name(f"{self.path.name}.side-{os.getpid()}"), side_tables,
                    [self._schema_sql(connection, "table", t) for t in side_tables],
                    [sql for t in side_tables for _name, sql in self._indexes(connection, t)])
            else:
                here = list(LOADED_TABLES)
            with timer.phase("drop indexes"):
                connection.execute("BEGIN IMMEDIATE")
                saved = self._drop_secondary(connection, here, fts, generator.context.next_ids, say)
                connection.execute("COMMIT")
            with (_SideProcess(generator, side) if side else contextlib.nullcontext()) as side_process:
                connection.execute("BEGIN IMMEDIATE")
                self._load_chunks(connection, here, generator, timer, say, loaded)
                connection.execute("COMMIT")
                with timer.phase("create indexes") as phase:
                    connection.execute("BEGIN IMMEDIATE")
                    for _name, sql in saved["indexes"]:
                        connection.execute(sql)
                    connection.execute("COMMIT")
                    phase.rows = len(saved["indexes"])
                with timer.phase("rebuild search") as phase:
                    connection.execute("BEGIN IMMEDIATE")
                    for name in fts:
                        with self._large_fts_hash(connection, name):
                            connection.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')')
                    for target, statement in saved["replays"]:
                        fts_target = self._is_fts5(connection, target)
                        with self._large_fts_hash(connection, target) if fts_target else contextlib.nullcontext():
                            connection.execute(statement)
                    for _name, sql in saved["triggers"]:
                        connection.execute(sql)
                    connection.execute("COMMIT")
                    phase.rows = len(fts) + len(saved["replays"])
                if side_process is not None:
                    with timer.phase("wait for side process"):
                        report = side_process.finish()
            if side is not None:
                for name, seconds in report["seconds"].items():
                    timer.add(name, seconds)
                with timer.phase("copy side tables") as phase:
                    connection.execute("ATTACH DATABASE ? AS side", (str(side.path),))
                    connection.execute("BEGIN IMMEDIATE")
                    for table in side.tables:
                        connection.execute(f'INSERT INTO main."{table}" SELECT * FROM side."{table}"')
                    connection.execute("COMMIT")
                    connection.execute("DETACH DATABASE side")
                    loaded.update(report["rows"])
                    phase.rows = sum(report["rows"].values())
            with timer.phase("analyze"):
                self._fix_sequences(connection)
                connection.execute("PRAGMA analysis_limit = 1000")
                connection.execute("ANALYZE")
            connection.execute("PRAGMA journal_mode = WAL")  # the app's setting (crm.database)
        finally:
            connection.close()
            if side is not None:
                side.path.unlink(missing_ok=True)
        return {table: loaded[table] for table in LOADED_TABLES}

    @staticmethod
    def _schema_sql(connection, kind: str, name: str) -> str:
        return connection.execute("SELECT sql FROM sqlite_master WHERE type = ? AND name = ?",
                                  (kind, name)).fetchone()[0]

    @staticmethod
    def _indexes(connection, table: str) -> list[tuple[str, str]]:
        """(name, sql) of the indexes of `table` that were created on their own (not by a
        UNIQUE or PRIMARY KEY constraint, which SQLite keeps with the table)."""
        return connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                  "AND sql IS NOT NULL ORDER BY name", (table,)).fetchall()

    @staticmethod
    @contextlib.contextmanager
    def _large_fts_hash(connection, name: str):
        """While filling the FTS5 table `name` in bulk: a large in-memory term hash (FTS5's
        `hashsize`, 1 MB by default) writes a few big segments instead of a thousand small
        ones to merge, a third faster. The default is put back after."""
        import sqlite3

        command = f'INSERT INTO "{name}"("{name}", rank) VALUES (?, ?)'
        try:
            connection.execute(command, ("hashsize", FTS_REBUILD_HASHSIZE))
            tuned = True
        except sqlite3.Error:  # an SQLite without the setting: as it is
            tuned = False
        yield
        if tuned:
            connection.execute(command, ("hashsize", FTS_DEFAULT_HASHSIZE))

    def _drop_secondary(self, connection, tables: list[str], fts: dict[str, str], first_ids: dict[str, int],
                        say) -> dict:
        """Drop the secondary indexes of `tables` and the triggers that would fire on each
        inserted row. A trigger that fills an external-content FTS table is made good by
        that table's rebuild, the customer blocks' (crm/page_blocks.py) by counting them
        afresh; one that inserts rows computed from the new row (such as a
        contentless FTS table's) by running its INSERT once for all loaded rows. Any other
        stays, so that whatever it maintains is maintained (slowly)."""
        indexes = [index for table in tables for index in self._indexes(connection, table)]
        triggers, replays = [], []
        for table in tables:
            for name, sql in connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                                "AND tbl_name = ? ORDER BY name", (table,)).fetchall():
                if not re.match(r"\s*CREATE\s+TRIGGER\s+(IF\s+NOT\s+EXISTS\s+)?\S+\s+(AFTER\s+)?INSERT\b", sql, re.I):
                    continue  # fires on updates or deletes: not during the load
                targets = set(re.findall(r'\bINSERT\s+INTO\s+"?(\w+)"?', sql, re.I))
                if targets and targets <= set(fts):
                    triggers.append((name, sql))
                    continue
                if targets == {page_blocks.TABLE}:  # counted afresh after the load
                    triggers.append((name, sql))
                    replays.extend((page_blocks.TABLE, statement)
                                   for statement in page_blocks.rebuild_statements("sqlite"))
                    continue
                replay = self._replay_statements(connection, table, sql, first_ids.get(table, 1))
                if replay is None:
                    say(f"keeping trigger {name} during the load")
                    continue
                triggers.append((name, sql))
                replays.extend(replay)
        for name, _sql in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        for name, _sql in triggers:
            connection.execute(f'DROP TRIGGER "{name}"')
        return {"indexes": indexes, "triggers": triggers, "replays": replays}

    @staticmethod
    def _replay_statements(connection, table: str, trigger_sql: str, first_id: int) -> list[tuple[str, str]] | None:
        """(target table, statement) that do for all rows of `table` from `first_id` on what
        the AFTER INSERT trigger `trigger_sql` does for one: each `INSERT INTO t(...) VALUES
        (... new.x ...)` becomes `INSERT INTO t(...) SELECT ... table.x ... FROM table`.
        None when the trigger is anything else (a WHEN clause becomes the WHERE)."""
        import sqlite3

        found = re.match(r'\s*CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?\S+\s+(?:AFTER\s+)?INSERT\s+ON\s+"?\w+"?\s+'
                         r"(?:FOR\s+EACH\s+ROW\s+)?(?:WHEN\s+(?P<when>.*?)\s+)?BEGIN\s+(?P<body>.*)\bEND\s*;?\s*$",
                         trigger_sql, re.I | re.S)
        if not found:
            return None
        row = f'"{table}"'

        def from_row(expression: str) -> str:
            return re.sub(r"\bnew\s*\.", f"{row}.", expression, flags=re.I)

        where = f"{row}.rowid >= {int(first_id)}"
        if found.group("when"):
            where += f" AND ({from_row(found.group('when'))})"
        statements, pending = [], ""
        for piece in found.group("body").split(";"):
            pending += piece + ";"
            if sqlite3.complete_statement(pending):
                statements.append(pending.strip().rstrip(";").strip())
                pending = ""
        if pending.strip(" ;\n\t"):
            return None
        replays = []
        for statement in filter(None, statements):
            insert = re.match(r'INSERT\s+INTO\s+(?P<target>"[^"]+"|\w+)\s*(?P<columns>\([^)]*\))\s*'
                              r"VALUES\s*\((?P<values>.*)\)\s*$", statement, re.I | re.S)
            if not insert:
                return None
            replay = (f"INSERT INTO {insert.group('target')}{insert.group('columns')} "
                      f"SELECT {from_row(insert.group('values'))} FROM {row} WHERE {where} ORDER BY {row}.rowid")
            try:
                connection.execute(f"EXPLAIN {replay}")  # compiles, or the trigger stays
            except sqlite3.Error:
                return None
            replays.append((insert.group("target").strip('"'), replay))
        return replays

    def _load_chunks(self, connection, tables, generator, timer, say, loaded) -> None:
        sql = {table: _insert_sql(table) for table in tables}
        for done, rows, made in _chunks(generator, related=tables != ["customer"]):
            start = time.perf_counter()
            for table in tables:
                if rows.get(table):
                    connection.executemany(sql[table], rows[table])
                    loaded[table] += len(rows[table])
            inserted = time.perf_counter() - start
            timer.add("make rows", made)
            timer.add("insert", inserted)
            say(f"customers {done:,}/{generator.context.customers:,}: rows made in {made:.1f} s, "
                f"inserted in {inserted:.1f} s")

    def _fix_sequences(self, connection) -> None:
        if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
            for table in ("dealer", *LOADED_TABLES):
                connection.execute("UPDATE sqlite_sequence SET seq = (SELECT max(id) FROM \"%s\") WHERE name = ?"
                                   % table, (table,))

    def counts(self) -> dict[str, int]:
        connection = self._connect()
        try:
            tables = [name for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND name != 'alembic_version' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")]
            shadow = {f"{name}_{part}" for (name,) in connection.execute(
                          "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")
                      for part in ("data", "idx", "docsize", "config", "content")}
            return {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                    for t in tables if t not in shadow}
        finally:
            connection.close()


class _PostgreSQL:
    name = "postgresql"

    def __init__(self, url):
        self.url = url.set(drivername="postgresql")
        self.app_url = self.url.render_as_string(hide_password=False)
        self.display_url = self.url.render_as_string(hide_password=True)
        self.database = url.database

    def _conninfo(self, database: str | None = None) -> str:
        return self.url.set(database=database or self.database).render_as_string(hide_password=False)

    def _connect(self, autocommit: bool = False, database: str | None = None):
        import psycopg

        return psycopg.connect(self._conninfo(database), autocommit=autocommit)

    def reset(self) -> None:
        """Drop and create the database; without the right to, empty its public schema."""
        import psycopg
        from psycopg import sql

        try:
            with self._connect(autocommit=True, database="postgres") as connection:
                name = sql.Identifier(self.database)
                connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
                connection.execute(sql.SQL("CREATE DATABASE {}").format(name))
            return
        except psycopg.Error:
            pass
        with self._connect(autocommit=True) as connection:
            connection.execute("DROP SCHEMA public CASCADE")
            connection.execute("CREATE SCHEMA public")

    def query(self, sql: str, params=()) -> list[tuple]:
        with self._connect() as connection:
            return connection.execute(sql, params).fetchall()

    def _check_columns(self, connection, table: str) -> None:
        info = connection.execute(
            "SELECT column_name, is_nullable, column_default, is_identity, is_generated "
            "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s",
            (table,)).fetchall()
        existing = {row[0] for row in info}
        supplied = set(COLUMNS[table])
        missing = supplied - existing
        if missing:
            raise RuntimeError(f"{table} has no column(s) {sorted(missing)}: bench/seed.py needs updating")
        required = [row[0] for row in info if row[1] == "NO" and row[2] is None and row[3] != "YES"
                    and row[4] != "ALWAYS" and row[0] not in supplied]
        if required:
            raise RuntimeError(f"{table} needs {required} (NOT NULL, no default): bench/seed.py needs updating")

    def _copy(self, cursor, table: str, rows, freeze: bool = False) -> None:
        options = " WITH (FREEZE)" if freeze else ""
        with cursor.copy(f'COPY "{table}" ({", ".join(COLUMNS[table])}) FROM STDIN{options}') as copy:
            write = copy.write_row
            for row in rows:
                write(row)

    def load_dealers(self, rows: list[tuple]) -> int:
        with self._connect() as connection:
            self._check_columns(connection, "dealer")
            with connection.cursor() as cursor:
                self._copy(cursor, "dealer", rows)
        with self._connect(autocommit=True) as connection:
            connection.execute("ANALYZE dealer")  # foreign keys to dealer are checked from here on
        return len(rows)

    def _secondary_indexes(self, connection) -> list[tuple[str, str, str]]:
        """(table, index, definition) of indexes that no constraint owns."""
        return connection.execute(
            "SELECT t.relname, quote_ident(i.relname), pg_get_indexdef(x.indexrelid) "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = current_schema() AND t.relname = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid "
            "                AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u', 'x')) "
            "ORDER BY pg_relation_size(x.indrelid) DESC, i.relname",
            (list(LOADED_TABLES),)).fetchall()

    def _index_statistics(self, connection) -> list[str]:
        """The statements that give the secondary indexes' columns back the statistics
        targets the migrations set (a dropped index loses them)."""
        return [f"ALTER INDEX {index} ALTER COLUMN {number} SET STATISTICS {target}"
                for index, number, target in connection.execute(
                    "SELECT quote_ident(i.relname), a.attnum, a.attstattarget "
                    "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                    "JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_attribute a ON a.attrelid = i.oid "
                    "WHERE n.nspname = current_schema() AND t.relname = ANY(%s) AND a.attstattarget > 0",
                    (list(LOADED_TABLES),)).fetchall()]

    def _truncate_for_freeze(self, connection, say) -> bool:
        """COPY FREEZE needs the table emptied in the same transaction. Only when every table
        that TRUNCATE ... CASCADE reaches is already empty."""
        reached = set(LOADED_TABLES)
        while True:
            more = {name for (name,) in connection.execute(
                "SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c "
                "WHERE c.contype = 'f' AND c.confrelid::regclass::text = ANY(%s)", (sorted(reached),))}
            more = {name.strip('"') for name in more}
            if more <= reached:
                break
            reached |= more
        for table in sorted(reached):
            if connection.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()[0]:
                say(f"{table} is not empty: loading without COPY FREEZE")
                return False
        connection.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in sorted(reached)))
        return True

    def _foreign_keys(self, connection) -> list[tuple[str, str, str]]:
        """(table, constraint, definition) of the foreign keys of the loaded tables."""
        return connection.execute(
            "SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = ANY(%s) "
            "ORDER BY t.relname, c.conname", (list(LOADED_TABLES),)).fetchall()

    def load(self, generator: _Generator, timer: _Timer, say) -> dict[str, int]:
        """One transaction: drop the secondary indexes and the foreign keys (checking them
        row by row costs ten times the COPY), COPY every chunk, add the foreign keys back
        NOT VALID. Then build the indexes and validate the foreign keys (one join each) on
        two connections, VACUUM ANALYZE, and move the id sequences past the loaded ids."""
        loaded = Counter()
        with self._connect() as connection:
            for table in LOADED_TABLES:
                self._check_columns(connection, table)
            connection.execute("SET synchronous_commit = off")
            with timer.phase("drop indexes") as phase:
                indexes = self._secondary_indexes(connection)
                statistics = self._index_statistics(connection)
                foreign_keys = self._foreign_keys(connection)
                for table, name, _definition in foreign_keys:
                    connection.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
                for _table, name, _definition in indexes:
                    connection.execute(f"DROP INDEX {name}")
                phase.rows = len(indexes) + len(foreign_keys)
                freeze = self._truncate_for_freeze(connection, say)
                # What the customer triggers keep (name pieces, id blocks) is rebuilt once below.
                connection.execute('ALTER TABLE customer DISABLE TRIGGER USER')
            self._load_chunks(connection, generator, timer, say, loaded, freeze)
            with timer.phase("commit"):
                for table, name, definition in foreign_keys:
                    connection.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition} NOT VALID")
                connection.execute('ALTER TABLE customer ENABLE TRIGGER USER')
                connection.commit()
        with timer.phase("create indexes, validate foreign keys") as phase:
            # The slowest first: trigram (GIN) indexes, then by table size.
            tasks = sorted(((table, "index", definition) for table, _name, definition in indexes),
                           key=lambda task: " USING gin " not in task[2])
            tasks += [(table.strip('"'), "validate", f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")
                      for table, name, _ in foreign_keys]
            took = self._in_parallel(tasks, setup=("SET maintenance_work_mem = '1GB'",
                                                   "SET max_parallel_maintenance_workers = 0"))
            phase.rows = len(tasks)
            say("slowest: " + "; ".join(f"{seconds:.1f} s {statement[:60]}" for seconds, statement in took[:3]))
            say(f"sum over statements: {sum(seconds for seconds, _ in took):.1f} s")
        with timer.phase("rebuild search and blocks") as phase:
            with self._connect() as connection:
                connection.execute("SET maintenance_work_mem = '1GB'")
                statements = [*statistics, *search_index.postgresql_rebuild_name_gram_statements(),
                              *page_blocks.rebuild_statements("postgresql")]
                for statement in statements:
                    connection.execute(statement)
                connection.commit()
                phase.rows = len(statements)
        with timer.phase("vacuum analyze"):
            self._in_parallel([(table, "vacuum", f'VACUUM (ANALYZE) "{table}"')
                               for table in (*LOADED_TABLES, "dealer", search_index.NAME_GRAM_TABLE,
                                             page_blocks.TABLE)])
        with timer.phase("sequences"):
            with self._connect(autocommit=True) as connection:
                for table in ("dealer", *LOADED_TABLES):
                    connection.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), coalesce(max(id), 1), "
                        f"max(id) IS NOT NULL) FROM \"{table}\"")
        return dict(loaded)

    def _load_chunks(self, connection, generator, timer, say, loaded, freeze) -> None:
        with connection.cursor() as cursor:
            for done, rows, made in _chunks(generator, related=True):
                start = time.perf_counter()
                per_table = []
                for table in LOADED_TABLES:
                    if not rows[table]:
                        continue
                    table_start = time.perf_counter()
                    self._copy(cursor, table, rows[table], freeze)
                    per_table.append(f"{table} {time.perf_counter() - table_start:.1f}")
                    loaded[table] += len(rows[table])
                copied = time.perf_counter() - start
                timer.add("make rows", made)
                timer.add("copy", copied)
                say(f"customers {done:,}/{generator.context.customers:,}: rows made in {made:.1f} s, "
                    f"copied in {copied:.1f} s ({', '.join(per_table)})")

    def _in_parallel(self, tasks: list[tuple[str, str, str]], setup=(), workers: int = 2) -> list[tuple[float, str]]:
        """Run (table, kind, statement) tasks on `workers` autocommit connections at once,
        each taking the first task it may start: an index build any time; a foreign key's
        validation only once no index of its table is still to be built or building (it
        would wait for their locks, and hold a worker). Returns (seconds, statement) of
        each, slowest first."""
        pending = list(tasks)
        running = Counter()
        changed = threading.Condition()
        errors = []
        took = []

        def may_start(table: str, kind: str) -> bool:
            if kind != "validate":
                return True
            return not running[(table, "index")] and not running[(table, "validate")] and not any(
                t == table and k == "index" for t, k, _sql in pending)

        def next_task():
            with changed:
                while True:
                    if errors or not pending:
                        return None
                    for position, (table, kind, _sql) in enumerate(pending):
                        if may_start(table, kind):
                            task = pending.pop(position)
                            running[(table, kind)] += 1
                            return task
                    changed.wait()

        def work():
            try:
                with self._connect(autocommit=True) as connection:
                    for statement in setup:
                        connection.execute(statement)
                    while (task := next_task()) is not None:
                        table, kind, statement = task
                        start = time.perf_counter()
                        try:
                            connection.execute(statement)
                        finally:
                            with changed:
                                running[(table, kind)] -= 1
                                changed.notify_all()
                        took.append((time.perf_counter() - start, statement))
            except Exception as error:  # noqa: BLE001 - raised below, once the other worker stops
                with changed:
                    errors.append(error)
                    changed.notify_all()

        threads = [threading.Thread(target=work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return sorted(took, reverse=True)

    def counts(self) -> dict[str, int]:
        with self._connect() as connection:
            tables = [name for (name,) in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename != 'alembic_version' ORDER BY tablename")]
            return {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


# --------------------------------------------------------------------------------------
# A look at the app over the loaded data
# --------------------------------------------------------------------------------------

def check_pages(database_url: str, customer_id: int | None = None, search: str | None = None,
                password: str = "bench-pass-1") -> dict:
    """Sign in as clerk, and as dealer1, and open a few back-office pages: status and
    seconds per page."""
    target = _target_for(database_url)
    with _environment(DATABASE_URL=target.app_url):
        from crm.app import create_app
        from crm.extensions import db

        app = create_app({"WTF_CSRF_ENABLED": False})
        clerk_pages = ["/admin/", "/admin/customer/", "/admin/complaint/", "/admin/complaint/queue/mine/",
                       "/admin/hotline_ticket/", "/admin/order/", "/admin/visit/", "/admin/feedback_card/",
                       "/admin/dealer/", "/admin/care/"]
        if customer_id is not None:
            clerk_pages.insert(2, f"/admin/customer/details/?id={customer_id}")
        if search:
            clerk_pages.insert(2, f"/admin/customer/?search={search}")
        results = {}
        for username, pages in (("clerk", clerk_pages), ("dealer1", ["/admin/", "/admin/customer/",
                                                                     "/admin/complaint/"])):
            client = app.test_client()
            for method, page in [("POST", "/login"), *(("GET", page) for page in pages)]:
                start = time.perf_counter()
                if method == "POST":
                    response = client.post(page, data={"username": username, "password": password})
                else:
                    response = client.get(page, follow_redirects=True)
                results[f"{username} {method} {page}"] = (response.status_code, round(time.perf_counter() - start, 3))
        with app.app_context():
            db.engine.dispose()
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.seed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--password", default="bench-pass-1")
    parser.add_argument("--check", action="store_true", help="afterwards sign in as clerk and open a few pages")
    parser.add_argument("--no-background", dest="background", action="store_false",
                        help="SQLite: load every table in this process (no forked side process)")
    args = parser.parse_args(argv)
    summary = load(args.database_url, args.customers, args.password,
                   progress=lambda line: print(line, file=sys.stderr, flush=True), background=args.background)
    if args.check:
        summary["page_check"] = check_pages(args.database_url, summary.get("sample_customer_id"),
                                            summary.get("sample_name_part"), args.password)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
