"""A small HTTP client for the benchmark (standard library only): one persistent
connection, its own cookies, timing from sending the request to the last byte read."""
import http.client
import re
import socket
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

RETRYABLE = (http.client.RemoteDisconnected, http.client.BadStatusLine, ConnectionResetError, BrokenPipeError,
             ConnectionAbortedError)
CSRF_FIELD = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>')
VALUE = re.compile(r'\bvalue="([^"]*)"')


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes
    seconds: float

    @property
    def statements(self) -> int | None:
        value = self.headers.get("x-statement-count")
        return int(value) if value is not None else None

    @property
    def statements_all(self) -> int | None:
        value = self.headers.get("x-statement-count-all")
        return int(value) if value is not None else None

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Client:
    host: str
    port: int
    timeout: float = 900
    resend_on_closed: bool = True  # send again once when the server had closed a kept-alive connection
    cookies: dict = field(default_factory=dict)
    _connection: http.client.HTTPConnection | None = None
    sent_at: float = 0.0  # when the request being answered was sent (for `consume`)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            connection.connect()
            # http.client sends a request's headers and its body in two writes: with Nagle's
            # algorithm on, the body then waits for the server's delayed ACK of the headers
            # (tens of milliseconds on Linux). Browsers and real clients send without delay.
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._connection

    def _headers(self, extra: dict | None) -> dict:
        headers = {"Accept-Language": "zh-CN,zh;q=0.9", "User-Agent": "lifelong-bench"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        headers.update(extra or {})
        return headers

    def _remember_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or ():
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                expired = morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"])
                if expired or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None,
                consume=None) -> Reply:
        """Send one request and read the whole answer (or hand the response to `consume`,
        which reads it and returns what goes in Reply.body). A request on a connection the
        server has closed meanwhile is sent again once on a new connection."""
        body = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
        extra = dict(headers or {})
        if body is not None:
            extra["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            reused = self._connection is not None
            connection = self._connect()
            started = self.sent_at = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=self._headers(extra))
                response = connection.getresponse()
                content = consume(response) if consume else response.read()
            except RETRYABLE:
                self.close()
                if attempt == 1 and reused and self.resend_on_closed:
                    continue
                raise
            except Exception:
                self.close()
                raise
            seconds = time.perf_counter() - started
            self._remember_cookies(response)
            if response.will_close:
                self.close()
            return Reply(response.status, {key.lower(): value for key, value in response.getheaders()}, content,
                         seconds)
        raise AssertionError("unreachable")

    def get(self, path: str, **kwargs) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict, **kwargs) -> Reply:
        return self.request("POST", path, form=form, **kwargs)


def hidden_value(html: str, name: str) -> str | None:
    """The value of the form input called `name` (csrf_token, started, submission...)."""
    pattern = CSRF_FIELD if name == "csrf_token" else re.compile(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>')
    tag = pattern.search(html)
    if tag is None:
        return None
    value = VALUE.search(tag.group(0))
    return value.group(1) if value else None


def log_in(client: Client, username: str, password: str) -> None:
    page = client.get("/login")
    if page.status != 200:
        raise RuntimeError(f"GET /login answered {page.status}")
    token = hidden_value(page.text(), "csrf_token")
    if token is None:
        raise RuntimeError("the login page has no csrf_token field")
    reply = client.post("/login", {"csrf_token": token, "username": username, "password": password, "next": ""})
    if reply.status != 302 or "/login" in reply.headers.get("location", ""):
        raise RuntimeError(f"signing in as {username} failed: {reply.status} {reply.headers.get('location')}")
    check = client.get("/admin/")
    if check.status != 200:
        raise RuntimeError(f"/admin/ answered {check.status} after signing in as {username}")
