"""Pages for professionals ("qui fait quoi"): the entry page."""

from __future__ import annotations

from flask import Blueprint, render_template

from . import state

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return render_template("index.html", triples=state().store.count_triples())
