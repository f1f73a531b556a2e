"""An answer collected whole before its first byte is sent.

The status of a public query's answer (200, or 503 at the deadline) must be known before
the client gets any byte, so the answer is collected chunk by chunk into a
:class:`Spool` (in memory up to ``SPOOL_MEMORY``, then a temporary file) and handed to
the web layer as a :class:`SpooledAnswer` once complete.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO

CHUNK = 65536  # bytes read or sent at a time (a worker's DATA messages, file reads)
SPOOL_MEMORY = 4 * 1024 * 1024  # bytes of an answer kept in memory before spilling to disk


class Spool:
    """An answer's bytes: in memory up to SPOOL_MEMORY, the rest in a temporary file."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.file: IO[bytes] | None = None
        self.size = 0

    def write(self, data: bytes | memoryview) -> int:
        size = len(data)
        if self.file is None and self.size + size > SPOOL_MEMORY:
            self.file = tempfile.TemporaryFile(prefix="santegraph-answer-")
        if self.file is None:
            self.chunks.append(bytes(data))
        else:
            self.file.write(data)
        self.size += size
        return size

    def flush(self) -> None:
        pass

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.file is not None:
            self.file.seek(0)
            while chunk := self.file.read(CHUNK):
                yield chunk

    def close(self) -> None:
        self.chunks = []
        if self.file is not None:
            self.file.close()


class SpooledAnswer:
    """A finished answer: headers known, body in a spool, streamed by iterating.

    An iterable with ``close()`` (WSGI closes it even when it was never iterated, e.g. for
    HEAD), which releases the spool.
    """

    def __init__(self, media_type: str, spool: Spool, *, count: int | None = None):
        self.media_type, self.spool, self.count = media_type, spool, count
        self.size = spool.size

    def __iter__(self) -> Iterator[bytes]:
        yield from self.spool
        self.close()

    def read(self) -> bytes:
        return b"".join(self)

    def close(self) -> None:
        self.spool.close()

    def __del__(self) -> None:  # a response never iterated nor closed (e.g. a test client)
        self.spool.close()
