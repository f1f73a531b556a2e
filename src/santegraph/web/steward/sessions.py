"""Signing in: a steward's name and token give a signed session cookie.

People sign in with their steward name and token (``/steward/connexion``) and get a signed
session cookie (``secret_key`` setting; HttpOnly, SameSite=Lax, 8 hours). Every POST of
the blueprint carries the session's CSRF token (a hidden ``csrf_token`` field), checked in
constant time by the blueprint's guard. The session remembers a fingerprint of the
steward's credential, so that an operator who revokes a token signs its sessions out at
once.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from flask import redirect, render_template, request, session, url_for

from ...steward.credentials import Steward, new_csrf_token, verify_token
from .. import state
from . import bp, refuse


def _fingerprint(name: str) -> str | None:
    """A value derived from the steward's configured digest (never the digest itself)."""
    digest = state().settings.steward_token_hashes().get(name)
    if digest is None:
        return None
    return hmac.new(digest.encode(), b"santegraph-session", hashlib.sha256).hexdigest()


def current_steward() -> Steward | None:
    name = session.get("steward")
    if not name:
        return None
    expected = _fingerprint(name)
    if expected is None or not hmac.compare_digest(expected, session.get("cred", "")):
        session.clear()  # revoked or changed credential
        return None
    return Steward(name)


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = new_csrf_token()
    return session["csrf"]


@bp.app_context_processor
def _template_globals():
    return {"csrf_token": _csrf_token, "current_steward": current_steward}


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_steward() is None:
            if request.method == "GET":
                return redirect(url_for("steward.login", suivant=request.full_path))
            return refuse(401, "Connectez-vous d'abord (votre session a pu expirer).")
        return view(*args, **kwargs)

    return wrapped


@bp.get("/connexion")
def login():
    return render_template("steward/connexion.html", suivant=request.args.get("suivant", ""))


@bp.post("/connexion")
def login_submit():
    name = request.form.get("nom", "").strip()
    steward = verify_token(state().settings, request.form.get("jeton", ""), name)
    if steward is None:
        page = render_template(
            "steward/connexion.html",
            error="Nom ou jeton incorrect.",
            nom=name,
            suivant=request.form.get("suivant", ""),
        )
        return page, 401
    session.clear()  # a fresh session (and CSRF token) at each sign-in: no fixation
    session.permanent = True
    session["steward"] = steward.name
    session["cred"] = _fingerprint(steward.name)
    target = request.form.get("suivant", "")
    # only a path of this blueprint: never an open redirect
    if not target.startswith("/steward/") or target.startswith("//"):
        target = url_for("steward.home")
    return redirect(target)


@bp.post("/deconnexion")
def logout():
    session.clear()
    return redirect(url_for("steward.login"))
