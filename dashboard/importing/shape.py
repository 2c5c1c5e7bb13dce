"""How a CRM export is written: its text encoding, delimiter, decimal separator and date order.

Used by the importer when a mapping file or preset leaves these to the file (`auto`):
- `detect_encoding`: a byte order mark says UTF-8 or UTF-16 (Excel's "Unicode text"); text that
  decodes as UTF-8 is UTF-8; anything else is handed to charset-normalizer, limited to the
  encodings Western European CRMs and spreadsheets write (Windows-1252, ISO-8859-15, Latin-1,
  UTF-16 without its mark). Other code pages are declared in the mapping (`encoding:`).
- `sniff_delimiter`: the delimiter (comma, semicolon, tab, bar) that splits the most lines of
  the file's start into the same number of cells, quotes respected. Python's `csv.Sniffer`
  wants every line to agree, which the title lines above a report export never do.
- `NumberFormat`: the decimal separator, from the amounts themselves (`1,234.50`, `8250,5`),
  else from the delimiter (a semicolon file comes from a decimal-comma locale).
- `DateOrder`: whether `03/04/2026` is 3 April or 4 March, when a mapping declares both a
  month-first and a day-first format: decided by a date that only one of them reads
  (`11/20/2026`); a file whose dates never tell is refused rather than guessed.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable

from charset_normalizer import from_bytes

SAMPLE_BYTES = 65_536  # what the encoding and the delimiter are told from
DELIMITERS = (",", ";", "\t", "|")
DETECTED_ENCODINGS = ("cp1252", "iso8859_15", "latin_1", "utf_16", "utf_16_le", "utf_16_be")
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-16": "UTF-16", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16",
                  "cp1252": "Windows-1252", "iso8859-15": "ISO-8859-15", "latin-1": "Latin-1",
                  "cp1250": "Windows-1250"}
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}


class ShapeError(ValueError):
    """A file whose encoding, dates or numbers cannot be told apart: the row, column and why."""

    def __init__(self, row: int | None, column: str | None, reason: str):
        self.row, self.column, self.reason = row, column, reason
        super().__init__(reason)


def encoding_name(encoding: str) -> str:
    """A codec as people know it (`cp1252` -> Windows-1252)."""
    return ENCODING_NAMES.get(codecs.lookup(encoding).name, encoding)


def detect_encoding(sample: bytes) -> str:
    """The codec of a file from its first bytes (see the module docstring)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        if b"\x00" not in sample:  # NUL bytes in text: UTF-16 without its mark
            return "utf-8"
    best = from_bytes(sample, cp_isolation=list(DETECTED_ENCODINGS)).best()
    if best is None:
        raise ShapeError(None, None, "cannot tell the file's text encoding; declare it in a mapping "
                                     "file (encoding: cp1252, utf-16, ...)")
    return codecs.lookup(best.encoding).name


def sample_lines(sample: bytes, encoding: str, complete: bool) -> list[str]:
    """The decoded lines of a file's first bytes (the last one dropped when it may be cut)."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=complete)
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    return lines if complete or len(lines) < 2 else lines[:-1]


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the most lines into one number (above 1) of cells."""
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            widths = [len(cells) for cells in csv.reader(lines, delimiter=delimiter)
                      if any(cell.strip() for cell in cells)]
        except csv.Error:
            continue
        common = Counter(width for width in widths if width > 1).most_common(1)
        if common:
            width, rows = common[0]
            if (rows, width) > best_score:
                best, best_score = delimiter, (rows, width)
    return best


# ---------------------------------------------------------------- numbers

_GROUPED = {",": re.compile(r"\d{1,3}(?:,\d{3})+"), ".": re.compile(r"\d{1,3}(?:\.\d{3})+")}


class NumberFormat:
    """Decides a file's decimal separator from its amounts (`decimal: auto` in a mapping)."""

    def __init__(self):
        self.evidence: dict[str, tuple[int, str, str]] = {}  # separator -> (row, column, text)

    def observe(self, text: str, row: int, column: str) -> None:
        digits = text.strip().lstrip("+-").replace(" ", "").replace("\u00a0", "")
        if "." in digits and "," in digits:
            separator = "." if digits.rindex(".") > digits.rindex(",") else ","
        elif "," in digits or "." in digits:
            mark = "," if "," in digits else "."
            if _GROUPED[mark].fullmatch(digits):
                return  # 12,000 or 1.234: thousands, or three decimals; the file must tell
            separator = mark
        else:
            return
        self.evidence.setdefault(separator, (row, column, text))

    def decide(self, delimiter: str) -> tuple[str, str]:
        """(decimal, thousands): from the amounts seen, else from the delimiter."""
        if len(self.evidence) == 2:
            (row_a, column_a, text_a), (row_b, column_b, text_b) = sorted(self.evidence.values())
            raise ShapeError(row_b, column_b,
                             f"{text_b!r} and {text_a!r} (row {row_a}, column {column_a}) use different "
                             "decimal separators; declare `decimal:` in a mapping file")
        decimal = next(iter(self.evidence), "," if delimiter == ";" else ".")
        return decimal, (". \u00a0" if decimal == "," else ", \u00a0")


# ---------------------------------------------------------------- dates


def _order(date_format: str) -> str | None:
    if "%d" in date_format and "%m" in date_format:
        return "day first" if date_format.index("%d") < date_format.index("%m") else "month first"
    return None


def _shape(date_format: str) -> str:
    return date_format.replace("%d", "%?").replace("%m", "%?")


def _reads(text: str, date_format: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text, date_format)
    except ValueError:
        return None


_DAY_AND_MONTH = re.compile(r"\d{1,2}\D\d{1,2}\D")  # 03/04/..., 20.11....: what the order is about


def _twin(date_format: str) -> str:
    """The format with the day and the month swapped (`%m/%d/%Y` -> `%d/%m/%Y`)."""
    return date_format.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


class DateOrder:
    """Whether a file writes dates month first or day first, when its mapping allows both.

    In question are the formats of one shape in both orders (`%m/%d/%Y` beside `%d/%m/%Y`). A
    date that a format reads and its twin with day and month swapped does not (`11/20/2026`,
    `11/13/2026 9:00 AM`) decides for the whole file; `excluded` are then the formats of the
    other order.
    """

    def __init__(self, formats: Iterable[str]):
        formats = tuple(dict.fromkeys(formats))
        self.ordered = tuple(f for f in formats if _order(f))
        self.pairs = [(a, b) for i, a in enumerate(formats) for b in formats[i + 1:]
                      if _order(a) and _order(b) and _order(a) != _order(b) and _shape(a) == _shape(b)]
        self.evidence: dict[str, tuple[int, str, str]] = {}
        self.ambiguous: tuple[int, str, str, str, str] | None = None
        self.excluded: frozenset[str] = frozenset()
        self.decided = not self.pairs

    def observe(self, text: str, row: int, column: str) -> None:
        """Note what one cell says about the order (before the file's order is decided)."""
        if not _DAY_AND_MONTH.match(text):
            return
        for date_format in self.ordered:
            if _reads(text, date_format) is not None and _reads(text, _twin(date_format)) is None:
                self.evidence.setdefault(_order(date_format), (row, column, text))
        for a, b in self.pairs:
            read_a, read_b = _reads(text, a), _reads(text, b)
            if read_a is not None and read_b is not None and read_a != read_b and self.ambiguous is None:
                self.ambiguous = (row, column, text, a, b)

    def decide(self) -> None:
        """Settle the order from what was observed: refuse mixed orders, or a date no other tells."""
        if self.decided:
            return
        if len(self.evidence) == 2:
            (row_a, column_a, text_a), (row_b, column_b, text_b) = sorted(self.evidence.values())
            raise ShapeError(row_b, column_b,
                             f"{text_b!r} and {text_a!r} (row {row_a}, column {column_a}) write dates in "
                             "different orders (month first and day first)")
        if self.evidence:
            order = next(iter(self.evidence))
            self.excluded = frozenset(f for pair in self.pairs for f in pair if _order(f) != order)
            self.decided = True
        elif self.ambiguous is not None:
            row, column, text, a, b = self.ambiguous
            raise ShapeError(row, column,
                             f"{text!r} reads both as {a} and as {b}, and no date of the file tells whether "
                             "it writes the month or the day first; declare one order in a mapping file "
                             "(date_formats)")

    def check(self, text: str, row: int, column: str) -> None:
        """A cell read after the sample: it may still decide the order, or be refused as ambiguous."""
        if not self.decided:
            self.observe(text, row, column)
            self.decide()
