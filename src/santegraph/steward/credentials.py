"""Steward credentials: who may write, checked the same way on every write path.

The operator configures ``steward_tokens`` as ``name:sha256(token)`` pairs: the service
never holds a token in clear, only its digest. A token is a long random string made by
``santegraph steward-token NAME`` (256 bits from :mod:`secrets`), so one SHA-256 is
enough (no dictionary to attack, unlike a human password; see ADR 0007).

Tools present the token as ``Authorization: Bearer <token>`` or as HTTP Basic
(``name:token``, what SPARQLWrapper, rdflib and Jena send); people sign in on
``/steward/connexion`` and get a signed session cookie.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from ..config import Settings

MIN_TOKEN_LENGTH = 20  # shorter tokens are refused before hashing: guessable


@dataclass(frozen=True)
class Steward:
    """A signed-in steward and their role (``steward_roles``: "", ``reviewer``, ``admin``).

    Every steward deposits, and corrects or withdraws what they deposited (the owner of a
    submission is the steward of its deposit in the journal). A reviewer also corrects
    any submission; an admin also withdraws any submission or entry (docs/stewards.md).
    """

    name: str
    role: str = ""

    def iri(self, base_iri: str) -> str:
        from ..iris import slugify

        return f"{base_iri}referent/{slugify(self.name)}"  # as the CSV template mints

    def may(self, action: str, *, owner: bool) -> bool:
        """``action``: ``correct`` (replace descriptions) or ``withdraw`` (remove entries
        or the whole submission), on a submission the steward owns or not."""
        if owner or self.role == "admin":
            return True
        if action == "correct":
            return self.role == "reviewer"
        if action == "withdraw":
            return False
        raise ValueError(f"unknown action {action!r}")


def steward_named(settings: Settings, name: str) -> Steward | None:
    """The configured steward of that name, with their role (None: no such steward)."""
    if name not in settings.steward_token_hashes():
        return None
    return Steward(name, settings.steward_role_map().get(name, ""))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def credential_line(name: str, token: str) -> str:
    """The ``steward_tokens`` entry for this name and token."""
    return f"{name}:{token_digest(token)}"


def verify_token(settings: Settings, token: str, name: str | None = None) -> Steward | None:
    """The steward this token belongs to (and ``name``, when given), else None.

    Every configured digest is compared, in constant time, whatever matches first: the
    response time says nothing about which entry or how many characters matched.
    """
    if not token or len(token) < MIN_TOKEN_LENGTH:
        return None
    digest = token_digest(token)
    found = None
    for steward, expected in settings.steward_token_hashes().items():
        if hmac.compare_digest(digest, expected) and (name is None or name == steward):
            found = steward
    return steward_named(settings, found) if found is not None else None


def from_authorization(settings: Settings, header: str | None) -> Steward | None:
    """Steward from an ``Authorization`` header (Bearer token, or Basic name:token)."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return verify_token(settings, value.strip())
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        name, sep, token = decoded.partition(":")
        return verify_token(settings, token, name) if sep else None
    return None


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected, given)
