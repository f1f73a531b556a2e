"""`/healthz`: is the store reachable, which backend, how many triples."""

from __future__ import annotations

from flask import Blueprint, jsonify

from .. import __version__
from ..errors import SantegraphError
from . import state

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    app_state = state()
    body = {
        "version": __version__,
        "backend": app_state.store.backend,
        "writes_enabled": app_state.settings.writes_enabled,
    }
    try:
        body["triples"] = app_state.store.count_triples()
    except SantegraphError as exc:
        return jsonify(status="unavailable", error=str(exc), **body), 503
    return jsonify(status="ok", **body)
