"""List exports at tens of thousands of rows a second in flat memory: rows are read as
plain tuples rather than ORM objects (a streamed cursor), related records come from a
small cache filled a chunk at a time, and translated labels are looked up once per export
instead of once per cell. The values are those of Flask-Admin's `get_export_value`: the
view's export formatters, its choices and its type formatters (the CSV and XLSX writers
then make every cell safe from formulas). An export is the list taken away, so people's
phone numbers are masked in it exactly as in the list (formatters.phone, formatters.customer;
crm.access.sees_full_numbers_in_lists): a spreadsheet of a dealership's customers with
their numbers in full is what a leaving salesperson would take."""
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from types import SimpleNamespace

from sqlalchemy import inspect

from admin_views import formatters
from crm.extensions import db

CHUNK = 2000
PLAIN_TYPES = (str, int, float, bool, Decimal, date, datetime)
CACHE_LIMIT = 20_000  # related records kept between chunks (dealers repeat; customers rarely)


class _Record:
    """One exported row: its columns as attributes, many-to-one relations on demand."""

    _relations: "_Relations"

    def __getattr__(self, name):
        return self._relations.get(self, name)


class _Relations:
    def __init__(self, model):
        mapper = inspect(model)
        self.foreign_keys = {relation.key: (relation.mapper.class_, next(iter(relation.local_columns)).key)
                             for relation in mapper.relationships if relation.direction.name == "MANYTOONE"}
        self.cache: dict[type, dict] = {}

    def get(self, record, name):
        if name not in self.foreign_keys:
            raise AttributeError(name)
        target, key = self.foreign_keys[name]
        target_id = record.__dict__[key]
        if target_id is None:
            return None
        known = self.cache.setdefault(target, {})
        if target_id not in known:
            known[target_id] = db.session.get(target, target_id)
        return known[target_id]

    def preload_labels(self, name, rows, known: dict, label=str) -> None:
        """The names (`label`, by default str) of the `name` records these rows refer to, into `known`."""
        target, key = self.foreign_keys[name]
        if len(known) > CACHE_LIMIT:
            known.clear()
        loaded = _load(target, {getattr(row, key) for row in rows} - known.keys())
        if loaded:
            known.update((item.id, label(item)) for item in loaded)
            db.session.expunge_all()

    def preload(self, names, records) -> None:
        """One query per relation and chunk instead of one per row."""
        for name in names:
            target, key = self.foreign_keys[name]
            known = self.cache.setdefault(target, {})
            if len(known) > CACHE_LIMIT:
                known.clear()
                db.session.expunge_all()
            known.update((item.id, item) for item in _load(target, {record.__dict__[key] for record in records}
                                                           - known.keys()))


def _load(target, ids: set) -> list:
    """The `target` records with these ids (None left out), in one query."""
    ids.discard(None)
    if not ids:
        return []
    return db.session.query(target).filter(inspect(target).primary_key[0].in_(ids)).all()


def _plain_column(model, name) -> bool:
    """A column of plain values (text, numbers, dates), which no type formatter changes."""
    column = inspect(model).columns.get(name)
    try:
        return column is not None and column.type.python_type in PLAIN_TYPES
    except NotImplementedError:
        return False


def _cell(view, name, read=None):
    """A function from a record to the cell of column `name`, as Flask-Admin would export it.
    `read`: how a plain column's value is read from a record (default: its attribute)."""
    formatter = (view.column_formatters_export or {}).get(name)
    choices = {code: str(label) for code, label in view._column_choices_map.get(name, {}).items()}
    if formatter is None and not choices and _plain_column(view.model, name):
        return read or (lambda record: record.__dict__[name])  # None becomes "" in the writers
    type_formatters = view.column_type_formatters_export or {}
    by_type: dict[type, object] = {}

    def formatted(value):
        kind = type(value)
        if kind not in by_type:
            by_type[kind] = next((fmt for typeobj, fmt in type_formatters.items() if isinstance(value, typeobj)), None)
        type_formatter = by_type[kind]
        return type_formatter(view, value, name) if type_formatter else value

    value_of = (lambda record: formatter(view, None, record, name)) if formatter else \
        (read or (lambda record: getattr(record, name)))
    if choices:
        return lambda record: choices.get(value_of(record)) or value_of(record)
    return lambda record: formatted(value_of(record))


def _columns_read(view, names, relations) -> list[str]:
    foreign_keys = {name: key for name, (_target, key) in relations.foreign_keys.items()}
    return formatters.columns_read(view.model, names, view.column_formatters_export, foreign_keys)


def rows(view, query, names):
    """The export's rows (lists of cells) for the ORM `query` of the view's list."""
    model = view.model
    relations = _Relations(model)
    columns = _columns_read(view, names, relations)
    # Labelled with their attribute names, which a row then answers to (a column_property's
    # expression would otherwise come back unnamed).
    plain = query.with_entities(*(getattr(model, key).label(key) for key in columns)).statement
    # Through the connection, not the ORM session: rows stay plain tuples (about a third
    # faster), and stream_results keeps a PostgreSQL cursor on the server.
    result = db.session.connection().execution_options(stream_results=True, max_row_buffer=CHUNK).execute(plain)
    if formatters.reads_own_columns(view.column_formatters_export, names):
        yield from _rows_read_directly(view, names, relations, result)
        return
    record_class = type("ExportRecord", (_Record,), {"_relations": relations})
    shown_relations = [name for name in names if name in relations.foreign_keys]
    cells = [_cell(view, name) for name in names]
    for partition in result.partitions(CHUNK):
        records = []
        for row in partition:
            record = object.__new__(record_class)
            record.__dict__.update(zip(columns, row))
            records.append(record)
        relations.preload(shown_relations, records)
        for record in records:
            yield [cell(record) for cell in cells]


def _rows_read_directly(view, names, relations, result):
    """When every cell reads only its own column, cells read the database rows themselves
    (their columns are attributes) and a related record's cell is its name, looked up once
    per record shown rather than built again on every row."""
    labels = {name: {} for name in names if name in relations.foreign_keys}
    namers = {name: _related_namer(view, name) for name in labels}
    position = {key: index for index, key in enumerate(result.keys())}  # the labels given in rows()
    cells = [_related_label(name, relations, labels[name]) if name in labels
             else _cell(view, name, read=itemgetter(position[name]) if name in position else None)
             for name in names]
    for partition in result.partitions(CHUNK):
        for name, known in labels.items():
            relations.preload_labels(name, partition, known, namers[name])
        for row in partition:
            yield [cell(row) for cell in cells]


def _related_namer(view, name):
    """How a related record is named in the export: by the column's formatter when the view
    has one (a customer's number is masked as in the list, formatters.customer), else as
    the record prints."""
    formatter = (view.column_formatters_export or {}).get(name)
    if formatter is None:
        return str
    return lambda item: formatter(view, None, SimpleNamespace(**{name: item}), name)


def _related_label(name, relations, known: dict):
    key = relations.foreign_keys[name][1]
    return lambda row: known.get(getattr(row, key))
