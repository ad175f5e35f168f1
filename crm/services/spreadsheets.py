"""Reading the spreadsheets people upload (CSV in UTF-8 or GBK, XLSX) row by row, without
holding the file in memory, and refusing hostile files with a reason a person understands."""
from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _

from crm.services.errors import ServiceError

XLSX_MAGIC = b"PK\x03\x04"
OLD_EXCEL_MAGIC = b"\xd0\xcf\x11\xe0"
# A small XLSX can unpack to gigabytes (a "zip bomb"); refuse before openpyxl tries.
MAX_UNPACKED_BYTES = 600 * 1024 * 1024
MAX_CELL_CHARACTERS = 2000
ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 reads GBK and GB2312 files too
# Control characters (not tab or line breaks): a worksheet cannot hold them (openpyxl refuses
# the cell, which would break an export half-way) and PostgreSQL refuses NUL in text. They
# are taken out of uploaded cells and of exported text, which older records may still hold.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    rows: Iterator[tuple[int, list]]  # (the row's number as the spreadsheet shows it, its cells)


def open_sheet(stream) -> Sheet:
    """The first sheet of an uploaded file (a seekable binary stream): its header row and
    an iterator over the rows below it. Raises ServiceError for files that cannot be read."""
    stream.seek(0)
    start = stream.read(8)
    stream.seek(0)
    if not start.strip(b"\xef\xbb\xbf \r\n\t"):
        raise ServiceError(_("The file is empty."))
    if start.startswith(OLD_EXCEL_MAGIC):
        raise ServiceError(_("This is an old Excel file (.xls). Save it as .xlsx or .csv and upload it again."))
    if start.startswith(XLSX_MAGIC):
        return _open_xlsx(stream)
    return _open_csv(stream)


# CSV ---------------------------------------------------------------------------------------
def _open_csv(stream) -> Sheet:
    encoding = _detect_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    sample = text.read(16 * 1024)
    text.seek(0)
    if "\x00" in sample:
        raise ServiceError(_("This file is neither CSV text nor an XLSX workbook."))
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text, dialect)
    rows = _numbered_csv_rows(reader)
    for number, cells in rows:
        if any(cell.strip() for cell in cells):
            return Sheet([cell.strip() for cell in cells], rows)
    raise ServiceError(_("The file is empty."))


def _numbered_csv_rows(reader) -> Iterator[tuple[int, list]]:
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error:
        raise ServiceError(_("Row %(row)d cannot be read: a cell is far too long or a quote is not closed.",
                             row=reader.line_num + 1)) from None


def _detect_encoding(stream) -> str:
    """UTF-8 when the whole file decodes as UTF-8, else GB18030 (GBK); read in chunks."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        stream.seek(0)
        try:
            while chunk := stream.read(1024 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        stream.seek(0)
        return encoding
    raise ServiceError(_("The file's text is neither UTF-8 nor GBK. Save it as CSV UTF-8 or as .xlsx."))


# XLSX --------------------------------------------------------------------------------------
def _open_xlsx(stream) -> Sheet:
    from openpyxl import load_workbook  # only when a workbook is uploaded

    try:
        with zipfile.ZipFile(stream) as archive:
            if sum(item.file_size for item in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise ServiceError(_("The workbook unpacks to more than %(mb)d MB; split it into smaller files.",
                                     mb=MAX_UNPACKED_BYTES // (1024 * 1024)))
        stream.seek(0)
        # read_only streams the rows; formulas stay formulas ("=A1*2"), so that they can be refused.
        workbook = load_workbook(stream, read_only=True, data_only=False)
    except ServiceError:
        raise
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise ServiceError(_("This workbook cannot be opened. Save it again as .xlsx or .csv.")) from None
    sheet = workbook.worksheets[0]
    rows = _numbered_xlsx_rows(workbook, sheet)
    for number, cells in rows:
        if any(cell_text(cell) for cell in cells):
            return Sheet([cell_text(cell) for cell in cells], rows)
    raise ServiceError(_("The file is empty."))


def _numbered_xlsx_rows(workbook, sheet) -> Iterator[tuple[int, list]]:
    try:
        for number, cells in enumerate(sheet.iter_rows(values_only=True), 1):
            yield number, list(cells)
    except Exception:
        raise ServiceError(_("This workbook cannot be opened. Save it again as .xlsx or .csv.")) from None
    finally:
        workbook.close()


def cell_text(value) -> str:
    """A cell as text, whatever type the reader gave it (Excel dates, numbers, strings)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if not isinstance(value, (str, int, float, Decimal)):
        return "=" + str(getattr(value, "text", "") or "")  # an array formula or other object: a formula
    text = str(value)
    if not text.isprintable():  # rare, and the quick test keeps millions of cells fast
        text = CONTROL_CHARACTERS.sub("", text)
    return text.strip()


# Writing -------------------------------------------------------------------------------------
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS = 1_048_576  # including the header row
# Spreadsheets run cells that start with these as formulas.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 2000


def spreadsheet_safe(value):
    """A cell value that spreadsheets show as text instead of running it as a formula.
    Anything that is not a number or a date (a related record, a label) is text first."""
    if type(value) is str:  # most cells: checked first, an export has millions of them
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None or isinstance(value, (bool, int, float, Decimal, date, datetime)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_stream(titles: list[str], rows: Iterator[list]) -> Iterator[str]:
    """CSV text in chunks, with a byte-order mark so that Excel reads the UTF-8 as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(titles)
    for count, cells in enumerate(rows, 1):
        # spreadsheet_safe, with its most common case (text) inline: exports run it millions of times.
        writer.writerow([("'" + cell if cell.startswith(FORMULA_STARTS) else cell) if type(cell) is str
                         else "" if cell is None else spreadsheet_safe(cell) for cell in cells])
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_stream(titles: list[str], rows: Iterator[list]) -> Iterator[bytes]:
    """An XLSX workbook built row by row in a temporary file (openpyxl's write-only mode),
    then sent in chunks. Text cells are stored as text, so nothing in them runs as a formula."""
    import tempfile

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(titles)
    for cells in rows:
        sheet.append([_xlsx_cell(sheet, cell, WriteOnlyCell) for cell in cells])
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        while chunk := file.read(256 * 1024):
            yield chunk


def _xlsx_cell(sheet, value, cell_class):
    if value is not None and not isinstance(value, (int, float, Decimal, date, datetime)):
        value = str(value)  # labels, lazy strings, enums: as the list shows them
    if isinstance(value, str):
        cell = cell_class(sheet, value=spreadsheet_safe(CONTROL_CHARACTERS.sub("", value)))
        cell.data_type = "s"
        return cell
    return value
