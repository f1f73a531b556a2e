"""Signing in: a steward's name and token give a session, which signing out ends.

People sign in with their steward name and token (``/steward/connexion``) and get a signed
session cookie (``secret_key`` setting; HttpOnly, SameSite=Lax, 8 hours). The cookie
carries a random session id that the server keeps while the session is open
(``steward/access.py``): signing out closes it on the server, so a copy of the old cookie
no longer signs anyone in. Every POST of the blueprint carries the session's CSRF token (a
hidden ``csrf_token`` field), checked in constant time by the blueprint's guard. The
session also remembers a fingerprint of the steward's credential, so that an operator who
revokes a token signs its sessions out at once. Failed sign-ins are counted per client
address and logged; beyond ``signin_failure_limit`` the address waits (429).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from typing import ParamSpec

from flask import make_response, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from ...steward.credentials import Steward, new_csrf_token, steward_named, verify_token
from .. import state
from . import bp, refuse

_P = ParamSpec("_P")


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
    if (
        expected is None
        or not hmac.compare_digest(expected, session.get("cred", ""))
        or state().sessions.steward(session.get("sid")) != name
    ):
        session.clear()  # signed out, expired, server restarted, or credential revoked
        return None
    return steward_named(state().settings, name)


def signed_in_steward() -> Steward:
    """The steward of a view behind :func:`login_required`, where one is signed in."""
    steward = current_steward()
    assert steward is not None  # login_required let the request through
    return steward


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = new_csrf_token()
    token: str = session["csrf"]
    return token


@bp.app_context_processor
def _template_globals() -> dict[str, Callable[[], object]]:
    return {"csrf_token": _csrf_token, "current_steward": current_steward}


def login_required(
    view: Callable[_P, ResponseReturnValue],
) -> Callable[_P, ResponseReturnValue]:
    @functools.wraps(view)
    def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> ResponseReturnValue:
        if current_steward() is None:
            if request.method == "GET":
                return redirect(url_for("steward.login", suivant=request.full_path))
            return refuse(401, "Connectez-vous d'abord (votre session a pu expirer).")
        return view(*args, **kwargs)

    return wrapped


@bp.get("/connexion")
def login() -> ResponseReturnValue:
    return render_template("steward/connexion.html", suivant=request.args.get("suivant", ""))


@bp.post("/connexion")
def login_submit() -> ResponseReturnValue:
    name = request.form.get("nom", "").strip()
    signins, client = state().signins, request.remote_addr or "?"

    def again(error: str, status: int) -> tuple[str, int]:
        page = render_template(
            "steward/connexion.html", error=error, nom=name, suivant=request.form.get("suivant", "")
        )
        return page, status

    wait = signins.retry_after(client)
    if wait:
        response = make_response(
            again(
                f"Trop d'essais de connexion infructueux depuis votre adresse : réessayez dans "
                f"{-(-wait // 60)} minute(s).",
                429,
            )
        )
        response.headers["Retry-After"] = str(wait)
        return response
    steward = verify_token(state().settings, request.form.get("jeton", ""), name)
    if steward is None:
        signins.failed(client, channel="web", name=name)
        return again("Nom ou jeton incorrect.", 401)
    signins.succeeded(client)
    state().sessions.close(session.get("sid"))
    session.clear()  # a fresh session (and CSRF token) at each sign-in: no fixation
    session.permanent = True
    session["steward"] = steward.name
    session["cred"] = _fingerprint(steward.name)
    session["sid"] = state().sessions.open(steward.name)
    target = request.form.get("suivant", "")
    # only a path of this blueprint: never an open redirect
    if not target.startswith("/steward/") or target.startswith("//"):
        target = url_for("steward.home")
    return redirect(target)


@bp.post("/deconnexion")
def logout() -> ResponseReturnValue:
    state().sessions.close(session.get("sid"))  # the cookie's copies end with it
    session.clear()
    return redirect(url_for("steward.login"))
