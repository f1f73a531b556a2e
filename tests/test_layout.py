"""Rules of the code's layout that a reviewer would otherwise have to remember."""

from __future__ import annotations

import json
import subprocess
import sys


def test_a_query_worker_boots_without_the_server_side_libraries():
    """A worker process imports the sandbox package (santegraph/sandbox/worker.py): what
    only the server needs stays out of it, so that a new worker answers in a fraction of
    a second."""
    code = "import sys, json, santegraph.sandbox.worker; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    heavy = {"requests", "flask", "rdflib", "pyshacl", "santegraph.store", "santegraph.web"}
    assert not heavy & loaded
