"""The competency questions of issue 17: questions the five source documents answer, each a
plain SPARQL query with its expected answer, run on the embedded store and on a real
`oxigraph serve` holding the same dataset (graph/inferences included).

Each ``tests/competency/*.rq`` file starts with a header:

    # Question: the question, in French, as a user would ask it
    # Sources: 000 002          (the documents whose text gives the answer)
    # Causes: 1 4               (the causes of issue 17 the question exercises)
    # Answer:
    #   solution/hainaut/6 | 3  (one row per line, values in the order of the SELECT's
    #   solution/hainaut/7 | 1   variables, " | " between them; `true`/`false` for an ASK)

Values are written as in tests/test_queries.py: IRIs relative to the deployment base
(`acteur/cts-somme`), `sg:` terms as `sg:Name`, literals by their lexical form, `-` for an
unbound value. The answer is compared as a multiset: no row more, no row less.

The query text is what an integrator would send to /sparql: its own PREFIX lines, no
pre-declared prefix; the base is declared by the test (`BASE <https://w3id.org/santegraph/id/>`)
so that the data's IRIs can be written relative. No question may read free text to get its
answer: REGEX, CONTAINS and the other string-search functions are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from santegraph.store import RemoteStore

from .conftest import BASE

QUESTIONS = Path(__file__).resolve().parents[1] / "competency"
SG = "https://w3id.org/santegraph/def#"
SOURCES = {"000", "001", "002", "003", "004"}
CAUSES = set(range(1, 9))
TEXT_SEARCH = re.compile(
    r"\b(REGEX|CONTAINS|STRSTARTS|STRENDS|STRBEFORE|STRAFTER|SUBSTR|REPLACE)\s*\(", re.I
)


@dataclass(frozen=True)
class Question:
    name: str
    question: str
    sources: frozenset[str]
    causes: frozenset[int]
    answer: tuple[tuple[str, ...], ...]
    query: str


def parse(path: Path) -> Question:
    header: dict[str, str] = {}
    rows: list[tuple[str, ...]] = []
    in_answer = False
    body: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            body.append(line)
            continue
        text = line[1:].strip()
        if in_answer and line.startswith("#   "):
            rows.append(tuple(v.strip() for v in text.split(" | ")))
            continue
        key, _, value = text.partition(":")
        in_answer = key == "Answer"
        header[key] = value.strip()
    for key in ("Question", "Sources", "Causes", "Answer"):
        assert key in header, f"{path.name}: no '# {key}:' line"
    return Question(
        name=path.stem,
        question=header["Question"],
        sources=frozenset(header["Sources"].split()),
        causes=frozenset(int(c) for c in header["Causes"].split()),
        answer=tuple(rows),
        query="\n".join(body),
    )


ALL = [parse(path) for path in sorted(QUESTIONS.glob("*.rq"))]


def written(term) -> str:
    """A result value as the answers write it."""
    if term is None:
        return "-"
    value = term.value
    if type(term).__name__ == "NamedNode":
        if value.startswith(BASE):
            return value.removeprefix(BASE)
        if value.startswith(SG):
            return "sg:" + value.removeprefix(SG)
    return value


def answer(store, question: Question) -> list[tuple[str, ...]]:
    query = f"BASE <{BASE}>\n" + question.query
    if re.search(r"^\s*ASK\b", question.query, re.M | re.I):
        return [("true" if store.ask(query) else "false",)]
    variables, rows = store.select_with_vars(query)
    return sorted(tuple(written(row.get(v)) for v in variables) for row in rows)


@pytest.fixture(scope="module")
def served_content(loaded_content, oxigraph_server):
    """The embedded content, graph/inferences included, copied into a real oxigraph serve."""
    store, _ = loaded_content
    body = b"".join(store.export("nquads"))
    requests.post(
        oxigraph_server["update"], data={"update": "DROP SILENT ALL"}, timeout=60
    ).raise_for_status()
    requests.post(
        oxigraph_server["store"],
        data=body,
        headers={"Content-Type": "application/n-quads"},
        timeout=300,
    ).raise_for_status()
    remote = RemoteStore(
        oxigraph_server["query"], oxigraph_server["update"], oxigraph_server["store"], timeout=60
    )
    yield remote
    remote.close()


@pytest.fixture(params=["embedded", "oxigraph-serve"])
def backend(request, loaded_content):
    if request.param == "embedded":
        return loaded_content[0]
    return request.getfixturevalue("served_content")


@pytest.mark.parametrize("question", ALL, ids=[q.name for q in ALL])
def test_the_sources_answer_the_question(backend, question):
    assert answer(backend, question) == sorted(question.answer), question.question


def test_the_suite_spans_every_document_and_every_cause():
    assert len(ALL) >= 60
    assert {s for q in ALL for s in q.sources} == SOURCES
    assert {c for q in ALL for c in q.causes} == CAUSES
    for source in SOURCES:
        assert sum(source in q.sources for q in ALL) >= 6, source
    for cause in CAUSES:
        assert sum(cause in q.causes for q in ALL) >= 4, cause


def test_no_question_reads_free_text():
    assert [q.name for q in ALL if TEXT_SEARCH.search(q.query)] == []
    # and each answer is fixed, never empty
    assert [q.name for q in ALL if not q.answer] == []
