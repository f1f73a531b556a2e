"""What the tests read from outside the repository: the source documents' texts and the W3C
conformance suites. A clone holds neither, so both are optional.

Each is found through an environment variable, else beside the checkout (``../shared/``,
where the project's workplace and CI keep them), else it is absent:

- source texts (the ``<stem>.txt`` of each document transcribed under ``data/sources/``):
  ``SANTEGRAPH_SOURCES_DIR``, default ``../shared/sources``;
- W3C suites (``rdf-tests/sparql/sparql11/``, ``data-shapes/tests/core/``):
  ``SANTEGRAPH_W3C_TESTS``, default ``../shared/w3c-tests``.

A variable naming a folder that does not exist stops the run (a typo must not turn checks
into skips); a variable set empty turns the input off.

Without an input, what needs it is not checked, and the end of the run says how much
(``pytest_terminal_summary`` in conftest): a test about the input alone (a W3C case, "every
verbatim passage is in the text") is skipped with the reason; a test that quotes a source
and checks the graph ("the document says X, the graph states X") still runs every graph
assertion, and its quotations are counted as checks not made.
"""

from __future__ import annotations

import functools
import os
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOT_MADE = "external checks not made"  # user_properties key of a test's report


@dataclass(frozen=True)
class ExternalInput:
    name: str  # "source texts"
    variable: str  # its environment variable
    what: str  # what the folder holds, for the message saying how to provide it
    path: Path | None  # None: absent
    why_absent: str = ""
    problem: str = ""  # the variable names a folder that does not exist

    @classmethod
    def locate(
        cls,
        name: str,
        variable: str,
        default: Path,
        what: str,
        environ: Mapping[str, str] = os.environ,
    ) -> ExternalInput:
        value = environ.get(variable)
        if value:
            path = Path(value).expanduser().resolve()
            if path.is_dir():
                return cls(name, variable, what, path)
            problem = f"{variable}={value}: no such folder (it should hold {what})"
            return cls(name, variable, what, None, problem=problem)
        if value is not None:
            return cls(name, variable, what, None, f"{variable} is set empty")
        if default.is_dir():
            return cls(name, variable, what, default.resolve())
        why = f"{variable} is not set and {default.resolve()} does not exist"
        return cls(name, variable, what, None, why)

    @property
    def reason(self) -> str:
        """Why a test needing this input is skipped (its report's reason)."""
        return f"{self.name} absent ({self.why_absent})"

    @property
    def advice(self) -> str:
        return f"set {self.variable} to the folder holding {self.what} to check them"

    def folder(self) -> Path:
        """The folder; without it the test is skipped (for tests about the input alone)."""
        if self.path is None:
            pytest.skip(self.reason)
        return self.path

    def folder_or_not_made(self) -> Path | None:
        """The folder, or None after counting one check not made (for a test that goes on
        with its graph assertions)."""
        if self.path is None:
            _not_made[self.name] += 1
        return self.path

    def skipped_case(self) -> object:
        """The one parameter a suite collects in place of its cases when it is absent."""
        return pytest.param(None, marks=pytest.mark.skip(reason=self.reason), id="absent")


_not_made: Counter[str] = Counter()  # per test: conftest moves it to the report, clears it


def take_not_made() -> dict[str, int]:
    """The checks not made since the last call (conftest calls it once per test)."""
    counts = dict(_not_made)
    _not_made.clear()
    return counts


SOURCE_TEXTS = ExternalInput.locate(
    "source texts",
    "SANTEGRAPH_SOURCES_DIR",
    ROOT.parent / "shared" / "sources",
    "the documents' <stem>.txt files",
)
W3C_SUITES = ExternalInput.locate(
    "W3C suites",
    "SANTEGRAPH_W3C_TESTS",
    ROOT.parent / "shared" / "w3c-tests",
    "rdf-tests/sparql/sparql11/ and data-shapes/tests/core/",
)
INPUTS = (SOURCE_TEXTS, W3C_SUITES)


@functools.cache
def _read(folder: Path, stem: str | None) -> str:
    if stem is not None:
        return (folder / f"{stem}.txt").read_text(encoding="utf-8")
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt")))


class SourceText:
    """The text of a source document (every document's when ``stem`` is None), for the
    checks that quote it; ``normalise`` is applied to the text and to each passage."""

    def __init__(self, stem: str | None = None, normalise: Callable[[str], str] = str):
        self.stem = stem
        self.normalise = normalise

    @property
    def text(self) -> str:
        """The whole normalised text; without the source texts the test is skipped."""
        return self.normalise(_read(SOURCE_TEXTS.folder(), self.stem))

    def _check(self, test: Callable[[str], bool]) -> bool:
        folder = SOURCE_TEXTS.folder_or_not_made()
        if folder is None:
            return True  # counted as not made; the test goes on with the graph
        return test(self.normalise(_read(folder, self.stem)))

    def says(self, passage: str) -> bool:
        """The text holds the passage (true, counted as not checked, without the texts)."""
        return self._check(lambda text: self.normalise(passage) in text)

    def lacks(self, passage: str) -> bool:
        """The text does not hold the passage (idem)."""
        return self._check(lambda text: self.normalise(passage) not in text)

    def matches(self, pattern: str) -> bool:
        """The regular expression matches somewhere in the text (idem)."""
        return self._check(lambda text: re.search(pattern, text) is not None)


def check_configuration() -> None:
    """Stop the run when a variable names a missing folder (called by pytest_configure)."""
    problems = [i.problem for i in INPUTS if i.problem]
    if problems:
        raise pytest.UsageError("; ".join(problems))


def summary_lines(reports: list) -> list[str]:
    """What the end of the run says about the external inputs, from every test report."""
    not_made: Counter[str] = Counter()
    tests_not_made: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for report in reports:
        for key, counts in getattr(report, "user_properties", ()):
            if key == NOT_MADE:
                for name, count in dict(counts).items():
                    not_made[name] += count
                    tests_not_made[name] += 1
        if report.skipped and isinstance(report.longrepr, tuple):
            for external in INPUTS:
                if external.path is None and external.reason in str(report.longrepr[2]):
                    skipped[external.name] += 1
    lines = []
    for external in INPUTS:
        if external.path is not None:
            lines.append(f"{external.name}: {external.path}")
            continue
        parts = [_count(skipped[external.name], "test") + " skipped"]
        if tests_not_made[external.name]:
            parts.append(
                f"{_count(not_made[external.name], 'check')} against them not made in "
                f"{_count(tests_not_made[external.name], 'test')} whose graph assertions ran"
            )
        lines.append(f"{external.reason}: {', '.join(parts)}; {external.advice}")
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
