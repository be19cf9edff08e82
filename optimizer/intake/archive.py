"""Checks on a workbook file before openpyxl opens it: a crafted file never reaches the parser.

Workbooks arrive by e-mail and shared drives. An ``.xlsx`` is a zip of XML parts,
and both layers can be turned into weapons: a zip bomb (a few kilobytes that
unpack to gigabytes), an entity bomb (``<!ENTITY lol9 "&lol8;&lol8;...">``, the
"billion laughs"), XML nested or repeated to exhaust memory, or a sheet whose
one cell sits on row 10^12 (openpyxl fills every row up to it). So before any
cell is read, ``check_workbook`` inspects the file with bounded memory and time
and raises ``Refused`` naming the limit, what it found and what was expected:

| limit | default | what it stops |
| --- | --- | --- |
| ``MAX_FILE_BYTES`` | 100 MB | a file far larger than any planning workbook (checked first) |
| ``MAX_PARTS`` | 10,000 | a zip of countless parts (counted from the zip's end record) |
| ``MAX_UNCOMPRESSED_BYTES`` | 200 MB | a zip bomb: what every part of the input unpacks to, all files together |
| ``MAX_COMPRESSION_RATIO`` | 200:1, parts over ``LARGE_PART_BYTES`` = 5 MB | a zip bomb hiding under the total |
| no DTD | - | entity bombs and external entities: no workbook declares a document type |
| ``MAX_XML_DEPTH`` | 100 | elements nested to exhaust the parser |
| ``MAX_XML_ELEMENTS`` | 30,000,000 | elements repeated to exhaust memory (whole input) |
| ``MAX_ROWS`` | 1,000,000 per sheet | rows, counted as openpyxl numbers them (the last row's number) |
| ``MAX_CELLS`` | 10,000,000 per sheet | cells, counted as openpyxl pads each row (up to its last cell's column) |

Sizes come from the zip's central directory; they are a safe bound because
Python's ``zipfile`` never returns more bytes than a part declares (and checks
its CRC). Every part is then streamed once through expat, a chunk at a time,
with no tree built: that finds document types, depth, elements, rows and cells
without holding more than a chunk. Parts that are not XML (images, macros) stop
expat at once and are only read through, so that every part's CRC is checked and
a damaged file is refused by name. openpyxl itself parses with defusedxml (a
dependency it uses whenever installed), a second line against entities.

The limits are module constants so a deployment, or a test, can change them.
"""

from __future__ import annotations

import posixpath
import xml.parsers.expat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils import column_index_from_string

MB = 1_000_000
MAX_FILE_BYTES = 100 * MB
MAX_PARTS = 10_000
MAX_UNCOMPRESSED_BYTES = 200 * MB
LARGE_PART_BYTES = 5 * MB
MAX_COMPRESSION_RATIO = 200
MAX_XML_DEPTH = 100
MAX_XML_ELEMENTS = 30_000_000
MAX_ROWS = 1_000_000
MAX_CELLS = 10_000_000

_CHUNK = 1 << 16
_REFUSED = "refused without opening it"


class Refused(Exception):
    """The workbook breaks a limit or is hostile; the message says what and what was expected."""

    def __init__(self, message: str, sheet: str | None = None):
        super().__init__(message)
        self.sheet = sheet


@dataclass
class Budget:
    """What the files of one input have used so far: the limits hold for the input as a whole."""

    uncompressed_bytes: int = 0
    xml_elements: int = 0


def check_workbook(path: Path, budget: Budget | None = None) -> None:
    """Raise ``Refused`` when the workbook at ``path`` breaks a limit; return quietly when it is safe to open."""
    budget = budget if budget is not None else Budget()
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise Refused(f"the file is {_mb(size)}; expected a workbook of at most {_mb(MAX_FILE_BYTES)} "
                      f"(planning workbooks are far smaller); {_REFUSED}")
    with open(path, "rb") as handle:
        declared = _declared_parts(handle)
        if declared is not None and declared > MAX_PARTS:
            raise Refused(f"the workbook is a zip of {declared:,} parts; expected at most {MAX_PARTS:,}; {_REFUSED}")
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise Refused(f"the workbook is damaged ({exc}); expected a valid .xlsx workbook") from None
        with archive:
            parts = archive.infolist()
            if len(parts) > MAX_PARTS:
                raise Refused(f"the workbook is a zip of {len(parts):,} parts; expected at most {MAX_PARTS:,}; "
                              f"{_REFUSED}")
            _check_sizes(parts, budget)
            _scan_parts(archive, parts, budget)


def _declared_parts(handle) -> int | None:
    """The number of parts the zip's end record declares, read before the directory is loaded."""
    try:
        record = zipfile._EndRecData(handle)  # noqa: SLF001 - stable for decades; a fallback follows
    except Exception:  # an unexpected layout: ZipFile's own reading decides
        return None
    finally:
        handle.seek(0)
    return None if not record else int(record[zipfile._ECD_ENTRIES_TOTAL])


def _check_sizes(parts: list[zipfile.ZipInfo], budget: Budget) -> None:
    total = budget.uncompressed_bytes + sum(p.file_size for p in parts)
    if total > MAX_UNCOMPRESSED_BYTES:
        largest = max(parts, key=lambda p: p.file_size)
        raise Refused(f"the workbook unpacks to {_mb(total)} (the part '{largest.filename}' alone to "
                      f"{_mb(largest.file_size)}); expected at most {_mb(MAX_UNCOMPRESSED_BYTES)} for the whole "
                      f"input: a zip bomb? {_REFUSED}")
    budget.uncompressed_bytes = total
    for part in parts:
        ratio = part.file_size / max(1, part.compress_size)
        if part.file_size > LARGE_PART_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise Refused(f"the part '{part.filename}' unpacks {ratio:,.0f} times larger than it is stored "
                          f"({_mb(part.compress_size)} to {_mb(part.file_size)}); expected at most "
                          f"{MAX_COMPRESSION_RATIO}:1 for parts over {_mb(LARGE_PART_BYTES)}: a zip bomb? {_REFUSED}")


def _scan_parts(archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo], budget: Budget) -> None:
    """Stream every part through expat; relationships and the workbook first, to name sheets in messages."""
    names = _SheetNames()
    for part in sorted(parts, key=_reading_order):
        try:
            with archive.open(part) as stream:
                _scan_xml(part.filename, stream, budget, names)
        except Refused:
            raise
        except Exception as exc:  # bad CRC, encryption, unknown compression, a damaged stream
            raise Refused(f"the workbook is damaged: its part '{part.filename}' cannot be unpacked "
                          f"({type(exc).__name__}: {exc}); expected a valid .xlsx workbook") from None


def _reading_order(part: zipfile.ZipInfo) -> tuple[int, str]:
    name = part.filename.lower()
    return (0 if name.endswith(".rels") else 1 if name.endswith("workbook.xml") else 2, name)


@dataclass
class _SheetNames:
    """Sheet titles by part name, from the workbook part and its relationships (best effort)."""

    targets: dict[str, str] = field(default_factory=dict)  # relationship id -> part name
    titles: dict[str, str] = field(default_factory=dict)  # relationship id -> sheet title

    def of(self, part: str) -> str | None:
        for rid, target in self.targets.items():
            if target == part and rid in self.titles:
                return self.titles[rid]
        return None


class _Counter:
    """expat handlers that count as openpyxl reads: depth, elements, and rows and cells under sheetData."""

    def __init__(self, part: str, budget: Budget, names: _SheetNames):
        self.part, self.budget, self.names = part, budget, names
        self.depth = 0
        self.elements = 0
        self.elements_left = MAX_XML_ELEMENTS - budget.xml_elements
        self.sheet_data_depth = 0  # depth of <sheetData>, 0 outside it
        self.row = 0  # openpyxl's row counter: the r attribute, else the previous row + 1
        self.last_row = 0
        self.column = 0  # openpyxl's column counter within the current row
        self.row_width = 0
        self.cells = 0
        self.base = posixpath.dirname(posixpath.dirname(part)) if part.endswith(".rels") else ""

    def doctype(self, *args) -> None:
        raise Refused(f"the part '{self.part}' declares a document type (DTD); no workbook has one, and it can "
                      "hide an entity-expansion bomb ('billion laughs') or external entities; expected plain "
                      f"workbook XML; {_REFUSED}")

    def entity(self, *args) -> None:
        raise Refused(f"the part '{self.part}' declares XML entities; expected plain workbook XML "
                      f"(an entity-expansion bomb?); {_REFUSED}")

    def start(self, name: str, attributes: dict) -> None:
        self.depth += 1
        self.elements += 1
        if self.depth > MAX_XML_DEPTH:
            raise Refused(f"the part '{self.part}' nests XML elements deeper than {MAX_XML_DEPTH}; "
                          f"expected plain workbook XML; {_REFUSED}")
        if self.elements > self.elements_left:
            raise Refused(f"the workbook has more than {MAX_XML_ELEMENTS:,} XML elements; expected at most that "
                          f"many for the whole input; {_REFUSED}")
        local = name.rpartition(":")[2]
        if self.sheet_data_depth:
            if self.depth == self.sheet_data_depth + 2 and local == "c":
                self._cell(attributes.get("r"))
            elif self.depth == self.sheet_data_depth + 1 and local == "row":
                self._start_row(attributes.get("r"))
        elif local == "sheetData":
            self.sheet_data_depth = self.depth
        elif local == "Relationship":
            self._relationship(attributes)
        elif local == "sheet" and "name" in attributes:
            rid = next((v for k, v in attributes.items() if k.rpartition(":")[2] == "id"), None)
            if rid is not None:
                self.names.titles[rid] = attributes["name"]

    def end(self, name: str) -> None:
        if self.sheet_data_depth:
            if self.depth == self.sheet_data_depth + 1 and name.rpartition(":")[2] == "row":
                self._end_row()
            elif self.depth == self.sheet_data_depth:
                self.sheet_data_depth = 0
        self.depth -= 1

    def _start_row(self, number: str | None) -> None:
        self.row = _whole_number(number, self.part) if number else self.row + 1
        self.last_row = max(self.last_row, self.row)
        self.column = self.row_width = 0
        if self.last_row > MAX_ROWS:
            raise Refused(f"the sheet{self._title()} has a row numbered {self.last_row:,} (openpyxl reads every row "
                          f"up to it); expected at most {MAX_ROWS:,} rows per sheet; {_REFUSED}",
                          self.names.of(self.part))

    def _cell(self, reference: str | None) -> None:
        if reference:
            letters = reference.rstrip("0123456789").lstrip("$")
            try:
                self.column = column_index_from_string(letters)
            except ValueError:
                raise Refused(f"the part '{self.part}' has a cell '{reference}' that is no cell reference; "
                              "expected a valid .xlsx workbook") from None
        else:
            self.column += 1
        self.row_width = max(self.row_width, self.column)

    def _end_row(self) -> None:
        self.cells += self.row_width
        if self.cells > MAX_CELLS:
            raise Refused(f"the sheet{self._title()} has more than {MAX_CELLS:,} cells (every row counts up to its "
                          f"last cell); expected at most {MAX_CELLS:,} per sheet; {_REFUSED}", self.names.of(self.part))

    def _relationship(self, attributes: dict) -> None:
        rid, target = attributes.get("Id"), attributes.get("Target")
        if rid and target and self.part.endswith("workbook.xml.rels"):
            resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(self.base, target)
            self.names.targets[rid] = posixpath.normpath(resolved)

    def _title(self) -> str:
        title = self.names.of(self.part)
        return f" '{title}'" if title else f" in the part '{self.part}'"


def _scan_xml(part: str, stream, budget: Budget, names: _SheetNames) -> None:
    counter = _Counter(part, budget, names)
    parser = xml.parsers.expat.ParserCreate()  # no namespace processing: names are matched without prefix
    parser.StartDoctypeDeclHandler = counter.doctype
    parser.EntityDeclHandler = counter.entity
    parser.StartElementHandler = counter.start
    parser.EndElementHandler = counter.end
    try:
        while chunk := stream.read(_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError:
        # Not XML (an image, macros) or damaged XML, which openpyxl refuses if it reads the part. Read
        # on to the end all the same: only then does zipfile check the part's CRC (a damaged file).
        while stream.read(_CHUNK):
            pass
    finally:
        budget.xml_elements += counter.elements


def _whole_number(text: str, part: str) -> int:
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not number.is_integer():
        raise Refused(f"the part '{part}' has a row numbered '{text}'; expected a whole row number")
    return int(number)


def _mb(size: int) -> str:
    return f"{size / MB:,.1f} MB" if size >= MB / 10 else f"{size:,} bytes"
