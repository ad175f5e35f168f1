"""Paging a list of a million rows at the cost of a list of a thousand.

- The count stops at COUNT_AHEAD rows past the page: the pager needs to know that more
  pages follow, not how many thousands; the list then says "220+".
- A page first finds its ids alone (a walk over one narrow index, which also gives the
  count), then loads those rows with their related records: the offset never drags the
  joins along, however deep the page.
"""
from sqlalchemy import func, inspect

COUNT_AHEAD = 200  # ten pages of 20: enough to page on, cheap for a frequent search term
MAX_OFFSET = 100_000_000  # far beyond any list; keeps a typed page number within what databases take


class ListCount(int):
    """A row count that may be a lower bound: shown as "1,000+" when more rows exist."""

    def __new__(cls, value: int, more: bool = False):
        count = super().__new__(cls, value)
        count.more = more
        return count

    def __str__(self) -> str:
        return f"{int(self):,}+" if self.more else f"{int(self):,}"


def offset(page, page_size: int) -> int:
    """The first row of a page (0-based; a negative or absurd page number is clamped)."""
    return min(max(page or 0, 0) * page_size, MAX_OFFSET)


def has_control_characters(*texts) -> bool:
    return any(isinstance(text, str) and any(not ch.isprintable() and not ch.isspace() for ch in text)
               for text in texts)


def capped_count(session, id_query, cap: int) -> ListCount:
    counted = session.query(func.count()).select_from(id_query.limit(cap + 1).subquery()).scalar()
    return ListCount(min(counted, cap), more=counted > cap)


def page(session, model, query, offset: int, page_size: int, with_relations) -> tuple[ListCount, list]:
    """The page's rows and the list's count, in two statements: the ids of this page and of
    up to COUNT_AHEAD rows after it (a walk over one narrow index, which also counts), then
    this page's rows with their related records."""
    key = inspect(model).primary_key[0]
    window = page_size + COUNT_AHEAD
    ids = [row[0] for row in query.with_entities(key).offset(offset).limit(window + 1)]
    if not ids and offset:  # past the end: say how many there are
        return capped_count(session, query.with_entities(key).order_by(None), offset), []
    count = ListCount(offset + min(len(ids), window), more=len(ids) > window)
    page_ids = ids[:page_size]
    if not page_ids:
        return count, []
    by_id = {record.id: record for record in with_relations(session.query(model)).filter(key.in_(page_ids))}
    return count, [by_id[record_id] for record_id in page_ids if record_id in by_id]
