"""`/healthz`: a liveness answer: is the store reachable, which backend, are writes on.

It must stay cheap whatever the store's size (probes call it every few seconds), so it
asks the store an ``ASK {}``, which reads no data: in process it proves the store is open,
on the remote backend that the endpoint answers. Sizes (a count is a scan of the store)
are in the dataset description at ``/.well-known/void``.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for
from flask.typing import ResponseReturnValue

from .. import __version__
from ..errors import SantegraphError
from ..supervisor import restarts
from . import state

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    app_state = state()
    body = {
        "version": __version__,
        "backend": app_state.store.backend,
        "writes_enabled": app_state.settings.writes_enabled,
        "restarts": restarts(),  # by `santegraph serve --supervise`
        "dataset_description": url_for("linkeddata.void"),
    }
    try:
        app_state.store.ask("ASK {}")
    except SantegraphError as exc:
        return jsonify(status="unavailable", error=str(exc), **body), 503
    return jsonify(status="ok", **body)
