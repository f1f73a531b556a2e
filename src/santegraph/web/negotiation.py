"""Content negotiation on ``Accept`` (RFC 9110 section 12.5.1), for every RDF and SPARQL
answer of the web app.

Werkzeug's ``best_match`` offers a type only when the Accept entry's parameters equal the
offer's, so ``application/ld+json;profile="…#expanded"`` or ``text/turtle;charset=utf-8``
matched nothing. Here a media range matches by type and subtype (``*`` wildcards), the
most specific range gives a type its quality, and the parameters of the entry that
matched are kept for the caller (JSON-LD's ``profile``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask import request
from werkzeug.http import parse_options_header


@dataclass(frozen=True)
class Choice:
    media_type: str  # the offered type (aliases resolved to it)
    params: dict[str, str] = field(default_factory=dict)  # of the Accept entry that matched


def _ranges(header: str | None) -> list[tuple[str, dict[str, str], float]]:
    """(media range, its parameters, quality) of each entry of an Accept header."""
    out = []
    for item in (header or "").split(","):
        if not item.strip():
            continue
        essence, params = parse_options_header(item)
        quality = params.pop("q", "1")
        try:
            q = min(max(float(quality), 0.0), 1.0)
        except ValueError:
            q = 0.0  # an unreadable quality is no preference at all
        out.append((essence.lower(), params, q))
    return out


def _specificity(media_range: str, media_type: str) -> int:
    """3 exact, 2 type/*, 1 */*, 0 no match."""
    if media_range == media_type:
        return 3
    kind, _, _ = media_type.partition("/")
    if media_range == kind + "/*":
        return 2
    return 1 if media_range == "*/*" else 0


def negotiate(
    offered: Sequence[str],
    aliases: Mapping[str, str] | None = None,
    header: str | None = None,
) -> Choice | None:
    """The offered type the client prefers, or None when it accepts none of them.

    ``offered`` is in the server's order of preference (ties go to the first); ``aliases``
    maps other names of an offered type to it (``text/plain`` for N-Triples). No Accept
    header, or an empty one, accepts anything.
    """
    header = request.headers.get("Accept") if header is None else header
    ranges = _ranges(header) or [("*/*", {}, 1.0)]
    names = [(t, t) for t in offered]
    names += [(alias, target) for alias, target in (aliases or {}).items() if target in offered]
    best: tuple[float, int, int] | None = None
    choice = None
    for rank, (name, target) in enumerate(names):
        matches = [
            (_specificity(media_range, name), q, params) for media_range, params, q in ranges
        ]
        matches = [m for m in matches if m[0]]
        if not matches:
            continue
        # the most specific range that matches gives the quality (text/turtle;q=0 beats */*)
        specificity, quality, params = max(matches, key=lambda m: (m[0], m[1]))
        # equal qualities: a type named outright before one reached by a wildcard, then
        # the server's order
        key = (quality, specificity, -rank)
        if quality > 0 and (best is None or key > best):
            best, choice = key, Choice(target, dict(params))
    return choice


def accepts_anything(header: str | None = None) -> bool:
    """No Accept header, or one whose preferred range is ``*/*`` (curl, requests)."""
    header = request.headers.get("Accept") if header is None else header
    ranges = _ranges(header)
    if not ranges:
        return True
    top = max(q for _, _, q in ranges)
    return any(r == "*/*" and q == top for r, _, q in ranges)
