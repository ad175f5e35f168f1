"""Finding customers by what a clerk types into the search box, with an index for every
kind of term (the index itself: crm/search_index.py).

Each word of the search must match (words are separated by spaces):
- a whole phone number, however written (138-1234-5678, +86 138 1234 5678), is looked up
  exactly in mobile and other phone;
- three or more characters match anywhere in name, phones, email, address or postal code
  (trigram index);
- one or two characters match anywhere in the name (a surname, a given name such as 子豪):
  names are also indexed by their one- and two-character pieces, as no trigram is that
  short.
"""
import re

from sqlalchemy import bindparam, column, false, func, literal_column, select, table, union_all

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
    word of `search`. Returns the query and the customer id of a search table it joined,
    or None: ordering by that column, newest first, lets the index stop after one page."""
    substrings, name_parts = [], []
    search = (search or "").strip()
    # A whole phone number typed in groups (+86 138 1234 5678, 020 1234 5678) is one term.
    whole = PHONE_LIKE.match(search) and _whole_phone(search)
    for term in [search] if whole else search.split():
        condition, text = _condition(term)
        if condition is not None:
            query = query.filter(condition)
        elif text:
            (substrings if len(text) >= MIN_SUBSTRING else name_parts).append(text)
    if _sqlite():
        return _sqlite_match(query, substrings, name_parts)
    if substrings:
        db.session.execute(_TRIGRAM_PLANNING)
    for substring in substrings:
        query = query.filter(search_index.search_text().like(bindparam(None, _contains(substring)), escape="\\"))
    ordering = None
    for part in name_parts:
        pieces = table(search_index.NAME_GRAM_TABLE, column("gram"), column("customer_id")).alias()
        query = query.join(pieces, pieces.c.customer_id == Customer.id).filter(
            pieces.c.gram == bindparam(None, part.lower()))
        ordering = ordering if ordering is not None else pieces.c.customer_id
    return query, ordering


# PostgreSQL's planner prices an operator at 0.0025, about a fortieth of what checking the
# search text of a row costs: for a rare four-digit term it walked the whole id index,
# checking row after row (240 ms at a million customers), rather than reading the term's
# 1,600 matches from the trigram index and sorting them (8 ms). Priced right, for this
# transaction only, it still walks the ids for a frequent term (138: 8 ms), where the
# first page is found in the first few thousand rows. No parallel workers for a page of 20.
_TRIGRAM_PLANNING = select(func.set_config("cpu_operator_cost", "0.05", True),
                           func.set_config("max_parallel_workers_per_gather", "0", True))


def _sqlite_match(query, substrings: list[str], name_parts: list[str]):
    ordering = None
    for table_name, phrases in ((search_index.FTS_TABLE, [_phrase(text) for text in substrings]),
                                (search_index.NAME_CHARS_TABLE, [_phrase(" ".join(part)) for part in name_parts])):
        if not phrases:
            continue
        fts = table(table_name, column("rowid"))
        query = query.join(fts, fts.c.rowid == Customer.id).filter(
            literal_column(table_name).op("MATCH")(bindparam(None, " AND ".join(phrases))))
        ordering = ordering if ordering is not None else fts.c.rowid
    return query, ordering


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _contains(text: str) -> str:
    return "%" + LIKE_SPECIALS.sub(r"\\\1", text.lower()) + "%"


def _condition(term: str):
    """(SQL condition, None) for a word a B-tree index answers; (None, text) for one that
    the search tables answer (three or more characters anywhere; fewer, in the name)."""
    if COUNTRY_CODE.match(term):
        return None, None  # the rest of the number says enough
    if PHONE_LIKE.match(term):
        whole = _whole_phone(term)
        if whole:
            return _phone_is(whole), None
        digits = PHONE_SEPARATORS.sub("", term).replace("+", "")
        # Stored numbers are international (+8620...): the trunk 0 of an area code written
        # apart (020-1234) is not in them; plain digits (0817, the last four) are kept.
        term = digits.removeprefix("0") if PHONE_SEPARATORS.search(term) and digits.startswith("0") else digits
    if not term:
        return false(), None
    if len(term) < MIN_SUBSTRING and not all(ch.isalnum() for ch in term):
        return false(), None  # names are indexed by their letters; punctuation is in none
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
