"""What the server and a worker process say to each other over their socket pair.

The pair carries ``multiprocessing.connection`` framing. The server sends pickled
tuples with ``Connection.send``:

* ``("query", id, snapshot db, query, media type, default graphs, named graphs,
  from query, limit)``: run this query on that snapshot, on the dataset of
  ``query_dataset.py`` (None: the union default graph, every named graph; from query:
  the query's own FROM / FROM NAMED);
* ``("release",)``: close the snapshots no query of yours reads (a write happened);
* ``None``: stop.

The worker answers with ``send_bytes`` messages tagged by their first byte: READY once
booted; CLOSED followed by the path of a snapshot it closed; and for a query, DATA
(a chunk of ~``CHUNK`` bytes of the answer), then END (rows or triples written,
truncated flag, the last bytes) or ERROR (a message). A query's messages carry its id
after the tag (``HEAD``), so that several queries share one pipe.
"""

from __future__ import annotations

import struct

READY, CLOSED, DATA, END, ERROR = b"r", b"c", b"d", b"e", b"x"
QUERY_ID = struct.Struct("<I")
HEAD = struct.Struct("<cI")  # tag, query id
END_FIELDS = struct.Struct("<q?")  # END: rows or triples written (-1: not counted), truncated
