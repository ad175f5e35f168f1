"""The product served as users meet it (gunicorn, several worker processes, on 127.0.0.1),
and the clients that load it: customers sending feedback cards and hotline tickets, and
clerks editing the same customer. Used by tests/test_under_load.py.

Each client runs in a process of its own and returns what it saw of every attempt, so
the test can compare what users were told with what the database holds."""
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.client import Client, hidden_value
from crm.services.spam import MIN_FILL_SECONDS

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "gunicorn"
THANKS = re.compile(r"/feedback/thanks/([^/?#]+)")
CREATED = re.compile(r"/ticket/created/([^/?#]+)")
VERSION_INPUT = re.compile(r'name="version" type="hidden" value="(\d+)"')
LOCKED = "database is locked"
# The edit-conflict messages, in Chinese: a form older than the record (admin_views/edit_conflicts.py),
# and a save that raced another past that check (admin_views/base.py, StaleDataError).
CONFLICTS = ("在您打开后保存了这条记录", "在同一时刻保存了这条记录")
REFUSED_MARK = "应拒收 "  # begins the comments of forms meant to be refused


@dataclass
class Attempt:
    """One request as its sender saw it."""

    kind: str  # "card", "ticket" or "edit"
    outcome: str  # "stored", "refused" (a clear 4xx, or an edit conflict) or "failed" (5xx, no answer)
    key: str | None = None  # the card's reference or the ticket's number the user was given
    detail: str = ""
    locked_message: bool = False  # "database is locked" reached the user
    sent_version: str | None = None  # for an edit: the version its form showed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """gunicorn serving wsgi:app on a database of the test's own."""

    def __init__(self, database_url: str, workers: int, log_path: Path):
        self.database_url, self.workers, self.log_path = database_url, workers, log_path
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Served":
        env = {**os.environ, "DATABASE_URL": self.database_url, "SECRET_KEY": secrets.token_hex(32),
               "LIFELONG_ENV": "production", "SESSION_COOKIE_SECURE": "0", "PYTHONPATH": str(ROOT),
               # One address sends everything here; the per-address and per-number limits are tested elsewhere.
               "PUBLIC_SUBMITS_PER_ADDRESS": "0", "PUBLIC_SUBMITS_PER_PHONE": "1000000",
               "WEB_CONCURRENCY": str(self.workers), "GUNICORN_THREADS": "1"}
        self.process = subprocess.Popen(
            [str(GUNICORN), "--config", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{self.port}",
             "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning",
             "--error-logfile", str(self.log_path), "wsgi:app"],
            cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped at start: {self.log_path.read_text()[-2000:]}")
            try:
                if Client("127.0.0.1", self.port, timeout=5).get("/healthz").status == 200 and \
                        len(self.worker_pids()) == self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("gunicorn did not answer /healthz in 60 s")

    def __exit__(self, *_exc) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def kill_workers(self, how_many: int | None = None) -> list[int]:
        """kill -9 worker processes (all of them by default, so that whichever is in the
        middle of a request dies in it), as the kernel's OOM killer or a crash would."""
        victims = self.worker_pids()[:how_many]
        for victim in victims:
            os.kill(victim, signal.SIGKILL)
        return victims


def _attempt(kind: str, send) -> Attempt:
    try:
        reply = send()
    except (OSError, http.client.HTTPException) as error:  # no (whole) answer: the connection was cut
        return Attempt(kind, "failed", detail=f"{type(error).__name__}: {error}")
    text = reply.text()
    locked = LOCKED in text.lower()
    location = reply.headers.get("location", "")
    if reply.status == 302:
        found = (THANKS if kind == "card" else CREATED).search(location) if kind != "edit" else None
        return Attempt(kind, "stored", found.group(1) if found else None, location, locked)
    if kind == "edit" and reply.status == 200 and any(message in text for message in CONFLICTS):
        return Attempt(kind, "refused", detail="edit conflict", locked_message=locked)
    if 400 <= reply.status < 500:
        return Attempt(kind, "refused", detail=f"{reply.status}", locked_message=locked)
    return Attempt(kind, "failed", detail=f"{reply.status}: {text[:300]}", locked_message=locked)


def _open_form(client: Client, path: str) -> tuple[str | None, str | None]:
    html = client.get(path).text()
    return hidden_value(html, "csrf_token"), hidden_value(html, "started")


def _client(port: int) -> Client:
    """A client that reports a connection the server dropped instead of quietly sending again."""
    return Client("127.0.0.1", port, timeout=30, resend_on_closed=False)


def _send(kind: str, client: Client, path: str, form: dict) -> list[Attempt]:
    """One form sent; when no answer comes (a worker died), sent once more on a new
    connection, as a browser's reload would: its submission token keeps it from being
    stored twice."""
    first = _attempt(kind, lambda: client.post(path, form))
    if first.outcome != "failed" or first.detail[:1].isdigit():
        return [first]
    client.close()
    return [first, _attempt(kind, lambda: client.post(path, form))]


def _going_on(index: int, count: int, until: str | None) -> bool:
    """`count` forms, or (with `until`, a file's path) as many as are sent before the file
    appears, for at most a minute."""
    if until is None:
        return index < count
    return not Path(until).exists() and index < 60 * 200


def send_cards(port: int, count: int, marker: str, until: str | None = None, bad_every: int = 0) -> list[Attempt]:
    """A customer's phone sending feedback cards: `count` of them, or as many as the test
    wants (`until`). Each is a form of its own (its own submission token). With
    `bad_every`, every so many has a mobile number that cannot be right, and is refused."""
    client, sender = _client(port), secrets.token_hex(3)  # tells this sender's forms from the others'
    token, started = _open_form(client, "/feedback")
    time.sleep(MIN_FILL_SECONDS + 0.2)  # people take a few seconds to fill it in
    client.close()  # the server has let the idle connection go meanwhile; a browser opens a new one
    attempts, index = [], 0
    while _going_on(index, count, until):
        index += 1
        form = {"csrf_token": token, "started": started, "submission": secrets.token_urlsafe(24), "website": "",
                "card": "", "rating_quality": "5", "recommend_score": "9", "comments": f"{marker} {sender} #{index}",
                "contact_name": "压力测试", "mobile": f"139{port % 10000:04d}{index % 10000:04d}", "consent": "y"}
        if bad_every and index % bad_every == 0:
            form.update(mobile="12345", comments=f"{REFUSED_MARK}{marker} {sender} #{index}")
        attempts += _send("card", client, "/feedback", form)
    return attempts


def send_tickets(port: int, count: int, marker: str, until: str | None = None) -> list[Attempt]:
    client, sender = _client(port), secrets.token_hex(3)
    token, started = _open_form(client, "/ticket/new")
    time.sleep(MIN_FILL_SECONDS + 0.2)
    client.close()
    attempts, index = [], 0
    while _going_on(index, count, until):
        index += 1
        form = {"csrf_token": token, "started": started, "submission": secrets.token_urlsafe(24), "website": "",
                "topic": "repair", "description": f"{marker} {sender} #{index} 沙发扶手松动，需要上门维修。",
                "contact_name": "压力测试", "mobile": f"137{port % 10000:04d}{index % 10000:04d}", "city": "佛山"}
        attempts += _send("ticket", client, "/ticket/new", form)
    return attempts


def edit_customer(port: int, username: str, password: str, customer_id: int, count: int) -> list[Attempt]:
    """A clerk opening the customer's form, changing the notes and saving, again and again;
    another clerk does the same at the same time."""
    client = _client(port)
    token, _started = _open_form(client, "/login")
    client.post("/login", {"csrf_token": token, "username": username, "password": password})
    attempts = []
    for index in range(count):
        page = client.get(f"/admin/customer/edit/?id={customer_id}").text()
        version = VERSION_INPUT.search(page)
        form = {"csrf_token": hidden_value(page, "csrf_token"), "version": version.group(1) if version else "",
                "name": "并发客户", "gender": "unspecified", "status": "potential", "mobile": "13800138000",
                "notes": f"{username} {index}"}
        attempt = _attempt("edit", lambda: client.post(f"/admin/customer/edit/?id={customer_id}", form))
        attempt.sent_version = form["version"]
        attempts.append(attempt)
    return attempts
