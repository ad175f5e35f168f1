"""Paging a list of a million rows at the cost of a list of a thousand.

- The count stops at COUNT_AHEAD rows past the page: the pager needs to know that more
  pages follow, not how many thousands; the list then says "220+".
- A page first finds its ids alone (a walk over one narrow index, which also gives the
  count), then loads those rows with their related records: the offset never drags the
  joins along, however deep the page.
"""
import math
import re
from operator import attrgetter

from flask import flash, g, redirect, request
from flask import json as flask_json
from flask_admin import expose
from flask_admin._compat import as_unicode
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.model import template
from flask_babel import get_locale
from flask_babel import gettext as _
from jinja2.utils import htmlsafe_json_dumps
from sqlalchemy import Unicode, cast, false, func, inspect, or_
from sqlalchemy.orm import joinedload

from admin_views import formatters, list_page, list_rows

from crm import page_blocks
from crm.extensions import db

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


# Every integer column here is an `integer` (PostgreSQL's holds -2**31 to 2**31 - 1; a larger
# number sent to it is an error, and SQLite refuses numbers beyond 64 bits).
INTEGER_RANGE = range(-(2**31), 2**31)
REFUSED = "list_arguments_refused"  # flask.g: what the list could not honour, said once
_LIKE_SPECIALS = re.compile(r"([\\%_])")


def literal_contains(text: str) -> str:
    """A LIKE pattern (escape character: backslash) that finds `text` anywhere, its % and _
    taken as themselves rather than as wildcards."""
    return "%" + _LIKE_SPECIALS.sub(r"\\\1", text) + "%"


def comparable(value) -> bool:
    """Whether a filter's cleaned value (or each of a list of them) can be compared with its
    column at all: integers within INTEGER_RANGE, finite numbers."""
    values = value if isinstance(value, (list, tuple)) else (value,)
    for item in values:
        if isinstance(item, int) and not isinstance(item, bool) and item not in INTEGER_RANGE:
            return False
        if isinstance(item, float) and not math.isfinite(item):
            return False
    return True


class LiteralContains(sqla_filters.FilterLike):
    """"contains" as people mean it: Flask-Admin's hands the text to LIKE as it is, so "%"
    matched every row, "SO_1" matched "SO11", and a leading ^ or = changed the match."""

    def apply(self, query, value, alias=None):
        return query.filter(self.get_column(alias).ilike(literal_contains(value), escape="\\"))


class LiteralNotContains(sqla_filters.FilterNotLike):
    def apply(self, query, value, alias=None):
        return query.filter(~self.get_column(alias).ilike(literal_contains(value), escape="\\"))


class FilterConverter(sqla_filters.FilterConverter):
    """Flask-Admin's filters for each column type, with the text filters above."""

    strings = (LiteralContains, LiteralNotContains,
               *(kind for kind in sqla_filters.FilterConverter.strings
                 if kind not in (sqla_filters.FilterLike, sqla_filters.FilterNotLike)))


def has_control_characters(*texts) -> bool:
    return any(isinstance(text, str) and any(not ch.isprintable() and not ch.isspace() for ch in text)
               for text in texts)


def capped_count(session, id_query, cap: int) -> ListCount:
    counted = session.query(func.count()).select_from(id_query.limit(cap + 1).subquery()).scalar()
    return ListCount(min(counted, cap), more=counted > cap)


def _refuse(message: str) -> None:
    """Note that the list leaves something of its address out (said on the list page)."""
    said = g.setdefault(REFUSED, [])
    if message not in said:
        said.append(message)


class PageRows(list):
    """A page's records, and where they begin in the list (`first`, 0-based): a page asked
    for past the end of the list shows the last page instead, as Django's paginator does."""

    def __init__(self, records=(), first: int = 0):
        super().__init__(records)
        self.first = first


def read_page(session, model, query, offset: int, page_size: int, reader, by_blocks: bool = False
              ) -> tuple[ListCount, PageRows]:
    """The page's rows and the list's count, in two statements: the ids of this page and of
    up to COUNT_AHEAD rows after it (a walk over one narrow index, which also counts), then
    this page's rows with their related records (`reader`, a list_rows.RowReader). Past the
    end of the list, the last page.

    `by_blocks`: the query is the whole customer list, newest first; a deep page then
    starts from the block of ids that holds its first row (crm/page_blocks.py) instead of
    walking every row before it."""
    key = inspect(model).primary_key[0]
    window = page_size + COUNT_AHEAD
    connection = session.connection()

    def ids_from(narrowed, skip: int) -> list:
        return connection.execute(narrowed.with_entities(key).offset(skip).limit(window + 1).statement).scalars().all()

    if by_blocks and offset >= page_blocks.BLOCK_SIZE:
        position = page_blocks.locate(connection, offset, page_size)
        if position is None:
            return ListCount(0), PageRows()
        offset, ids = position.offset, ids_from(query.filter(key < position.bound), position.skip)
    else:
        ids = ids_from(query, offset)
        if not ids and offset:  # past the end: the last page
            counted = capped_count(session, query.with_entities(key).order_by(None), offset)
            if not counted:
                return counted, PageRows()
            offset = (counted - 1) // page_size * page_size
            ids = ids_from(query, offset)
    count = ListCount(offset + min(len(ids), window), more=len(ids) > window)
    page_ids = ids[:page_size]
    return count, PageRows(reader.read(connection, page_ids) if page_ids else (), first=offset)


class ListPageMixin:
    """A back-office view's list page (mixed in before Flask-Admin's ModelView): the page
    and its count as above, exports from the same queries, and what Flask-Admin would
    otherwise recompute on every page (translated filter menu and labels, row links)."""

    filter_converter = FilterConverter()

    def get_count_query(self):
        """The ids of the rows the list shows: counted with a cap (capped_count),
        never with a full COUNT of the table."""
        return self._scoped(db.session.query(inspect(self.model).primary_key[0]))

    # The list: capped counts, deep pages by id, related rows in the same statement -----
    def _list_queries(self, sort_column, sort_desc, search, filters, with_count_query=True):
        """The list's row query (scope, search, filters, sort) and its id query for counting
        (None without `with_count_query`: the list page counts with the row query itself)."""
        joins, count_joins = {}, {}
        query = self.get_query()
        count_query = self.get_count_query() if with_count_query else None
        if has_control_characters(search, *(value for _index, _name, value in filters or ())):
            # No stored text holds them (the forms clean them away), and PostgreSQL refuses NUL.
            return query.filter(false()), count_query.filter(false()) if with_count_query else None
        if self._search_supported and search:
            query, count_query, joins, count_joins = self._apply_search(query, count_query, joins, count_joins,
                                                                        search)
        if filters and self._filters:
            query, count_query, joins, count_joins = self._apply_filters(query, count_query, joins, count_joins,
                                                                         filters)
        query, joins = self._apply_sorting(query, joins, sort_column, sort_desc)
        return query, count_query

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Flask-Admin's search (each word in one of the searchable columns, in any case), with
        the words taken literally, as LiteralContains does for filters."""
        for term in search.split(" "):
            if not term:
                continue
            pattern = literal_contains(term)
            conditions, count_conditions = [], []
            for field, path in self._search_fields:
                query, joins, alias = self._apply_path_joins(query, joins, path, inner_join=False)
                column = field if alias is None else getattr(alias, field.key)
                conditions.append(cast(column, Unicode).ilike(pattern, escape="\\"))
                if count_query is not None:
                    count_query, count_joins, count_alias = self._apply_path_joins(count_query, count_joins, path,
                                                                                   inner_join=False)
                    column = field if count_alias is None else getattr(count_alias, field.key)
                    count_conditions.append(cast(column, Unicode).ilike(pattern, escape="\\"))
            query = query.filter(or_(*conditions))
            if count_query is not None:
                count_query = count_query.filter(or_(*count_conditions))
        return query, count_query, joins, count_joins

    # Arguments the list cannot honour are refused aloud, not dropped in silence ---------
    # A list quietly sorted or filtered otherwise than asked (a mistyped or stale address, a
    # forged one) looks like the answer; an export of it holds more rows than were wanted.
    def _get_list_extra_args(self):
        args = super()._get_list_extra_args()
        if request.args.get("sort", "") != "" and not self._sorts_by(args.sort):
            _refuse(_("This list cannot be sorted that way; it is shown in its usual order."))
            args = args.clone(sort=None, sort_desc=None)
        return args

    def _sorts_by(self, index) -> bool:
        column = self._get_column_by_idx(index)
        return column is not None and self.is_sortable(column[0])

    def _get_list_filter_args(self):
        """Flask-Admin's, except that a filter this list does not have and a value the
        database cannot compare (a number beyond its column's range) are refused like a
        value the filter cannot read, and the value is not repeated at any length."""
        filters = []
        for arg in request.args:
            if not arg.startswith("flt"):
                continue
            position, separator, key = arg[3:].partition("_")
            found = (self._filter_args or {}).get(key) if separator else None
            if found is None:
                _refuse(_("This list has no filter %(name)s; it was left out.", name=arg[:40]))
                continue
            index, flt = found
            value = request.args[arg]
            if not flt.validate(value) or not comparable(flt.clean(value)):
                _refuse(self.get_invalid_value_msg(value[:100], flt))
                continue
            filters.append((position, (index, as_unicode(flt.name), value)))
        if not self._filters:
            return None
        return [item for _position, item in sorted(filters, key=lambda pair: pair[0])]

    @expose("/export/<export_type>/")
    def export(self, export_type):
        """An export holds what the list shows. When the list would refuse some of its
        arguments, the export goes to the list instead, which says why."""
        self._get_list_extra_args()
        if g.get(REFUSED):
            return redirect(list_page.view_url(self, ".index_view", **request.args.to_dict(flat=True)))
        return super().export(export_type)

    def _with_list_relations(self, query):
        for relation in self._auto_joins:
            query = query.options(joinedload(relation))
        return query

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        query, _count_query = self._list_queries(sort_column, sort_desc, search, filters, with_count_query=False)
        page_size = self.page_size if page_size is None else page_size
        if not execute or not page_size:
            return None, self._with_list_relations(query)
        by_blocks = (self.model.__tablename__ == page_blocks.SOURCE and not search and not filters
                     and sort_column is None and self.column_default_sort == ("id", True)
                     and self.sees_every_row())
        return read_page(db.session, self.model, query, offset(page, page_size), page_size, self._row_reader(),
                         by_blocks)

    def _row_reader(self) -> list_rows.RowReader:
        """The list's rows by their ids with the related records the list shows, as plain
        records (admin_views/list_rows.py); built once per view."""
        reader = self.__dict__.get("_list_row_reader")
        if reader is None:
            names = [name for name, _label in self._list_columns]
            foreign_keys = {relation.key: next(iter(relation.property.local_columns)).key
                            for relation in self._auto_joins}
            keys = formatters.columns_read(self.model, names, self.column_formatters, foreign_keys)
            reader = self.__dict__["_list_row_reader"] = list_rows.RowReader(self.model, self._auto_joins, keys)
        return reader

    # The page: computed here, drawn by a plain template (admin_views/list_page.py) -----
    @expose("/")
    def index_view(self):
        view_args = self._get_list_extra_args()
        for message in g.get(REFUSED, ()):
            flash(message, "error")
        sort = self._get_column_by_idx(view_args.sort)
        page_size = self.get_safe_page_size(view_args.page_size)
        count, records = self.get_list(view_args.page, sort[0] if sort else None, view_args.sort_desc,
                                       view_args.search, view_args.filters, page_size=page_size)
        language = self._translated()
        words = language["words"]
        links = list_page.ListLinks(self, view_args)
        actions, confirmations = self.get_actions_list()
        page = list_page.ListPage(
            headers=list_page.headers(language["columns"], links),
            rows=list_page.rows_html(self, records, language["readers"], list_page.row_links(self, links.here, words),
                                     words["Select record"] if actions else None),
            row_count=len(records),
            pager=list_page.pager(records.first // page_size if page_size else 0, list_page.page_count(count, page_size),
                                  links),
            page_size_links=list_page.page_size_links(self, links, page_size, language["page_sizes"]),
            page_size_label=language["page_sizes"].get(page_size, ""),
            create_url=list_page.view_url(self, ".create_view", url=links.here) if self.can_create else None,
            export_links=list_page.export_links(self, request.args.to_dict(flat=True), words),
        )
        return self.render(
            self.list_template, list_page=page, words=words, count=count, page=records.first // page_size if page_size else 0,
            page_size=page_size,
            default_page_size=self.page_size, return_url=links.here, search=view_args.search,
            search_supported=self._search_supported, search_placeholder=language["search_placeholder"],
            clear_search_url=self._get_list_url(view_args.clone(page=0, search=None, filters=None)),
            filters=self._filters, filter_menu=language["filter_menu"],
            active_filters=view_args.filters, filter_args=self._get_filters(view_args.filters),
            sort_column=view_args.sort, sort_desc=view_args.sort_desc, extra_args=view_args.extra_args,
            actions=actions, actions_confirmation=confirmations,
        )

    def _get_list_url(self, view_args) -> str:
        """Flask-Admin's list address for these arguments (same arguments, same order),
        without a url_for per link (list_page.view_url)."""
        query = {"page": view_args.page or None, "sort": view_args.sort, "desc": 1 if view_args.sort_desc else None,
                 "search": view_args.search, **view_args.extra_args,
                 "page_size": self.get_safe_page_size(view_args.page_size)}
        query.update(self._get_filters(view_args.filters))
        return list_page.view_url(self, ".index_view", **query)

    def _translated(self) -> dict:
        """What the list page says that does not change from page to page, in the request's
        language: Flask-Admin's words, column headers, page sizes, the filter menu and its
        definitions (JSON for the filter script), the search box's hint."""
        language = str(get_locale())
        cache = self.__dict__.setdefault("_translated_by_language", {})
        if language not in cache:
            groups = self._get_filter_groups() if self._filters else None
            cache[language] = {
                "words": list_page.admin_words(language),
                "columns": list_page.columns(self),
                "page_sizes": {size: _("%(n)d rows a page", n=size) for size in self.page_size_options},
                "filter_menu": {"names": list(groups), "json": htmlsafe_json_dumps(groups, dumps=flask_json.dumps)}
                if groups else None,
                "search_placeholder": self.search_placeholder() if self._search_supported else None,
                "readers": [("col-" + name, self._cell_reader(name)) for name, _label in self._list_columns],
            }
        return cache[language]

    def _cell_reader(self, name: str):
        """A function from a record to the value of its `name` cell: the column's formatter,
        the label of a stored code (in this language), or the value as Flask-Admin's type
        formatters show it."""
        formatter = self.column_formatters.get(name)
        get_value = attrgetter(name)  # dotted names (dealer.code) too, as Flask-Admin's rec_getattr
        if formatter is not None:
            return lambda record: formatter(self, None, record, name)
        if name in self._column_choices_map:
            labels = self._choice_labels(name)
            return lambda record: labels.get(get_value(record)) or get_value(record) or ""
        type_formatters = self.column_type_formatters

        def plain(record):
            value = get_value(record)
            if value is None or type(value) is str:
                return "" if value is None else value
            for kind, format_value in type_formatters.items():
                if isinstance(value, kind):
                    return format_value(self, value, name)
            return value

        return plain

    # Translated once per language, not once per cell and request --------------------
    def _get_list_value(self, context, model, name, column_formatters, column_type_formatters):
        if name in self._column_choices_map and name not in column_formatters:
            value = self._get_field_value(model, name)
            return self._choice_labels(name).get(value) or value
        return super()._get_list_value(context, model, name, column_formatters, column_type_formatters)

    def _choice_labels(self, name: str) -> dict:
        key = (str(get_locale()), name)
        cache = self.__dict__.setdefault("_choice_labels_by_language", {})
        if key not in cache:
            cache[key] = {code: str(label) for code, label in self._column_choices_map[name].items()}
        return cache[key]

    def get_list_row_actions(self):
        """View and edit on each row; deleting is on the record's page and among the bulk
        actions, as in Django's admin: a delete button on every row is one slip from a
        lost record, and its form per row is a third of a list page's rendering."""
        return [action for action in super().get_list_row_actions()
                if not isinstance(action, template.DeleteRowAction)]
