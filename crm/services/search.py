"""Finding customers by what a clerk types into the search box, with an index for every
kind of term (the index itself: crm/search_index.py).

Each word of the search must match (words are separated by spaces):
- a whole phone number, however written (138-1234-5678, +86 138 1234 5678), is looked up
  exactly in mobile and other phone;
- three or more characters match anywhere in name, phones, email, address or postal code
  (trigram index);
- one or two characters match the start of the name (a surname, or a two-character full
  name such as 王芳): no trigram index can find shorter substrings quickly.
"""
import re

from sqlalchemy import bindparam, column, false, literal_column, select, table, union_all

from crm import search_index
from crm.extensions import db
from crm.models import Customer
from crm.phones import InvalidPhone, normalise_phone

MIN_SUBSTRING = 3
# What people put between the digits of a phone number.
PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")
PHONE_LIKE = re.compile(r"^[+\d\s\-()（）]*\d[+\d\s\-()（）]*$")
COUNTRY_CODE = re.compile(r"^\(?\+\d{1,3}\)?$")  # "+86" typed apart from the number
LIKE_SPECIALS = re.compile(r"([\\%_])")


def narrow(query, search: str):
    """`query` (over Customer; a Query or a Select) narrowed to the customers matching every
    word of `search`. Returns the query and, on SQLite, the FTS table it joined (None
    otherwise): ordering by that table's rowid lets the index stop after one page."""
    substrings = []
    search = (search or "").strip()
    # A whole phone number typed in groups (+86 138 1234 5678, 020 1234 5678) is one term.
    whole = PHONE_LIKE.match(search) and _whole_phone(search)
    for term in [search] if whole else search.split():
        condition, substring = _condition(term)
        if condition is not None:
            query = query.filter(condition)
        if substring:
            substrings.append(substring)
    if not substrings:
        return query, None
    if not _sqlite():
        for substring in substrings:
            pattern = "%" + LIKE_SPECIALS.sub(r"\\\1", substring.lower()) + "%"
            query = query.filter(search_index.search_text().like(bindparam(None, pattern), escape="\\"))
        return query, None
    fts = table(search_index.FTS_TABLE, column("rowid"))
    phrases = " AND ".join('"' + substring.replace('"', '""') + '"' for substring in substrings)
    query = query.join(fts, fts.c.rowid == Customer.id).filter(
        literal_column(search_index.FTS_TABLE).op("MATCH")(bindparam(None, phrases)))
    return query, fts


def _condition(term: str):
    """(SQL condition, None) for a word the B-tree indexes answer; (None, substring) for one
    that needs the trigram index."""
    if COUNTRY_CODE.match(term):
        return None, None  # the rest of the number says enough
    if PHONE_LIKE.match(term):
        whole = _whole_phone(term)
        if whole:
            return _phone_is(whole), None
        # Stored numbers are international (+8620...): a trunk 0 (020-1234) is not in them.
        term = PHONE_SEPARATORS.sub("", term).replace("+", "").removeprefix("0")
    if not term:
        return false(), None
    if len(term) < MIN_SUBSTRING:
        return _name_starts_with(term), None
    return None, term


def _phone_is(number: str):
    # Two separate index lookups: an OR of the two columns makes SQLite scan the table.
    return Customer.id.in_(union_all(select(Customer.id).where(Customer.mobile == number),
                                     select(Customer.id).where(Customer.other_phone == number)))


def _whole_phone(term: str) -> str | None:
    digits = PHONE_SEPARATORS.sub("", term)
    if len(digits.lstrip("+")) < 7:
        return None
    try:
        return normalise_phone(digits)
    except InvalidPhone:
        return None


def _sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def _name_starts_with(term: str):
    if _sqlite():
        # SQLite's LIKE ignores case and so skips the index; a range on the BINARY-ordered
        # index is the same test for a prefix.
        return Customer.name.between(term, term + "\U0010ffff")
    return Customer.name.startswith(term, autoescape=True)  # served by name text_pattern_ops
