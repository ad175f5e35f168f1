"""What a back-office list page shows, computed in Python and handed to a plain template
(admin/lifelong_list.html): the column headers with their sort links, the rows as HTML,
the pager and the links of the toolbar.

Flask-Admin's own list template draws every cell through macros and context calls (several
template calls, a url_for and a formatter lookup per cell): about 8 ms of a 10 ms page of
20 rows. Here a row is one string built from the view's cell readers, and every link of the
page is a fixed prefix completed by a page number, a sort column or a row id. The page
offers what Flask-Admin's does: search, filters, sorting, page sizes, bulk actions, export,
row links, in the same markup and with the same URL arguments.
"""
import re
from dataclasses import dataclass
from math import ceil
from urllib.parse import quote, urlencode

from flask import current_app, request

from flask_admin.babel import gettext as admin_gettext
from flask_babel import gettext as _
from markupsafe import Markup, escape

PAGER_REACH = 3  # pages shown on each side of the current one, as in Flask-Admin's pager


@dataclass(frozen=True)
class RowLink:
    prefix: str  # the link up to the row's id
    title: str
    icon: str


@dataclass(frozen=True)
class Column:
    """A listed column as its header shows it, in one language."""
    name: str
    css: str
    label: str
    sort_title: str | None  # None: not sortable


@dataclass(frozen=True)
class ColumnHeader:
    css: str
    label: str
    sort_url: str | None  # None: not sortable
    sort_title: str | None
    sorted_desc: bool | None  # None: the list is not sorted by this column


@dataclass(frozen=True)
class PagerItem:
    label: str
    url: str | None  # None: disabled, or the current page
    current: bool = False
    name: str | None = None  # what a screen reader says for an arrow


@dataclass
class ListPage:
    headers: list[ColumnHeader]
    rows: Markup
    row_count: int
    pager: list[PagerItem]
    page_size_links: list[tuple[str, str, bool]]  # label, address, chosen
    page_size_label: str
    create_url: str | None
    export_links: list[tuple[str, str]]  # label, address


# Flask-Admin's own words on a list page, in its translations.
ADMIN_WORDS = ("List", "Create New Record", "Create", "Export", "Add Filter", "With selected", "Search", "Apply",
               "Reset Filters", "Select all records", "Select record", "View Record", "Edit Record",
               "Please select at least one record.")
_admin_words_by_language: dict[str, dict[str, str]] = {}


def admin_words(language: str) -> dict[str, str]:
    """ADMIN_WORDS translated, once per language rather than on every page."""
    words = _admin_words_by_language.get(language)
    if words is None:
        words = _admin_words_by_language[language] = {word: admin_gettext(word) for word in ADMIN_WORDS}
    return words


QUERY_SAFE = "!$'()*,/:;?@"  # what werkzeug's url_for leaves unquoted in query strings


def view_url(view, endpoint: str, path_args: tuple = (), /, **query) -> str:
    """url_for(endpoint, **path_args, **query) for one of the view's own pages (".details_view"),
    with the path found once per process and the query string encoded as werkzeug does:
    a list page has a dozen links, and url_for was a tenth of its time. The first three
    are positional only: a list's address may carry any argument (?endpoint=x), and it
    goes to the query string like the others."""
    key = (view.endpoint, endpoint, path_args, request.script_root)
    paths = current_app.extensions.setdefault("lifelong_view_paths", {})
    path = paths.get(key)
    if path is None:
        path = paths[key] = view.get_url(endpoint, **dict(path_args))
    items = [(name, value) for name, value in query.items() if value is not None]
    return f"{path}?{urlencode(items, safe=QUERY_SAFE)}" if items else path


class ListLinks:
    """Every link of a list page from two url_for calls: the list's address with its other
    arguments, completed by a page number or a sort column (Flask-Admin puts page, sort and
    desc first, in that order)."""

    def __init__(self, view, view_args):
        self.view, self.args = view, view_args
        self.here = view._get_list_url(view_args)
        self._paged = self._split(view._get_list_url(view_args.clone(page=0)))
        self._sorted = self._split(view._get_list_url(view_args.clone(page=0, sort=None, sort_desc=None)))

    @staticmethod
    def _split(url: str) -> tuple[str, str]:
        path, _sep, query = url.partition("?")
        return path, query

    @staticmethod
    def _join(path: str, first: str, rest: str) -> str:
        query = "&".join(part for part in (first, rest) if part)
        return f"{path}?{query}" if query else path

    def page(self, number: int) -> str:
        path, rest = self._paged
        return self._join(path, f"page={number}" if number else "", rest)

    def sort(self, column: int, desc: bool) -> str:
        path, rest = self._sorted
        return self._join(path, f"sort={column}&desc=1" if desc else f"sort={column}", rest)


def columns(view) -> list[Column]:
    return [Column(name, "col-" + name.replace(".", "-"), str(label),
                   admin_gettext("Sort by %(name)s", name=str(label)) if view.is_sortable(name) else None)
            for name, label in view._list_columns]


def headers(columns_shown: list[Column], links: ListLinks) -> list[ColumnHeader]:
    sort_column, sort_desc = links.args.sort, links.args.sort_desc
    result = []
    for index, column in enumerate(columns_shown):
        sorted_desc = bool(sort_desc) if sort_column == index else None
        # Clicking the sorted column turns its order round; another column sorts ascending.
        url = links.sort(index, desc=sorted_desc is False) if column.sort_title else None
        result.append(ColumnHeader(column.css, column.label, url, column.sort_title, sorted_desc))
    return result


def pager(page: int, pages: int, links: ListLinks) -> list[PagerItem]:
    """Flask-Admin's pager (first, previous, up to seven pages around this one, next, last)."""
    if pages <= 1:
        return []
    low, high = page - PAGER_REACH, page + PAGER_REACH + 1
    if low < 0:
        high -= low
    if high >= pages:
        low -= high - pages
    low, high = max(low, 0), min(high, pages)
    items = [PagerItem("«", links.page(0) if low > 0 else None, name=_("First page")),
             PagerItem("<", links.page(page - 1) if page > 0 else None, name=_("Previous page"))]
    items += [PagerItem(str(number + 1), None if number == page else links.page(number), number == page)
              for number in range(low, high)]
    items += [PagerItem(">", links.page(page + 1) if page + 1 < pages else None, name=_("Next page")),
              PagerItem("»", links.page(pages - 1) if high < pages else None, name=_("Last page"))]
    return items


def page_count(count, page_size: int) -> int:
    return int(ceil(count / float(page_size))) if count and page_size else 0


def row_links(view, return_url: str, words: dict[str, str]) -> list[RowLink]:
    """Each row's view and edit links as a prefix the row's id completes. Deleting is on the
    record's page and among the bulk actions, not on every row (see
    ListPageMixin.get_list_row_actions)."""
    links = []
    if view.can_view_details:
        links.append(RowLink(view_url(view, ".details_view", url=return_url) + "&id=", words["View Record"],
                             "fa fa-eye glyphicon glyphicon-eye-open"))
    if view.can_edit:
        links.append(RowLink(view_url(view, ".edit_view", url=return_url) + "&id=", words["Edit Record"],
                             "fa fa-pencil glyphicon glyphicon-pencil"))
    return links


def rows_html(view, records, readers, links: list[RowLink], checkbox_title: str | None) -> Markup:
    """The table rows, cell by cell as Flask-Admin's template writes them (`<td
    class="col-NAME">value</td>`), every value escaped unless a formatter made it Markup;
    a checkbox first for bulk actions when `checkbox_title` is given. `readers`: each
    column's CSS class and a function from a record to its value."""
    # What each row starts with (its checkbox and buttons), completed by its id.
    row_start = "<tr>"
    if checkbox_title is not None:
        row_start += (f'<td><input type="checkbox" name="rowid" class="action-checkbox" value="{ID}" '
                      f'title="{escape(checkbox_title)}" /></td>')
    if view.column_display_actions:
        row_start += '<td class="list-buttons-column">' + "".join(
            f'<a class="icon" href="{escape(link.prefix)}{ID_IN_URL}" title="{escape(link.title)}">'
            f'<span class="{escape(link.icon)}"></span></a>' for link in links) + "</td>"
    html = []
    add = html.append
    for record in records:
        key = str(view.get_pk_value(record))
        add(row_start.replace(ID, _text(key)).replace(ID_IN_URL, quote(key)))
        for css, read in readers:
            add(f'<td class="{css}">{_text(read(record))}</td>')
        add("</tr>")
    return Markup("".join(html))


ID, ID_IN_URL = "\x00id\x00", "\x00id-in-url\x00"  # where a row's id goes in its start
_NEEDS_ESCAPING = re.compile("[&<>\"']").search


def _text(value) -> str:
    """A cell's value as HTML: markupsafe.escape, without a Markup object for the plain text
    that most cells hold (building those took a list page a tenth of its time)."""
    if type(value) is str and not _NEEDS_ESCAPING(value):
        return value
    return str(escape(value))


def page_size_links(view, links: ListLinks, page_size: int, labels: dict[int, str]) -> list[tuple[str, str, bool]]:
    if not view.can_set_page_size:
        return []
    return [(labels[size], view._get_list_url(links.args.clone(page=0, page_size=size)), size == page_size)
            for size in view.page_size_options]


def export_links(view, list_args: dict, words: dict[str, str]) -> list[tuple[str, str]]:
    """Flask-Admin's export links: the list's arguments (scope, search, filters, sort) go along."""
    if not view.can_export:
        return []
    return [(f"{words['Export']} {kind.upper()}", view_url(view, ".export", (("export_type", kind),), **list_args))
            for kind in view.export_types]
