"""Shared by the benchmarks: rewrite one generated section of docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path


def replace_between_markers(path: Path, begin: str, end: str, section: str) -> None:
    """Replace what lies between the markers (the file and markers must exist)."""
    text = path.read_text(encoding="utf-8")
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise SystemExit(f"{path} lacks the markers {begin!r} ... {end!r}")
    path.write_text(
        text[: start + len(begin)] + "\n" + section + text[stop:], encoding="utf-8", newline="\n"
    )
