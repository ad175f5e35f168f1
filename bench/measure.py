"""One benchmark run: `python -m bench.measure --database sqlite --sizes 10000 [--reuse]`.

For each size: seed (bench.seed.load) or reuse the database, read the sample facts from it,
serve bench.app:app under gunicorn on 127.0.0.1, sign in, time every operation on the
product, on stock Flask-Admin (the anchor) and on a bare endpoint (the floor), count SQL
statements, run the public-submit throughput test and the export, and write
bench/results/<database>-<size>.json. bench/README.md says what each figure means.
"""
from __future__ import annotations

import argparse
import collections
import json
import math
import os
import platform
import re
import runpy
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import datetime
from pathlib import Path

from bench.client import Client, hidden_value, log_in

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
GUNICORN_CONFIG = ROOT / "gunicorn.conf.py"  # workers and threads as the product is served
RESULTS_DIR = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "results"))
DEFAULT_WORK_DIR = Path(os.environ.get("BENCH_DIR", "/tmp/lifelong-bench"))
PASSWORD = "bench-pass-1"
HOST = "127.0.0.1"
PORT_RANGE = (58000, 58999)
PAGE_2000 = 1999  # Flask-Admin counts pages from 0
BIG_PAGE = 100
MIN_SAMPLES = 5
EXPORT_RUNS = 3
PURCHASE_DATE = "2025-06-01"
# Every benchmark client comes from 127.0.0.1: no per-address limit (0), as behind a proxy
# that hides the addresses; the per-phone limit stays on (high, so that the 2,000 mobiles
# the clients cycle through are never refused) and its check runs on every submit.
SUBMIT_LIMIT_ENV = {"PUBLIC_SUBMITS_PER_ADDRESS": "0", "PUBLIC_SUBMITS_PER_PHONE": "1000000"}


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# Statistics -------------------------------------------------------------------------------
def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (p95 of 30 samples is the 29th smallest)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def ratio(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return round(part / whole, 3)


# Databases ------------------------------------------------------------------------------
def sqlalchemy_url(url: str) -> str:
    from crm.config import _normalise_database_url
    return _normalise_database_url(url)


def database_url(kind: str, size: int, work_dir: Path, postgres_base: str | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{work_dir / f'sqlite-{size}.db'}"
    if not postgres_base:
        raise SystemExit("PostgreSQL needs --postgres-url or TEST_DATABASE_URL (bench/run starts a server)")
    parts = urllib.parse.urlsplit(postgres_base)
    return urllib.parse.urlunsplit(parts._replace(path=f"/lifelong_bench_{size}"))


def redacted(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urllib.parse.urlunsplit(parts)


def engine_for(url: str):
    from sqlalchemy import create_engine
    return create_engine(sqlalchemy_url(url))


def customer_count(url: str) -> int | None:
    from sqlalchemy import text
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return None
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM customer")).scalar()
    except Exception:
        return None
    finally:
        engine.dispose()


def drop_database(url: str) -> None:
    """Remove what a fresh seed would find: the SQLite file, or the PostgreSQL database
    (recreated empty)."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def seed(url: str, size: int, reuse: bool) -> dict:
    if reuse:
        found = customer_count(url)
        if found is not None and abs(found - size) <= max(1, size // 100):
            log(f"reusing {redacted(url)} ({found:,} customers); bringing its schema up to date")
            env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
            subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                           check=True, capture_output=True)
            return {"reused": True, "customers": found}
        log(f"cannot reuse {redacted(url)} ({found} customers); seeding")
    started = time.perf_counter()
    try:
        from bench import seed as bench_seed
    except ImportError:
        bench_seed = None
    if bench_seed is not None and hasattr(bench_seed, "load"):
        log(f"seeding {size:,} customers with bench.seed.load")
        summary = bench_seed.load(url, size, password=PASSWORD, progress=lambda *a: log(" ".join(map(str, a))))
        summary = json.loads(json.dumps(summary, default=str))
        return {"reused": False, "with": "bench.seed.load", "seconds": round(time.perf_counter() - started, 2),
                "summary": summary}
    drop_database(url)
    log(f"bench.seed is missing: seeding {size:,} customers with `flask seed demo` (slow)")
    env = {**os.environ, "DATABASE_URL": url, "DEMO_PASSWORD": PASSWORD, "PYTHONPATH": str(ROOT)}
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed", "demo", "--customers", str(size)], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    return {"reused": False, "with": "flask seed demo", "seconds": round(time.perf_counter() - started, 2)}


def settle(url: str) -> dict:
    """PostgreSQL: ANALYZE, which autovacuum does by itself within a minute of a bulk load
    in production. SQLite: nothing (SQLite never gathers statistics by itself; whether the
    product or the seed did is recorded)."""
    from sqlalchemy import text
    engine = engine_for(url)
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                started = time.perf_counter()
                connection.execute(text("ANALYZE"))
                return {"analyze_seconds": round(time.perf_counter() - started, 2)}
        with engine.connect() as connection:
            has_stats = connection.execute(text(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar()
            stats_rows = connection.execute(text("SELECT count(*) FROM sqlite_stat1")).scalar() if has_stats else 0
            size = Path(url[len("sqlite:///"):]).stat().st_size
            return {"sqlite_stat1_rows": stats_rows, "file_mb": round(size / 2**20, 1)}
    finally:
        engine.dispose()


def sample_facts(url: str) -> dict:
    """What the operations look for, read from the database itself, chosen among the
    oldest customers so that every size of one seed finds the same search terms."""
    from sqlalchemy import desc, exists, func, select
    from crm.models import Complaint, Customer, Dealer, FeedbackCard, Order, Product, User
    from crm.phones import InvalidPhone, normalise_mobile

    engine = engine_for(url)
    try:
        with engine.connect() as c:
            total = c.execute(select(func.count()).select_from(Customer)).scalar()
            low, high = c.execute(select(func.min(Customer.id), func.max(Customer.id))).one()
            names = c.execute(select(Customer.name).order_by(Customer.id).limit(2000)).scalars().all()
            tails = collections.Counter(name[-2:] for name in names if name and len(name) >= 3)
            if not tails:
                tails = collections.Counter(name[-1:] for name in names if name)
            name_part = min(tails, key=lambda tail: (-tails[tail], tail))  # the most common; ties by text
            mobiles = c.execute(select(Customer.mobile).where(Customer.mobile.is_not(None))
                                .order_by(Customer.id).limit(3000)).scalars().all()
            national = []
            for mobile in mobiles:
                try:
                    national.append(normalise_mobile(mobile)[3:])
                except InvalidPhone:
                    continue
            whole = c.execute(select(Customer.mobile).where(Customer.id >= (low + high) // 2,
                                                           Customer.mobile.like("+86%"))
                              .order_by(Customer.id).limit(1)).scalar()
            first = select(Customer.dealer_id.label("dealer_id")).order_by(Customer.id).limit(2000).subquery()
            dealer_code = c.execute(
                select(Dealer.code, func.count()).join_from(first, Dealer, Dealer.id == first.c.dealer_id)
                .group_by(Dealer.code).order_by(desc(func.count()), Dealer.code).limit(1)).first()
            dealer_user = c.execute(select(User.dealer_id, Dealer.code).join(Dealer, Dealer.id == User.dealer_id)
                                    .where(User.username == "dealer1")).first()
            details_id = c.execute(
                select(Complaint.customer_id)
                .where(exists().where(Order.customer_id == Complaint.customer_id))
                .order_by(Complaint.id.desc()).limit(1)).scalar() or high
            product_id = c.execute(select(Product.id).where(Product.active.is_(True)).order_by(Product.id)
                                   .limit(1)).scalar()
            dealer_id = c.execute(select(Dealer.id).where(Dealer.active.is_(True)).order_by(Dealer.id)
                                  .limit(1)).scalar()
            cards = c.execute(select(func.count()).select_from(FeedbackCard)).scalar()
    finally:
        engine.dispose()
    return {
        "customers": total, "min_id": low, "max_id": high,
        "name_part": name_part,
        "mobile_part": national[0][-4:] if national else "",
        "whole_mobile": whole[3:] if whole else (national[0] if national else ""),
        "dealer_code": dealer_code[0] if dealer_code else None,
        "dealer_user_dealer_id": dealer_user[0] if dealer_user else None,
        "dealer_user_dealer_code": dealer_user[1] if dealer_user else None,
        "customer_id": details_id,
        "feedback_product_id": product_id, "feedback_dealer_id": dealer_id,
        "mobile_pool": national[:2000],
        "feedback_cards": cards,
    }


def keep_terms(facts: dict, path: Path, url: str, chosen: dict) -> None:
    """The text searched for stays the same at every size and database: the terms chosen
    by the first run (or given with --name-part / --mobile-part) are kept in
    $BENCH_DIR/terms.json (delete it to choose again), as long as the database still holds
    a customer they find."""
    from sqlalchemy import func, select
    from crm.models import Customer

    saved = json.loads(path.read_text()) if path.exists() else {}
    saved.update({key: value for key, value in chosen.items() if value})
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            for key, column in (("name_part", Customer.name), ("mobile_part", Customer.mobile)):
                term = saved.get(key)
                if term and connection.execute(select(func.count()).select_from(
                        select(Customer.id).where(column.contains(term)).limit(1).subquery())).scalar():
                    facts[key] = term
                else:
                    saved[key] = facts[key]
    finally:
        engine.dispose()
    path.write_text(json.dumps(saved, ensure_ascii=False) + "\n")


# The served app -----------------------------------------------------------------------
def filter_arguments(url: str) -> dict:
    """The URL arguments of the filters the operations use, read from the view objects of
    bench.app built in this process (Flask-Admin names them flt0_<n>, n from the view)."""
    os.environ.setdefault("DATABASE_URL", url)
    from bench.app import app
    from flask_admin.contrib.sqla import filters as sqla_filters

    def columns_of(flt):
        column = getattr(flt, "column", None)
        prop = getattr(column, "property", None)
        return list(getattr(prop, "columns", None) or ([column] if column is not None else []))

    def original(text) -> str:
        args = getattr(text, "_args", None)
        return str(args[0] if args else text)

    def find(view, wanted) -> str | None:
        for index, flt in enumerate(view._filters or ()):
            if wanted(flt):
                return "flt0_" + view.get_filter_arg(index, flt)
        return None

    def dealer_code_equals(flt) -> bool:
        """Flask-Admin's own "dealer.code" equals filter, or a filter of the product's that
        says it is about the dealer code (by its name or class) and whose operation is "equals"."""
        on_code = any(getattr(getattr(col, "table", None), "name", None) == "dealer" and col.name == "code"
                      for col in columns_of(flt))
        described = f"{original(flt.name)} {type(flt).__name__}".lower()
        on_code = on_code or ("dealer" in described and "code" in described)
        equals = isinstance(flt, sqla_filters.FilterEqual) or original(flt.operation()).lower() in ("equals", "is")
        return on_code and equals and not isinstance(flt, sqla_filters.FilterNotEqual)

    def queue(flt) -> bool:
        return type(flt).__name__ == "QueueFilter"

    views = {view.endpoint: view for admin in app.extensions["admin"] for view in admin._views}
    with app.test_request_context():
        return {
            "product_dealer_code": find(views["customer"], dealer_code_equals),
            "anchor_dealer_code": find(views["stock_customer"], dealer_code_equals),
            "product_overdue": find(views["complaint"], queue),
            "anchor_overdue": find(views["stock_complaint"], queue),
        }


def free_port() -> int:
    import random
    ports = list(range(PORT_RANGE[0], PORT_RANGE[1] + 1))
    random.shuffle(ports)
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 58000-58999")


class Server:
    """gunicorn serving bench.app:app; stopped (with its workers) on exit."""

    def __init__(self, url: str, workers: int, threads: int, work_dir: Path, label: str):
        self.url, self.workers, self.threads = url, workers, threads
        self.port = free_port()
        self.trace_log = work_dir / f"{label}-statements.jsonl"
        self.error_log = work_dir / f"{label}-gunicorn.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.trace_log.unlink(missing_ok=True)
        self.error_log.unlink(missing_ok=True)
        env = {**os.environ, **SUBMIT_LIMIT_ENV, "DATABASE_URL": self.url, "PYTHONPATH": str(ROOT),
               "SECRET_KEY": secrets.token_hex(32), "LIFELONG_ENV": "development",
               "BENCH_STATEMENT_LOG": str(self.trace_log)}
        command = [str(VENV_BIN / "gunicorn"), "--config", str(GUNICORN_CONFIG), "--workers", str(self.workers),
                   "--threads", str(self.threads), "--bind", f"{HOST}:{self.port}", "--timeout", "900",
                   "--keep-alive", "75", "--graceful-timeout", "5", "--log-level", "warning",
                   "--error-logfile", str(self.error_log), "bench.app:app"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        probe = Client(HOST, self.port, timeout=10)
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped at start; see {self.error_log}")
            try:
                if probe.get("/healthz").status == 200:
                    probe.close()
                    log(f"gunicorn pid {self.process.pid} on {HOST}:{self.port}, {self.workers} workers x "
                        f"{self.threads} threads")
                    return
            except OSError:
                probe.close()
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz in 120 s; see {self.error_log}")

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        try:
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
            return [int(child) for child in text.split()]
        except OSError:
            children = []
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit():
                    try:
                        fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    if int(fields[1]) == pid:
                        children.append(int(entry.name))
            return children

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.process.terminate()
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group of the gunicorn this run started
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def traces(self) -> dict:
        found = {}
        if self.trace_log.exists():
            for line in self.trace_log.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                found[entry["label"]] = {"path": entry["path"], "status": entry["status"],
                                         "statements": [statement[:600] for statement in entry["statements"]]}
        return found


def proc_status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


# Operations -----------------------------------------------------------------------------
def with_args(path: str, **args) -> str:
    args = {key: value for key, value in args.items() if value is not None}
    if not args:
        return path
    return path + ("&" if "?" in path else "?") + urllib.parse.urlencode(args)


class Target:
    """One side of an operation: the product, the anchor or the floor."""

    def __init__(self, name, client, path, expect=200, big_path=None, ids_pattern=None, form=None):
        self.name, self.client, self.path, self.expect = name, client, path, expect
        self.big_path, self.ids_pattern, self.form = big_path, ids_pattern, form

    def send(self, path: str | None = None, headers: dict | None = None):
        if self.form is not None:
            return self.client.post(path or self.path, self.form(), headers=headers)
        return self.client.get(path or self.path, headers=headers)

    def ok(self, reply) -> bool:
        if isinstance(self.expect, int):
            return reply.status == self.expect
        return self.expect(reply)


def details_ids(view_url: str) -> str:
    """A pattern for the record ids of a list page's details links, whatever the order of
    their URL arguments (?id=12&url=... or ?url=...&amp;id=12)."""
    return re.escape(view_url) + r"details/\?(?:[^\"'<>\s]*?&(?:amp;)?)?id=(\d+)"


def operations(facts: dict, flt: dict, clients: dict) -> list[dict]:
    clerk, dealer, stock_client, anon = clients["clerk"], clients["dealer"], clients["stock"], clients["anon"]
    customers, stock = "/admin/customer/", "/bench/stock/stock_customer/"
    floor = "/bench/floor/customers"
    customer_ids, stock_ids = details_ids("/admin/customer/"), details_ids("/bench/stock/stock_customer/")

    def listing(name, label, product_args, anchor_args, floor_args, product_client=clerk):
        big = BIG_PAGE
        page = product_args.get("page")
        floor_big = dict(floor_args, limit=big)
        if page is not None:
            floor_big["offset"] = page * big
        return {"name": name, "label": label, "kind": "list", "anchor_target": True, "targets": [
            Target("product", product_client, with_args(customers, **product_args),
                   big_path=with_args(customers, **product_args, page_size=big), ids_pattern=customer_ids),
            Target("anchor", stock_client, with_args(stock, **anchor_args),
                   big_path=with_args(stock, **anchor_args, page_size=big), ids_pattern=stock_ids),
            Target("floor", anon, with_args(floor, **floor_args), big_path=with_args(floor, **floor_big)),
        ]}

    ops = [
        listing("list_page_1", "Customer list, page 1", {}, {}, {}),
        listing("list_page_2000", "Customer list, page 2,000", {"page": PAGE_2000}, {"page": PAGE_2000},
                {"offset": PAGE_2000 * 20}),
        listing("search_name", "Search: part of a name", {"search": facts["name_part"]},
                {"search": facts["name_part"]}, {"search": facts["name_part"]}),
        listing("search_phone_part", "Search: part of a mobile number",
                {"search": facts["mobile_part"]}, {"search": facts["mobile_part"]}, {"mobile": facts["mobile_part"]}),
        listing("search_phone_whole", "Search: whole mobile number", {"search": facts["whole_mobile"]},
                {"search": facts["whole_mobile"]}, {"phone": facts["whole_mobile"]}),
    ]
    if flt["product_dealer_code"] and flt["anchor_dealer_code"] and facts["dealer_code"]:
        ops.append(listing("filter_dealer", "Filter: dealer code equals",
                           {flt["product_dealer_code"]: facts["dealer_code"]},
                           {flt["anchor_dealer_code"]: facts["dealer_code"]}, {"dealer": facts["dealer_code"]}))
    else:
        log(f"no dealer-code filter found ({flt}); filter_dealer skipped")
    if facts["dealer_user_dealer_id"] and flt["anchor_dealer_code"]:
        ops.append(listing("dealer_user_list", "Customer list as a dealer user",
                           {}, {flt["anchor_dealer_code"]: facts["dealer_user_dealer_code"]},
                           {"dealer_id": facts["dealer_user_dealer_id"]}, product_client=dealer))
    cid = facts["customer_id"]
    ops.append({"name": "customer_details", "label": "Customer details page", "kind": "page",
                "anchor_target": False, "targets": [
                    Target("product", clerk, f"/admin/customer/details/?id={cid}"),
                    Target("anchor", stock_client, f"/bench/stock/stock_customer/details/?id={cid}"),
                    Target("floor", anon, f"/bench/floor/customer/{cid}")]})
    if flt["product_overdue"] and flt["anchor_overdue"]:
        product_path = with_args("/admin/complaint/", **{flt["product_overdue"]: "overdue"})
        anchor_path = with_args("/bench/stock/stock_complaint/", **{flt["anchor_overdue"]: "overdue"})
        ops.append({"name": "complaints_overdue", "label": "Complaints: overdue queue", "kind": "list",
                    "anchor_target": True, "targets": [
                        Target("product", clerk, product_path, big_path=with_args(product_path, page_size=BIG_PAGE),
                               ids_pattern=details_ids("/admin/complaint/")),
                        Target("anchor", stock_client, anchor_path, big_path=with_args(anchor_path, page_size=BIG_PAGE),
                               ids_pattern=details_ids("/bench/stock/stock_complaint/")),
                        Target("floor", anon, "/bench/floor/complaints/overdue",
                               big_path=f"/bench/floor/complaints/overdue?limit={BIG_PAGE}")]})
    else:
        log(f"no queue filter found ({flt}); complaints_overdue skipped")
    ops.append({"name": "dashboard", "label": "Dashboard", "kind": "page", "anchor_target": False,
                "targets": [Target("product", clerk, "/admin/")]})
    return ops


def feedback_form(facts: dict, csrf_token: str | None, started: str | None, counter=iter(range(10**9))):
    pool = facts["mobile_pool"] or ["13800000000"]

    def form():
        n = next(counter)
        fields = {"submission": secrets.token_urlsafe(24), "website": "", "card": "",
                  "product": facts["feedback_product_id"] or "", "purchase_date": PURCHASE_DATE,
                  "dealer": facts["feedback_dealer_id"] or "", "rating_quality": "5", "rating_design": "4",
                  "rating_delivery": "5", "rating_installation": "4", "rating_service": "5",
                  "recommend_score": "9", "comments": "沙发坐着很舒服，送货准时，安装师傅很专业。",
                  "contact_name": "测试顾客", "mobile": pool[n % len(pool)], "consent": "y"}
        if csrf_token is not None:
            fields["csrf_token"] = csrf_token
        if started is not None:
            fields["started"] = started
        return fields
    return form


def feedback_accepted(reply) -> bool:
    return reply.status == 302 and "/feedback/thanks/" in reply.headers.get("location", "")


def open_feedback_form(client: Client) -> tuple[str, str]:
    page = client.get("/feedback")
    if page.status != 200:
        raise RuntimeError(f"GET /feedback answered {page.status}")
    html = page.text()
    return hidden_value(html, "csrf_token"), hidden_value(html, "started")


def submit_operation(facts: dict, host: str, port: int) -> dict:
    from crm.services.spam import MIN_FILL_SECONDS
    product_client, floor_client = Client(host, port), Client(host, port)
    token, started = open_feedback_form(product_client)
    time.sleep(MIN_FILL_SECONDS + 0.5)  # the form's minimum fill time, waited once
    return {"name": "feedback_submit", "label": "Public feedback submit", "kind": "submit", "anchor_target": False,
            "targets": [Target("product", product_client, "/feedback", expect=feedback_accepted,
                               form=feedback_form(facts, token, started)),
                        Target("floor", floor_client, "/bench/floor/feedback", expect=201,
                               form=feedback_form(facts, None, None))]}


def timed(target: Target, path: str | None = None, headers=None):
    try:
        reply = target.send(path, headers)
    except Exception as error:  # a refused or broken connection is an error of the operation
        return None, repr(error)
    return reply, None


def measure_operation(op: dict, samples: int, warmup: int, budget: float, big_samples: int,
                      block: int = 5) -> dict:
    """Warm up, then time the targets in blocks taking turns (product, anchor, floor,
    product, ...) so that a noisy moment of the machine hits all three alike.

    A block is one request that is not timed and then `block` timed ones. On this kind of
    machine (a VM with 2 CPUs) a process that sat idle while the other sides ran answers
    its next request 1 to 3 ms slower, whatever the page: the bare ping went from 1.1 ms
    back to back to 2.2 ms after a 25 ms pause. Timed one request per turn, every sample
    carried that wake-up, which weighs most on the shortest page and made its ratio to
    stock Flask-Admin a ratio of wake-ups. The first request of each block takes the
    wake-up; its times are kept apart as `after_idle_median_ms`."""
    result = {"label": op["label"], "kind": op["kind"], "anchor_target": op["anchor_target"]}
    state = {}
    for target in op["targets"]:
        for _ in range(warmup):
            timed(target)
        state[target.name] = {"times": [], "after_idle": [], "errors": 0, "statuses": collections.Counter(),
                              "statements": [], "statements_all": [], "spent": 0.0, "problems": [], "last": None}

    def record(target, s, times: list) -> None:
        reply, problem = timed(target)
        if reply is None:
            s["errors"] += 1
            s["problems"].append(problem)
            return
        s["spent"] += reply.seconds
        s["statuses"][reply.status] += 1
        if not target.ok(reply):
            s["errors"] += 1
            return
        times.append(reply.seconds)
        s["last"] = reply
        if reply.statements is not None:
            s["statements"].append(reply.statements)
            s["statements_all"].append(reply.statements_all)

    for _round in range(math.ceil(samples / block)):
        active = [t for t in op["targets"]
                  if not (state[t.name]["spent"] > budget and len(state[t.name]["times"]) >= MIN_SAMPLES)]
        if not active:
            break
        for target in active:
            s = state[target.name]
            record(target, s, s["after_idle"])
            for _ in range(min(block, samples - len(s["times"]))):
                record(target, s, s["times"])
    for target in op["targets"]:
        s = state[target.name]
        entry = {"url": target.path, "n": len(s["times"]), "errors": s["errors"],
                 "statuses": {str(k): v for k, v in sorted(s["statuses"].items())},
                 "median_ms": ms(statistics.median(s["times"])) if s["times"] else None,
                 "p95_ms": ms(percentile(s["times"], 0.95)), "min_ms": ms(min(s["times"], default=None)),
                 "after_idle_median_ms": ms(statistics.median(s["after_idle"])) if s["after_idle"] else None,
                 "statements": max(s["statements"], default=None),
                 "statements_seen": sorted(set(s["statements"])),
                 "statements_with_transaction_control": max(s["statements_all"], default=None)}
        if s["problems"]:
            entry["problems"] = sorted(set(s["problems"]))[:5]
        if target.big_path:
            big_times, big_statements, big_errors = [], [], 0
            for _ in range(big_samples + 1):  # the first one warms the larger page up
                reply, _problem = timed(target, target.big_path)
                if reply is None or not target.ok(reply):
                    big_errors += 1
                    continue
                big_times.append(reply.seconds)
                big_statements.append(reply.statements)
            entry["page_size_100"] = {"url": target.big_path, "n": len(big_times[1:]), "errors": big_errors,
                                      "median_ms": ms(statistics.median(big_times[1:])) if big_times[1:] else None,
                                      "statements": max((n for n in big_statements if n is not None), default=None)}
        if target.ids_pattern and s["last"] is not None:
            entry["row_ids"] = list(dict.fromkeys(int(i) for i in re.findall(target.ids_pattern, s["last"].text())))
        if target.name == "floor" and s["last"] is not None and s["last"].headers.get("content-type", "").startswith(
                "application/json"):
            entry["row_ids"] = [row[0] for row in json.loads(s["last"].body)]
        # One more request, traced: the statements themselves, for reading.
        timed(target, headers={"X-Bench-Trace": f"{op['name']}/{target.name}"})
        result[target.name] = entry
    product, anchor, floor = (result.get(name, {}) for name in ("product", "anchor", "floor"))
    result["ratio_to_anchor"] = ratio(product.get("median_ms"), anchor.get("median_ms"))
    result["ratio_to_floor"] = ratio(product.get("median_ms"), floor.get("median_ms"))
    # Whether the three show the same rows: the product's page against stock Flask-Admin's
    # (same search semantics) and both against the bare query.
    ids = {name: result[name].pop("row_ids") for name in ("product", "anchor", "floor")
           if "row_ids" in result.get(name, {})}
    for name, found in ids.items():
        result[name]["rows"] = len(found)
        result[name]["first_ids"] = found[:5]
    if "product" in ids and "anchor" in ids:
        result["product"]["same_rows_as_anchor"] = ids["product"] == ids["anchor"]
    for name in ("product", "anchor"):
        if name in ids and "floor" in ids:
            result[name]["same_rows_as_floor"] = ids[name] == ids["floor"]
    return result


# Throughput and export -----------------------------------------------------------------------
def throughput(kind: str, facts: dict, host: str, port: int, clients: int, seconds: float) -> dict:
    """`clients` threads, each with its own connection and session, sending feedback for
    `seconds` after all of them have opened the form and waited its minimum fill time."""
    from crm.services.spam import MIN_FILL_SECONDS
    clock = {}

    def start_clock():  # run by the barrier once every client is ready, before any is released
        clock["deadline"] = time.perf_counter() + seconds
        clock["wall"], clock["cpu"] = time.perf_counter(), time.process_time()

    barrier = threading.Barrier(clients + 1, action=start_clock)
    lock = threading.Lock()
    times, statuses, problems = [], collections.Counter(), collections.Counter()
    successes = errors = 0

    def work():
        nonlocal successes, errors
        client = Client(host, port, timeout=120)
        try:
            if kind == "product":
                token, started = open_feedback_form(client)
                opened = time.time()
                form, path, ok = feedback_form(facts, token, started), "/feedback", feedback_accepted
                # Every client's form is older than the minimum fill time before any is sent.
                time.sleep(max(0.0, opened + MIN_FILL_SECONDS + 1 - time.time()))
            else:
                form, path, ok = feedback_form(facts, None, None), "/bench/floor/feedback", (
                    lambda reply: reply.status == 201)
        except Exception as error:
            with lock:
                problems[f"setup: {error!r}"] += 1
            barrier.wait()
            return
        barrier.wait()
        mine, my_ok, my_errors, my_statuses = [], 0, 0, collections.Counter()
        while time.perf_counter() < clock["deadline"]:
            try:
                reply = client.post(path, form())
            except Exception as error:
                my_errors += 1
                with lock:
                    problems[repr(error)[:200]] += 1
                continue
            my_statuses[reply.status] += 1
            if ok(reply):
                my_ok += 1
                mine.append(reply.seconds)
            else:
                my_errors += 1
        client.close()
        with lock:
            times.extend(mine)
            successes += my_ok
            errors += my_errors
            statuses.update(my_statuses)

    engine = engine_for(facts["url"])
    from sqlalchemy import func, select
    from crm.models import Customer, FeedbackCard

    def counts():
        with engine.connect() as connection:
            return (connection.execute(select(func.count()).select_from(FeedbackCard)).scalar(),
                    connection.execute(select(func.count()).select_from(Customer)).scalar())

    cards_before, customers_before = counts()
    threads = [threading.Thread(target=work, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - clock["wall"]
    cpu = time.process_time() - clock["cpu"]
    cards_after, customers_after = counts()
    engine.dispose()
    stored = cards_after - cards_before
    return {"clients": clients, "seconds": round(wall, 2), "requests": successes + errors, "successes": successes,
            "errors": errors, "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "problems": dict(problems.most_common(5)),
            "per_second": round(successes / wall, 1) if wall else None,
            "median_ms": ms(statistics.median(times)) if times else None, "p95_ms": ms(percentile(times, 0.95)),
            "rows_stored": stored, "stored_equals_successes": stored == successes,
            "customers_added": customers_after - customers_before,
            "load_generator_cpu_share": round(cpu / wall, 2) if wall else None}


def median_export(server: Server, clerk: Client, customers: int, warm_up_search: str) -> dict:
    """The export run EXPORT_RUNS times: the run with the median rate, with every run's rate
    and the largest memory growth. One export of 10,000 rows lasts 0.2 s, and five in a row
    on this machine gave 73k, 51k, 49k, 37k and 74k rows/s: one run decides nothing."""
    runs = sorted((export(server, clerk, customers, warm_up_search) for _ in range(EXPORT_RUNS)),
                  key=lambda run: run["rows_per_second"] or 0)
    growth = [run["memory_growth_mb"] for run in runs if run["memory_growth_mb"] is not None]
    return {**runs[len(runs) // 2], "runs_rows_per_second": [run["rows_per_second"] for run in runs],
            "memory_growth_mb": max(growth) if growth else None}


def export(server: Server, clerk: Client, customers: int, warm_up_search: str) -> dict:
    """Stream the CSV export of every customer (lines counted, nothing kept) and measure the
    serving worker's peak memory growth: VmHWM is reset through /proc/<pid>/clear_refs.
    First, on the same keep-alive connection (so the same worker), an export of the one
    customer a whole mobile number finds: what the worker does once per process (loading
    the export code, building the row reader) is not counted as streaming."""
    client = Client(HOST, server.port, timeout=3600)
    client.cookies = dict(clerk.cookies)
    warm_up = client.get("/admin/customer/export/csv/?" + urllib.parse.urlencode({"search": warm_up_search}))
    if warm_up.status != 200:
        raise RuntimeError(f"the warm-up export answered {warm_up.status}")
    workers = server.worker_pids()
    before = {}
    for pid in workers:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError as error:
            log(f"cannot reset the peak memory of {pid}: {error}")
        before[pid] = proc_status_kb(pid, "VmRSS")
    first_byte = [None]
    sizes = {"bytes": 0, "lines": 0}

    def consume(response):
        while True:
            chunk = response.read1(1 << 18) if hasattr(response, "read1") else response.read(1 << 18)
            if not chunk:
                break
            if first_byte[0] is None:
                first_byte[0] = time.perf_counter() - client.sent_at
            sizes["bytes"] += len(chunk)
            sizes["lines"] += chunk.count(b"\n")
        return b""

    reply = client.get("/admin/customer/export/csv/", consume=consume)
    client.close()
    after = {pid: proc_status_kb(pid, "VmHWM") for pid in workers}
    growth = [after[pid] - before[pid] for pid in workers if after.get(pid) and before.get(pid)]
    rows = max(0, sizes["lines"] - 1)
    return {"status": reply.status, "content_type": reply.headers.get("content-type"), "rows": rows,
            "customers": customers, "all_rows": rows >= customers, "bytes": sizes["bytes"],
            "seconds": round(reply.seconds, 2), "first_byte_ms": ms(first_byte[0]),
            "rows_per_second": round(rows / reply.seconds) if reply.seconds and rows else None,
            "workers": len(workers), "rss_before_mb": {str(p): round((before[p] or 0) / 1024, 1) for p in workers},
            "peak_after_mb": {str(p): round((after[p] or 0) / 1024, 1) for p in workers},
            "memory_growth_mb": round(max(growth) / 1024, 1) if growth else None}


# One run ----------------------------------------------------------------------------------
def machine(url: str) -> dict:
    info = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "date": datetime.now().astimezone().isoformat(timespec="seconds"),
            "load_average": [round(x, 2) for x in os.getloadavg()]}
    try:
        mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
        info["memory_gb"] = round(int(mem) / 2**20, 1)
    except (OSError, IndexError, ValueError):
        pass
    if url.startswith("postgres"):
        from sqlalchemy import text
        engine = engine_for(url)
        with engine.connect() as connection:
            info["postgresql"] = connection.execute(text("SHOW server_version")).scalar()
        engine.dispose()
    from importlib.metadata import version
    info["packages"] = {name: version(name) for name in ("Flask", "Flask-Admin", "SQLAlchemy", "gunicorn",
                                                         "psycopg")}
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        changed = subprocess.run(["git", "status", "--porcelain", "--", ".", ":!bench"], cwd=ROOT,
                                 capture_output=True, text=True)
        info["git"] = {"commit": commit.stdout.strip(), "uncommitted_files": len(changed.stdout.splitlines())}
    except OSError:
        pass
    return info


def run_one(kind: str, size: int, args, postgres_base: str | None) -> dict:
    work_dir = Path(args.work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    url = database_url(kind, size, work_dir, postgres_base)
    run = {"database": kind, "size": size, "url": redacted(url), "started_at": datetime.now().isoformat(
        timespec="seconds")}
    run["seed"] = seed(url, size, args.reuse)
    run["settle"] = settle(url)
    facts = sample_facts(url)
    facts["url"] = url
    keep_terms(facts, work_dir / "terms.json", url, {"name_part": args.name_part, "mobile_part": args.mobile_part})
    flt = filter_arguments(url)
    run["facts"] = {k: v for k, v in facts.items() if k not in ("mobile_pool", "url")}
    run["facts"]["mobile_pool_size"] = len(facts["mobile_pool"])
    run["filter_arguments"] = flt
    run["machine"] = machine(url)
    run["server"] = {"workers": args.workers, "threads": args.threads, "worker_class": "gthread",
                     "config": GUNICORN_CONFIG.name}
    run["method"] = {"samples": args.samples, "warmup": args.warmup, "block": args.block,
                     "budget_seconds": args.budget,
                     "samples_at_100_rows": args.big_samples, "submit_clients": args.clients,
                     "submit_seconds": args.seconds}
    server = Server(url, args.workers, args.threads, work_dir, f"{kind}-{size}")
    try:
        server.start()
        clients = {"clerk": Client(HOST, server.port), "dealer": Client(HOST, server.port),
                   "stock": Client(HOST, server.port), "anon": Client(HOST, server.port)}
        log_in(clients["clerk"], "clerk", args.password)
        log_in(clients["dealer"], "dealer1", args.password)
        log_in(clients["stock"], "clerk", args.password)  # the anchor's views want a signed-in user too
        results = {}
        ops = operations(facts, flt, clients)
        if not args.no_submit:
            ops.append(submit_operation(facts, HOST, server.port))
        for op in ops:
            if args.only and op["name"] not in args.only:
                continue
            log(f"{kind} {size:,}: {op['label']}")
            results[op["name"]] = measure_operation(op, args.samples, args.warmup, args.budget, args.big_samples,
                                                         args.block)
            line = results[op["name"]]
            log("   " + "  ".join(f"{name} {line[name]['median_ms']} ms ({line[name]['statements']} st, "
                                 f"{line[name]['errors']} err)" for name in ("product", "anchor", "floor")
                                 if name in line))
        run["operations"] = results
        if not args.no_export:
            log(f"{kind} {size:,}: export of every customer")
            run["export"] = median_export(server, clients["clerk"], facts["customers"], facts["whole_mobile"])
            log(f"   {run['export']['rows']:,} rows, {run['export']['rows_per_second']} rows/s, "
                f"+{run['export']['memory_growth_mb']} MB")
        if not args.no_submit:
            run["submit"] = {}
            for side in ("product", "floor"):
                log(f"{kind} {size:,}: {args.clients} clients submitting feedback for {args.seconds:g} s ({side})")
                run["submit"][side] = throughput(side, facts, HOST, server.port, args.clients, args.seconds)
                log(f"   {run['submit'][side]['per_second']}/s, {run['submit'][side]['errors']} errors, "
                    f"stored {run['submit'][side]['rows_stored']} of {run['submit'][side]['successes']}")
            run["submit"]["ratio_to_bare"] = ratio(run["submit"]["product"]["per_second"],
                                                   run["submit"]["floor"]["per_second"])
        for client in clients.values():
            client.close()
        run["statement_traces"] = server.traces()
    finally:
        server.stop()
    run["finished_at"] = datetime.now().isoformat(timespec="seconds")
    return run


def print_table(run: dict) -> None:
    from bench.report import run_table
    print(run_table(run))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.measure", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sizes", default="10000", help="comma-separated customer counts, e.g. 10000,100000")
    parser.add_argument("--reuse", action="store_true", help="keep a database that already has the size")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL")
                        or os.environ.get("TEST_DATABASE_URL"),
                        help="a PostgreSQL server URL; one database per size is made on it")
    parser.add_argument("--work-dir", default=str(DEFAULT_WORK_DIR), help="SQLite files and logs")
    parser.add_argument("--results", default=str(RESULTS_DIR))
    served = runpy.run_path(str(GUNICORN_CONFIG))  # the product's own settings, unless told otherwise
    parser.add_argument("--workers", type=int, default=served["workers"])
    parser.add_argument("--threads", type=int, default=served["threads"])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--block", type=int, default=5,
                        help="timed requests in a row per side, after one untimed (see measure_operation)")
    parser.add_argument("--big-samples", type=int, default=5, help="timed requests at 100 rows a page")
    parser.add_argument("--budget", type=float, default=60, help="seconds per side of an operation, at most")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30, help="length of each throughput test")
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--name-part", help="the text of the name search (default: chosen from the data)")
    parser.add_argument("--mobile-part", help="the digits of the part-of-a-mobile search (default: the last "
                        "four of the oldest customer's mobile)")
    parser.add_argument("--only", nargs="*", help="operation names to run (default: all)")
    parser.add_argument("--no-submit", action="store_true")
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args(argv)

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)

    results_dir = Path(args.results)
    results_dir.mkdir(parents=True, exist_ok=True)
    for size in (int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()):
        run = run_one(args.database, size, args, args.postgres_url)
        path = results_dir / f"{args.database}-{size}.json"
        path.write_text(json.dumps(run, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        log(f"wrote {path}")
        print_table(run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
