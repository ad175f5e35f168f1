"""Every response tells the browser what the page may do: run only its own scripts, never be
framed, never be sniffed, keep referrers on this site, and (over HTTPS) stay on HTTPS.
Pages with personal data or a form's token are never stored by a browser or a proxy."""
import re

import pytest

from crm.security_headers import HSTS

BACK_OFFICE_PAGES = ["/admin/", "/admin/customer/", "/admin/customer/new/", "/admin/customer/details/?id={id}",
                     "/admin/customer/edit/?id={id}", "/admin/complaint/", "/admin/reports/", "/admin/audit/"]
PUBLIC_PAGES = ["/", "/login", "/feedback", "/ticket/new", "/ticket/status", "/no-such-page"]
SCRIPT = re.compile(r"<script\b([^>]*)>")


def policy(response) -> dict[str, str]:
    """The Content-Security-Policy as {directive: sources}."""
    header = response.headers["Content-Security-Policy"]
    return dict((part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip())


def nonce_of(response) -> str | None:
    match = re.search(r"'nonce-([^']+)'", policy(response)["script-src"])
    return match.group(1) if match else None


def inline_scripts(html: str) -> list[str]:
    """The attributes of every <script> that runs inline code (no src, not a JSON data block)."""
    return [attributes for attributes in SCRIPT.findall(html)
            if "src=" not in attributes and "application/json" not in attributes]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_refuse_framing_sniffing_and_foreign_scripts(client, path):
    response = client.get(path)
    directives = policy(response)
    assert directives["frame-ancestors"] == "'none'" and response.headers["X-Frame-Options"] == "DENY"
    assert directives["script-src"].startswith("'self'") and "unsafe-inline" not in directives["script-src"]
    assert directives["object-src"] == "'none'" and directives["form-action"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_are_not_stored(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", BACK_OFFICE_PAGES)
def test_back_office_pages_are_not_stored(admin_client, customer, path):
    response = admin_client.get(path.format(id=customer.id))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", BACK_OFFICE_PAGES)
def test_every_inline_script_of_a_back_office_page_carries_the_nonce_of_its_policy(admin_client, customer, path):
    response = admin_client.get(path.format(id=customer.id))
    html = response.get_data(as_text=True)
    nonce = nonce_of(response)
    scripts = inline_scripts(html)
    assert all(f'nonce="{nonce}"' in attributes for attributes in scripts), scripts
    assert "javascript:" not in html and not re.search(r"\son[a-z]+=", html)  # no handlers the policy refuses


def test_each_response_has_a_nonce_of_its_own(admin_client):
    first, second = admin_client.get("/admin/customer/"), admin_client.get("/admin/customer/")
    assert nonce_of(first) and nonce_of(second) and nonce_of(first) != nonce_of(second)
    assert f'nonce="{nonce_of(second)}"' in second.get_data(as_text=True)
    assert nonce_of(first) not in second.get_data(as_text=True)  # the list's cached frame is not reused as it was


def test_a_page_without_inline_scripts_allows_none(client):
    assert policy(client.get("/"))["script-src"] == "'self'"


def test_static_files_may_be_kept_by_caches(client):
    response = client.get("/portal-assets/portal.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_https_responses_tell_the_browser_to_stay_on_https(client):
    assert client.get("/", base_url="https://lifelong.example").headers["Strict-Transport-Security"] == HSTS


def test_plain_http_responses_carry_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_a_refused_form_post_carries_the_headers_too(client):
    response = client.post("/ticket/status", data={"number": "", "last_digits": ""})
    assert response.status_code == 400
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"
