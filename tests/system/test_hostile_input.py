"""Hostile workbooks: bombs, hostile XML, macros and formula text never get through.

Each attack is built here from a valid workbook (``base_sheets``) so the test shows
what the file holds. The checks of ``optimizer.intake.archive`` run before openpyxl opens
the file, so the size and XML attacks also assert that openpyxl never saw it.
Every refusal is exit 2 with a message naming the file, and nothing written.
"""

from __future__ import annotations

import os
import struct
import threading
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from optimizer.intake import archive, reader
from optimizer.cli import main
from optimizer.intake.reader import read_input
from workbooks import base_sheets, write_workbook

BILLION_LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "' + (f"&lol{i - 1};" if i > 1 else "&lol;") * 10 + '">' for i in range(1, 10)) + "]>")
SUPPLIERS_PART = "xl/worksheets/sheet3.xml"  # base_sheets: Settings, Minerals, Suppliers, Offers, Funding


# ------------------------------------------------------------------ helpers
def invoke(*args) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}


def write_zip(path: Path, parts: dict[str, bytes | "Filler"], wrong_crc: tuple[str, ...] = ()) -> Path:
    """A zip of ``parts``, deflated; a ``Filler`` part is streamed, so it may unpack to gigabytes.

    The parts named in ``wrong_crc`` get a checksum that does not match their content (a damaged file).
    """
    entries, offset = [], 0
    with open(path, "wb") as out:
        for name, content in parts.items():
            crc, size, data = content.deflate() if isinstance(content, Filler) else _deflate(content)
            crc ^= 1 if name in wrong_crc else 0
            encoded = name.encode()
            header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size,
                                 len(encoded), 0)
            out.write(header + encoded + data)
            entries.append((encoded, crc, len(data), size, offset))
            offset += len(header) + len(encoded) + len(data)
        directory = b"".join(
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, packed, size, len(encoded),
                        0, 0, 0, 0, 0, at) + encoded
            for encoded, crc, packed, size, at in entries)
        out.write(directory)
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), offset, 0))
    return path


def _deflate(content: bytes) -> tuple[int, int, bytes]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return zlib.crc32(content), len(content), compressor.compress(content) + compressor.flush()


class Filler:
    """``head``, then ``megabytes`` MiB of one byte, then ``tail``: deflated a MiB at a time in ~1 ms each."""

    def __init__(self, head: bytes, megabytes: int, tail: bytes, byte: bytes = b" "):
        self.head, self.megabytes, self.tail, self.chunk = head, megabytes, tail, byte * (1 << 20)

    def deflate(self) -> tuple[int, int, bytes]:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        data = compressor.compress(self.head) + compressor.flush(zlib.Z_FULL_FLUSH)
        # After a full flush the compressor starts afresh, so every MiB compresses to the same bytes.
        block = compressor.compress(self.chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
        data += block * self.megabytes + compressor.compress(self.tail) + compressor.flush()
        crc = zlib.crc32(self.head)
        for _ in range(self.megabytes):
            crc = zlib.crc32(self.chunk, crc)
        crc = zlib.crc32(self.tail, crc)
        return crc, len(self.head) + self.megabytes * len(self.chunk) + len(self.tail), data


def with_part(tmp_path: Path, name: str, change, file: str = "hostile.xlsx") -> Path:
    """A copy of the base workbook with one part changed by ``change(xml text) -> text or Filler``."""
    parts = parts_of(write_workbook(tmp_path / "base.xlsx", base_sheets()))
    changed = change(parts[name].decode())
    parts[name] = changed if isinstance(changed, Filler) else changed.encode()
    return write_zip(tmp_path / file, parts)


@pytest.fixture
def openpyxl_never_opens(monkeypatch):
    """Fail the test if the reader hands the file to openpyxl."""
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl opened a workbook that should have been refused before")
    monkeypatch.setattr(reader.openpyxl, "load_workbook", refuse)


def refused(result, path: Path, *phrases: str) -> str:
    """Exit 2, a message naming the file with each phrase, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert f"error: {path.name}" in result.stderr, result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr
    assert "Traceback" not in result.output
    return result.stderr


def test_the_helpers_write_a_valid_workbook(tmp_path):
    """write_zip and with_part keep a workbook valid when nothing hostile is added."""
    path = with_part(tmp_path, SUPPLIERS_PART, lambda xml: xml)
    assert invoke("validate", path).exit_code == 0


# ------------------------------------------------------------ entity bombs
def test_openpyxl_parses_with_defusedxml():
    """defusedxml is a dependency, and openpyxl uses it: entity declarations are refused by the parser."""
    import defusedxml
    from openpyxl.xml.functions import fromstring

    assert openpyxl.DEFUSEDXML is True
    with pytest.raises(defusedxml.DefusedXmlException):
        fromstring(BILLION_LAUGHS + "<a>&lol9;</a>")


def test_billion_laughs_is_refused_fast_with_a_clear_message(tmp_path, openpyxl_never_opens):
    """Ten entities, each ten of the one before: 10^9 'lol's (3 GB) from a 1 kB sheet."""
    path = with_part(tmp_path, SUPPLIERS_PART,
                     lambda xml: BILLION_LAUGHS + xml.replace("<t>Canada</t>", "<t>&lol9;</t>"))
    started = time.perf_counter()
    result = invoke("run", path, "--output", tmp_path / "plan.xlsx")
    assert time.perf_counter() - started < 2
    refused(result, path, f"the part '{SUPPLIERS_PART}' declares a document type (DTD)", "billion laughs")
    assert not (tmp_path / "plan.xlsx").exists()


def test_external_entity_is_refused(tmp_path, openpyxl_never_opens):
    """An entity that would read a local file into a cell (XXE)."""
    path = with_part(tmp_path, SUPPLIERS_PART, lambda xml: '<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
                     + xml.replace("<t>Canada</t>", "<t>&secret;</t>"))
    refused(invoke("validate", path), path, "document type (DTD)")


def test_entity_bomb_past_the_first_check_is_refused_by_defusedxml(tmp_path, monkeypatch):
    """The second line: with archive's XML scan switched off, openpyxl's defusedxml parser refuses it."""
    monkeypatch.setattr(archive, "_scan_parts", lambda *args: None)
    path = with_part(tmp_path, SUPPLIERS_PART,
                     lambda xml: BILLION_LAUGHS + xml.replace("<t>Canada</t>", "<t>&lol9;</t>"))
    started = time.perf_counter()
    _, problems = read_input(path)
    assert time.perf_counter() - started < 2
    (problem,) = problems.errors
    assert problem.file == str(path)
    assert "declares entities or a document type (EntitiesForbidden)" in str(problem)


# --------------------------------------------------------------- zip bombs
def test_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, openpyxl_never_opens):
    """A 300 MiB sheet in a 0.3 MB file: refused from the zip's directory, fast and in little memory."""
    path = with_part(tmp_path, SUPPLIERS_PART, lambda xml: Filler(
        xml[: xml.index("<sheetData>") + 11].encode(), 300, xml[xml.index("<sheetData>") + 11:].encode()))
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = invoke("validate", path)
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    refused(result, path, "the workbook unpacks to 314.", f"the part '{SUPPLIERS_PART}' alone to 314.",
            "expected at most 200.0 MB for the whole input: a zip bomb?")
    assert seconds < 2
    assert peak < 20_000_000


def test_highly_compressed_large_part_is_refused_under_the_total(tmp_path, openpyxl_never_opens):
    """A 20 MiB part packed 1000:1 stays under the 200 MB total, but no honest sheet packs so well."""
    path = with_part(tmp_path, SUPPLIERS_PART, lambda xml: Filler(
        xml[: xml.index("<sheetData>") + 11].encode(), 20, xml[xml.index("<sheetData>") + 11:].encode()))
    refused(invoke("validate", path), path, f"the part '{SUPPLIERS_PART}' unpacks",
            "expected at most 200:1 for parts over 5.0 MB: a zip bomb?")


def test_too_many_parts_are_refused_before_the_directory_is_loaded(tmp_path, monkeypatch, openpyxl_never_opens):
    parts = parts_of(write_workbook(tmp_path / "base.xlsx", base_sheets()))
    parts.update({f"junk/{i}.txt": b"" for i in range(archive.MAX_PARTS)})
    path = write_zip(tmp_path / "parts.xlsx", parts)

    def no_directory(*args, **kwargs):
        raise AssertionError("the zip directory was loaded")
    monkeypatch.setattr(archive.zipfile, "ZipFile", no_directory)
    refused(invoke("validate", path), path, f"a zip of {len(parts):,} parts", "expected at most 10,000")


def test_file_above_the_size_limit_is_refused_unread(tmp_path, monkeypatch, openpyxl_never_opens):
    path = write_workbook(tmp_path / "big.xlsx", base_sheets())
    monkeypatch.setattr(archive, "MAX_FILE_BYTES", path.stat().st_size - 1)
    refused(invoke("validate", path), path, "the file is", "expected a workbook of at most")


def test_the_uncompressed_limit_holds_for_a_folder_as_a_whole(tmp_path, monkeypatch):
    sheets = base_sheets()
    folder = tmp_path / "input"
    first = write_workbook(folder / "a.xlsx", {k: v for k, v in sheets.items() if k in ("Settings", "Minerals")})
    second = write_workbook(folder / "b.xlsx", {k: v for k, v in sheets.items() if k not in ("Settings", "Minerals")})
    unpacked = [sum(i.file_size for i in zipfile.ZipFile(p).infolist()) for p in (first, second)]
    assert invoke("validate", folder).exit_code == 0
    monkeypatch.setattr(archive, "MAX_UNCOMPRESSED_BYTES", sum(unpacked) - 1)  # each file alone fits
    refused(invoke("validate", folder), second, "for the whole input")


# ------------------------------------------------------------ XML and rows
def test_row_numbered_beyond_the_row_limit_is_refused(tmp_path, openpyxl_never_opens):
    """openpyxl would fill in every row up to 5,000,000; the sheet is refused by name instead."""
    path = with_part(tmp_path, SUPPLIERS_PART, lambda xml: xml.replace(
        "</sheetData>", '<row r="5000000"><c r="A5000000" t="inlineStr"><is><t>S9</t></is></c></row></sheetData>'))
    result = invoke("validate", path)
    message = refused(result, path, "sheet 'Suppliers'", "a row numbered 5,000,000",
                      "expected at most 1,000,000 rows per sheet")
    assert "refused without opening it" in message


def test_row_limit_counts_rows_without_numbers(tmp_path, monkeypatch, openpyxl_never_opens):
    """Rows without an r attribute count on from the row before, as openpyxl numbers them."""
    monkeypatch.setattr(archive, "MAX_ROWS", 50)
    rows = "".join('<row><c t="inlineStr"><is><t>x</t></is></c></row>' for _ in range(49))
    path = with_part(tmp_path, SUPPLIERS_PART, lambda xml: xml.replace("</sheetData>", rows + "</sheetData>"))
    refused(invoke("validate", path), path, "a row numbered 51", "expected at most 50 rows per sheet")


def test_cells_padded_to_the_last_column_are_counted(tmp_path, openpyxl_never_opens):
    """700 rows with one cell in column XFD: openpyxl would build 700 x 16,384 cells."""
    rows = "".join(f'<row r="{r}"><c r="XFD{r}"><v>1</v></c></row>' for r in range(3, 703))
    path = with_part(tmp_path, SUPPLIERS_PART, lambda xml: xml.replace("</sheetData>", rows + "</sheetData>"))
    refused(invoke("validate", path), path, "sheet 'Suppliers' has more than 10,000,000 cells")


def test_deeply_nested_xml_is_refused(tmp_path, openpyxl_never_opens):
    path = with_part(tmp_path, SUPPLIERS_PART,
                     lambda xml: xml.replace("</sheetData>", "</sheetData>" + "<x>" * 500 + "</x>" * 500))
    refused(invoke("validate", path), path, "nests XML elements deeper than 100")


def test_element_limit(tmp_path, monkeypatch, openpyxl_never_opens):
    monkeypatch.setattr(archive, "MAX_XML_ELEMENTS", 100)
    path = write_workbook(tmp_path / "plan.xlsx", base_sheets())
    refused(invoke("validate", path), path, "more than 100 XML elements")


def test_damaged_part_is_named(tmp_path, openpyxl_never_opens):
    """A part whose stored bytes are not the deflate stream its header promises."""
    path = write_workbook(tmp_path / "plan.xlsx", base_sheets())
    content = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as book:
        info = book.getinfo(SUPPLIERS_PART)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    content[start: start + info.compress_size] = bytes([0xFF]) * info.compress_size
    path.write_bytes(bytes(content))
    refused(invoke("validate", path), path, f"its part '{SUPPLIERS_PART}' cannot be unpacked")


def test_damaged_part_that_no_parser_reads_is_found_by_its_checksum(tmp_path, openpyxl_never_opens):
    """An image whose bytes no longer match their CRC: not XML, never parsed, and still refused."""
    parts = parts_of(write_workbook(tmp_path / "base.xlsx", base_sheets()))
    parts["xl/media/image1.png"] = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 800  # larger than a read
    path = write_zip(tmp_path / "plan.xlsx", parts, wrong_crc=("xl/media/image1.png",))
    refused(invoke("validate", path), path, "its part 'xl/media/image1.png' cannot be unpacked (BadZipFile")


def test_a_pipe_named_xlsx_is_refused_without_waiting(tmp_path):
    """Reading a FIFO (or /dev/zero named .xlsx) would block or never end."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    path = tmp_path / "pipe.xlsx"
    os.mkfifo(path)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(result=read_input(path)), daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():  # unblock the reader before failing
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("the reader blocked on a pipe")
    _, problems = outcome["result"]
    assert "not a regular file" in str(problems.errors[0])


def test_real_workbooks_pass_the_checks(tmp_path):
    """The shipped example and a generated L-size workbook are far inside every limit."""
    from optimizer.intake.generate import SIZES, write_generated_workbook

    budget = archive.Budget()
    archive.check_workbook(Path(__file__).resolve().parents[2] / "inputs" / "example.xlsx", budget)
    archive.check_workbook(write_generated_workbook(tmp_path / "L.xlsx", SIZES["L"]), budget)
    assert budget.uncompressed_bytes < archive.MAX_UNCOMPRESSED_BYTES / 100
    assert budget.xml_elements < archive.MAX_XML_ELEMENTS / 100


# ----------------------------------------------------------------- macros
def test_xlsm_macros_are_never_run_and_are_reported(tmp_path):
    """A macro workbook: its values are planned, its macros reported and never carried into the plan."""
    parts = parts_of(write_workbook(tmp_path / "base.xlsx", base_sheets()))
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 Sub Workbook_Open(): Shell \"touch pwned\": End Sub"
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    path = write_zip(tmp_path / "macros.xlsm", parts)
    output = tmp_path / "plan.xlsx"
    result = invoke("run", path, "--output", output)
    assert result.exit_code == 0, result.output
    assert "warning: macros.xlsm: the workbook has macros; they are never run" in result.stderr
    with zipfile.ZipFile(output) as plan:
        assert not any("vba" in name.lower() for name in plan.namelist())
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


# ------------------------------------------------------- formulas as text
HOSTILE_TEXT = {
    "supplier": '=HYPERLINK("http://x","y")',
    "mineral": "@SUM(A1)",
    "country": "+cmd|' /C calc'!A0",
    "source": "-2+3",
}


def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path):
    """Names from the input that start with = + - @ land in the plan as text cells, never as formulas."""
    sheets = base_sheets()
    s, m, c, f = (HOSTILE_TEXT[k] for k in ("supplier", "mineral", "country", "source"))
    sheets["Minerals"][0]["mineral"] = m
    sheets["Suppliers"][0].update(supplier=s, country=c)
    sheets["Offers"][0].update(supplier=s, mineral=m)
    sheets["Funding"][0]["source"] = f
    sheets["Demand"] = [{"mineral": m, "period": 1, "quantity": 5}]
    source = write_workbook(tmp_path / "names.xlsx", sheets)
    _store_formula_like_cells_as_text(source)
    output = tmp_path / "plan.xlsx"
    result = invoke("run", source, "--output", output)
    assert result.exit_code == 0, result.output

    book = openpyxl.load_workbook(output)
    orders = book["Orders"]
    header = [cell.value for cell in orders[1]]
    row = {name: cell for name, cell in zip(header, orders[2])}
    for column in ("supplier", "mineral", "country"):
        assert row[column].value == HOSTILE_TEXT[column]
        assert row[column].data_type == "s", column
    funding = book["Funding"]
    assert funding["A2"].value == f and funding["A2"].data_type == "s"
    with zipfile.ZipFile(output) as plan:
        sheets_xml = [plan.read(n).decode() for n in plan.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any("<f>" in xml or "<f " in xml for xml in sheets_xml)


def _store_formula_like_cells_as_text(path: Path) -> None:
    """openpyxl takes '=...' for a formula; an analyst's workbook holds it as text (typed as '=...)."""
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    book.save(path)
    assert HOSTILE_TEXT["supplier"] in str(read_input(path)[0].sheets["suppliers"].rows[0].values)
