"""Read an uploaded caseload file (CSV or Excel) into a header row and rows of text cells.

CSV: UTF-8 (with or without BOM) or Shift_JIS/CP932, as Excel and kintone write them.
Excel: the first sheet of an .xlsx (openpyxl, read-only); dates stay ISO dates.
The first non-empty row is the header; empty rows are skipped but keep their row number,
so a problem names the row the town sees in its own file.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from kasane.core.i18n import N_

MAX_IMPORT_MB = 50
MAX_IMPORT_BYTES = MAX_IMPORT_MB * 1024 * 1024
MAX_ROWS = 100_000
XLSX_MAGIC = b"PK\x03\x04"


class UnreadableFile(ValueError):
    """The file is not a CSV or .xlsx Kasane can read; ``args[0]`` is a msgid."""


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (row number in file, cells)
    refused: set[tuple[int, str]] = field(default_factory=set)  # (row, header) of a My Number

    def blank_mynumbers(self) -> None:
        """Empty every cell that holds a マイナンバー, remembering where it was: the number
        is never kept, and each check names its row and column."""
        from kasane.core.protection.mynumber import find_mynumber

        for number, cells in self.rows:
            for i, cell in enumerate(cells):
                if cell and find_mynumber(cell):
                    cells[i] = ""
                    self.refused.add((number, self.headers[i]))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table(raw_rows: list[tuple[int, list[str]]]) -> Table:
    rows = [(n, cells) for n, cells in raw_rows if any(c.strip() for c in cells)]
    if not rows:
        raise UnreadableFile(N_("The file has no rows."))
    (_, headers), *body = rows
    headers = [h.strip() for h in headers]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise UnreadableFile(N_("The first row must name the columns."))
    if len(body) > MAX_ROWS:
        raise UnreadableFile(N_("The file has more than 100,000 rows; split it."))
    width = len(headers)
    return Table(headers, [(n, (cells + [""] * width)[:width]) for n, cells in body])


def _read_csv(raw: bytes) -> Table:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile(N_("Save the CSV as UTF-8 or Shift_JIS."))
    reader = csv.reader(io.StringIO(text, newline=""))
    return _table([(n, [c.strip() for c in row]) for n, row in enumerate(reader, start=1)])


def _read_xlsx(raw: bytes) -> Table:
    from openpyxl import load_workbook  # imported here: only an Excel upload needs it

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise UnreadableFile(N_("The Excel file could not be read.")) from exc
    try:
        sheet = book.worksheets[0]
        rows = [
            (n, [_cell(v) for v in values])
            for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()
    return _table(rows)


def read_table(filename: str, raw: bytes) -> Table:
    """The file's header and rows.

    Raises:
        UnreadableFile: too large, empty, not UTF-8/Shift_JIS CSV or .xlsx.
    """
    if len(raw) > MAX_IMPORT_BYTES:
        raise UnreadableFile(N_("The file is larger than 50 MB."))
    if raw.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return _read_xlsx(raw)
    return _read_csv(raw)
