"""Source files: read once, as a stream, with their checksum and bounded records.

A source file is read from a binary stream (a file on disk or an upload), never loaded
whole: the readers pull one record at a time. The SHA-256 of the bytes read is the
file's checksum in the import's provenance. Every record is bounded
(:data:`MAX_RECORD_BYTES`), and the JSON of one record may not nest deeper than the
``max_nesting_depth`` setting (the same guard as every other untrusted text).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from ..bounds import check_document_depth
from ..errors import InputError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAX_RECORD_BYTES = 1 << 20  # one record (a JSON object, a CSV row) of at most 1 MiB
CHUNK = 1 << 16


@dataclass
class SourceFile:
    """A named file to import: a path, or bytes already received (web upload)."""

    name: str
    path: Path | None = None
    data: bytes | None = None
    sha256: str = ""  # filled once read to the end
    size: int = 0
    _hash: object = field(default=None, repr=False)

    @classmethod
    def from_path(cls, path: Path) -> SourceFile:
        if not path.is_file():
            raise InputError("fichier introuvable", source=str(path))
        return cls(path.name, path=path)

    def open(self) -> io.RawIOBase:
        """A binary stream that hashes what is read through it."""
        raw: BinaryIO
        if self.data is not None:
            raw = io.BytesIO(self.data)
        else:
            try:
                raw = self.path.open("rb")  # type: ignore[union-attr]
            except OSError as exc:
                raise InputError(exc.strerror or "fichier illisible", source=self.name) from exc
        return _Hashing(raw, self)

    def checksum(self) -> str:
        """The SHA-256 of the whole file (read to the end once if a reader stopped early)."""
        if not self.sha256:
            with self.open() as stream:
                while stream.read(CHUNK):
                    pass
        return self.sha256

    def head(self, size: int = 4096) -> bytes:
        if self.data is not None:
            return self.data[:size]
        with self.path.open("rb") as f:  # type: ignore[union-attr]
            return f.read(size)


class _Hashing(io.RawIOBase):
    def __init__(self, raw: BinaryIO, source: SourceFile):
        self.raw, self.source = raw, source
        self.digest = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer)
        data = self.raw.read(len(view))
        self.digest.update(data)
        self.count += len(data)
        view[: len(data)] = data
        if not data:  # end of file: the checksum is known
            self.source.sha256 = self.digest.hexdigest()
            self.source.size = self.count
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


def text_stream(source: SourceFile, encodings: tuple[str, ...] = ("utf-8-sig",)) -> io.TextIOBase:
    """The file as text: UTF-8 (with or without BOM), else the fallback encodings given."""
    head = source.head(CHUNK)
    for encoding in encodings:
        try:
            head.decode(encoding)
        except UnicodeDecodeError as exc:
            # a multi-byte character cut at the end of the sample is not an error
            if exc.start < len(head) - 4:
                continue
        return io.TextIOWrapper(
            io.BufferedReader(source.open(), CHUNK), encoding=encoding, newline=""
        )
    raise InputError(
        "le fichier n'est pas en UTF-8 : enregistrez-le au format « CSV UTF-8 » ou JSON UTF-8",
        source=source.name,
    )


def _undecodable(source: SourceFile) -> Callable[[UnicodeDecodeError], InputError]:
    def error(exc: UnicodeDecodeError) -> InputError:
        return InputError(
            f"caractère invalide pour l'encodage {exc.encoding} (octet {exc.start})",
            source=source.name,
        )

    return error


# ---------------------------------------------------------------- JSON (list or lines)
def json_records(source: SourceFile, max_depth: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, record) for a JSON list of objects or JSON Lines, whichever the file is."""
    start = source.head(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start:
        raise InputError("le fichier est vide", source=source.name)
    stream = text_stream(source)
    try:
        if start.startswith(b"["):
            yield from _json_list(stream, source, max_depth)
        else:
            yield from _json_lines(stream, source, max_depth)
    except UnicodeDecodeError as exc:
        raise _undecodable(source)(exc) from exc
    finally:
        stream.close()


def _parse_object(text: str, source: SourceFile, where: str, max_depth: int) -> dict[str, Any]:
    if len(text) > MAX_RECORD_BYTES:
        raise InputError(f"{where} : enregistrement de plus de 1 Mio", source=source.name)
    check_document_depth(text, "json", max_depth, source=f"{source.name}, {where}")
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{where} : JSON invalide ({exc})", source=source.name) from exc
    if not isinstance(value, dict):
        raise InputError(f"{where} : un objet JSON est attendu", source=source.name)
    return value


def _json_lines(
    stream: io.TextIOBase, source: SourceFile, max_depth: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            where = f"ligne {number}"
            yield where, _parse_object(line, source, where, max_depth)


def _json_list(
    stream: io.TextIOBase, source: SourceFile, max_depth: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The elements of a top-level JSON array, one at a time (bounded buffer)."""
    decoder = json.JSONDecoder()
    buffer, position, index, eof = "", 0, 0, False

    def more() -> bool:
        nonlocal buffer, position, eof
        chunk = stream.read(CHUNK)
        if not chunk:
            eof = True
            return False
        buffer = buffer[position:] + chunk
        position = 0
        return True

    def skip_blanks() -> None:
        nonlocal position
        while True:
            while position < len(buffer) and buffer[position] in " \t\r\n":
                position += 1
            if position < len(buffer) or not more():
                return

    more()
    skip_blanks()
    if buffer[position : position + 1] != "[":
        raise InputError("un tableau JSON est attendu", source=source.name)
    position += 1
    while True:
        skip_blanks()
        if position >= len(buffer):
            raise InputError("tableau JSON non terminé (] manquant)", source=source.name)
        if buffer[position] == "]":
            return
        if index and buffer[position] == ",":
            position += 1
            skip_blanks()
        elif index:
            raise InputError(
                f"enregistrement {index + 1} : « , » ou « ] » attendu", source=source.name
            )
        index += 1
        where = f"enregistrement {index}"
        while True:
            if buffer[position : position + 1] != "{":
                raise InputError(f"{where} : un objet JSON est attendu", source=source.name)
            try:
                _, end = decoder.raw_decode(buffer, position)
            except json.JSONDecodeError:
                if len(buffer) - position > MAX_RECORD_BYTES:
                    raise InputError(
                        f"{where} : enregistrement de plus de 1 Mio", source=source.name
                    ) from None
                if more():
                    continue
                raise InputError(
                    f"{where} : JSON invalide ou tronqué", source=source.name
                ) from None
            except RecursionError:
                raise InputError(f"{where} : JSON trop imbriqué", source=source.name) from None
            text = buffer[position:end]
            position = end
            break
        yield where, _parse_object(text, source, where, max_depth)


# ---------------------------------------------------------------- CSV
def text_lines(source: SourceFile, fallback: str = "") -> Iterator[str]:
    """The file's lines as text, each at most 1 Mio: UTF-8 (BOM dropped), else ``fallback``
    for a line that is not UTF-8 (FINESS extractions were long published in Windows-1252,
    and mixed files exist)."""
    stream = io.BufferedReader(source.open(), CHUNK)
    try:
        number = 0
        while True:
            raw = stream.readline(MAX_RECORD_BYTES + 1)
            if not raw:
                return
            number += 1
            if len(raw) > MAX_RECORD_BYTES:
                raise InputError(f"ligne {number} : plus de 1 Mio", source=source.name)
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                if not fallback:
                    raise InputError(
                        f"ligne {number} : le fichier n'est pas en UTF-8 (octet {exc.start}) : "
                        "enregistrez-le au format « CSV UTF-8 »",
                        source=source.name,
                    ) from exc
                yield raw.decode(fallback, errors="replace")
    finally:
        stream.close()


def csv_rows(
    source: SourceFile, *, fallback: str = "", delimiters: str = ";,"
) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of a CSV file; the delimiter is the one the first line uses most."""
    lines = text_lines(source, fallback)
    first = next(lines, "")
    if not first.strip():
        raise InputError("le fichier est vide", source=source.name)
    delimiter = max(delimiters, key=first.count)
    csv.field_size_limit(MAX_RECORD_BYTES)
    yield 1, next(csv.reader([first], delimiter=delimiter))
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                yield reader.line_num + 1, cells
    except csv.Error as exc:
        raise InputError(
            f"ligne {reader.line_num + 1} : CSV illisible ({exc})", source=source.name
        ) from exc
