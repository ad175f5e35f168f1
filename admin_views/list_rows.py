"""A list page's rows as plain records, read with one SQL statement (SQLAlchemy Core).

A list shows twenty rows and forgets them: building ORM objects for them (identity map,
change tracking, a second object per related record) cost more than the rest of the
query. Here each row becomes a small read-only record with an attribute per column of the
model and, for each many-to-one relation the list shows, the related row as a record of
its own, read through a LEFT OUTER JOIN (only the columns that name it: the model's
`label_columns`). Records print like the model (its __str__), so formatters, column values
and related names read them exactly as they read model objects.
Editing, details and exports keep the ORM.
"""
from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import aliased


class Record:
    """Base of the generated record classes: attributes only, printed like the model."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'id', '?')}>"


def record_class(model, relation_keys=(), keys=None) -> type:
    """A slotted class with the model's column attributes (or just `keys`), these relations
    and the model's __str__."""
    keys = tuple(keys or (attr.key for attr in inspect(model).column_attrs)) + tuple(relation_keys)
    namespace = {"__slots__": keys, "model": model}
    if model.__str__ is not object.__str__:
        namespace["__str__"] = model.__str__
    return type(f"{model.__name__}Row", (Record,), namespace)


class RowReader:
    """Reads a model's rows by id with the related rows of the given many-to-one relations."""

    def __init__(self, model, relations, keys: list[str] | None = None):
        """`keys`: the model's columns to read (default: all of them)."""
        mapper = inspect(model)
        attributes = [attr for attr in mapper.column_attrs if keys is None or attr.key in keys]
        self.keys = [attr.key for attr in attributes]
        columns = [attr.columns[0] for attr in attributes]
        source = mapper.local_table
        self.record = record_class(model, [relation.property.key for relation in relations], keys=self.keys)
        self.related = []  # (relation key, record class, its column keys: the id first)
        for relation in relations:
            prop = relation.property
            target = aliased(prop.mapper.class_)
            related_keys = self._label_keys(prop.mapper)
            source = source.outerjoin(inspect(target).selectable, onclause=self._join_condition(prop, target))
            columns += [getattr(target, key) for key in related_keys]
            self.related.append((prop.key, record_class(prop.mapper.class_, keys=related_keys), related_keys))
        self.key = mapper.primary_key[0]
        self.select = select(*columns).select_from(source)
        self.statements = {}  # by the number of ids
        self.key_index = self.keys.index(mapper.get_property_by_column(self.key).key)

    @staticmethod
    def _label_keys(mapper) -> list[str]:
        """The primary key and what names a related record (its model's `label_columns`,
        the columns its __str__ reads); every column for a model that does not say."""
        key = mapper.get_property_by_column(mapper.primary_key[0]).key
        named = getattr(mapper.class_, "label_columns", None)
        if named is None:
            return [key] + [attr.key for attr in mapper.column_attrs if attr.key != key]
        return [key, *named]

    @staticmethod
    def _join_condition(prop, target):
        (local, remote), = prop.local_remote_pairs  # many-to-one over one foreign key
        return local == getattr(target, prop.mapper.get_property_by_column(remote).key)

    def statement(self, count: int):
        """`WHERE id IN (:id0, ... :idN)` with a parameter per id: an expanding parameter
        would have the statement's text rewritten on every page."""
        statement = self.statements.get(count)
        if statement is None:
            statement = self.statements[count] = self.select.where(
                self.key.in_([bindparam(f"id{index}") for index in range(count)]))
        return statement

    def read(self, connection, ids: list) -> list:
        """The records of these ids, in the order of `ids` (missing ones left out)."""
        by_id = {}
        width = len(self.keys)
        parameters = {f"id{index}": record_id for index, record_id in enumerate(ids)}
        for row in connection.execute(self.statement(len(ids)), parameters):
            record = self._make(self.record, self.keys, row, 0)
            start = width
            for key, related_class, related_keys in self.related:
                present = row[start] is not None  # an outer join's empty side has no id
                setattr(record, key, self._make(related_class, related_keys, row, start) if present else None)
                start += len(related_keys)
            by_id[row[self.key_index]] = record
        return [by_id[record_id] for record_id in ids if record_id in by_id]

    @staticmethod
    def _make(cls, keys, row, start: int):
        record = cls.__new__(cls)
        for offset, key in enumerate(keys):
            setattr(record, key, row[start + offset])
        return record
