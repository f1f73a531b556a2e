"""What graph/inferences costs: triples added and time, measured side by side in one run.

    python -m bench.entailment_bench [--repeat 5] [--write-doc]

On the project content (ontology, shapes, data), in one process:

- **triples**: stated triples loaded, triples graph/inferences adds (and the share);
- **load**: ``Loader.load_content`` with the inferences (what santegraph does) and the same
  load with :func:`santegraph.entailment.inferences_after` replaced by "nothing to add",
  alternated ``--repeat`` times; the ratio of the medians is the cost of the inferences
  for a full (re)load, SHACL validation included;
- **reasoning alone**: the median time of computing the inferences of the content;
- **steward commit**: one deposit of a small entry committed with the inferences delta
  (what santegraph does) and without it (delta replaced by nothing), alternated.

Writes the numbers to ``bench/out/entailment.json``; with ``--write-doc`` they replace the
"Entailment" section of docs/benchmarks.md (between its markers, nothing else).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from santegraph import loading
from santegraph.config import load_settings
from santegraph.entailment import inferences_after
from santegraph.loading import Loader, content_files
from santegraph.steward import workflow as stewardship
from santegraph.steward.credentials import Steward
from santegraph.steward.workflow import Stewardship
from santegraph.store import EmbeddedStore

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
BASE = "https://w3id.org/santegraph/id/"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- entailment:begin -->", "<!-- entailment:end -->"

ENTRY = b"""@prefix sg: <https://w3id.org/santegraph/def#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
<acteur/msp-banc-d-essai-{n}> a sg:MSP ;
    skos:prefLabel "MSP banc d'essai {n}"@fr ;
    sg:localisation <territoire/commune/59183> ;
    schema:telephone "03 53 73 00 00" ;
    prov:wasAttributedTo <referent/banc-d-essai> .
"""


def settings(content: Path):
    return load_settings({"content_dir": str(content), "base_iri": BASE}, environ={})


@contextmanager
def without_inferences():
    """The same code path with the reasoner replaced by "nothing to add"."""

    def nothing(store, base_iri, **kwargs):
        return {}

    def no_delta(store, base_iri, **kwargs):
        return {}, {}

    with (
        mock.patch.object(loading, "inferences_after", nothing),
        mock.patch.object(stewardship, "inferences_delta", no_delta),
    ):
        yield


def time_load(content: Path, inferences: bool) -> tuple[float, int, int]:
    store = EmbeddedStore(":memory:")
    loader = Loader(store, settings(content), progress=False)
    start = time.perf_counter()
    if inferences:
        summary = loader.load_content()
    else:
        with without_inferences():
            summary = loader.load_content()
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed, summary.triples, summary.inferred


def time_commits(content: Path, repeat: int) -> dict[str, list[float]]:
    store = EmbeddedStore(":memory:")
    loader = Loader(store, settings(content), progress=False)
    loader.load_content()
    service = Stewardship(store, settings(content), loader)
    steward = Steward("Banc d'essai")
    times: dict[str, list[float]] = {"with": [], "without": []}
    for n in range(repeat):
        for kind in ("with", "without"):
            text = ENTRY.replace(b"{n}", f"{kind}-{n}".encode())
            payload = loader.read_bytes(text, "banc.ttl", "turtle")
            proposal = service.propose_deposit(steward, payload, channel="cli", source="banc")
            start = time.perf_counter()
            if kind == "with":
                service.commit(proposal, acknowledge_warnings=True)
            else:
                with without_inferences():
                    service.commit(proposal, acknowledge_warnings=True)
            times[kind].append(time.perf_counter() - start)
    store.close()
    return times


def time_reasoning(content: Path, repeat: int) -> list[float]:
    loader = Loader(EmbeddedStore(":memory:"), settings(content), progress=False)
    quads = [q for p in loader.read_files(content_files(content)) for q in p.quads]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        inferences_after(loader.store, BASE, everything=quads)
        times.append(time.perf_counter() - start)
    return times


def run(content: Path, repeat: int) -> dict:
    load_avg_before = os.getloadavg()
    loads: dict[str, list[float]] = {"with": [], "without": []}
    stated = inferred = 0
    for _ in range(repeat):
        elapsed, stated, inferred = time_load(content, True)
        loads["with"].append(elapsed)
        elapsed, _, _ = time_load(content, False)
        loads["without"].append(elapsed)
    reasoning = time_reasoning(content, repeat)
    commits = time_commits(content, repeat)
    median = statistics.median
    return {
        "stated_triples": stated,
        "inferred_triples": inferred,
        "inferred_share": inferred / stated,
        "load_with_s": median(loads["with"]),
        "load_without_s": median(loads["without"]),
        "load_ratio": median(loads["with"]) / median(loads["without"]),
        "reasoning_s": median(reasoning),
        "commit_with_s": median(commits["with"]),
        "commit_without_s": median(commits["without"]),
        "commit_ratio": median(commits["with"]) / median(commits["without"]),
        "repeat": repeat,
        "load_average": [round(x, 2) for x in (*load_avg_before, *os.getloadavg())],
    }


def markdown(r: dict) -> str:
    avg = r["load_average"]
    return "\n".join(
        [
            BEGIN,
            "",
            f"Project content, embedded store, medians of {r['repeat']} alternated runs "
            f"(load average {avg[0]} / {avg[1]} / {avg[2]} before, {avg[3]} / {avg[4]} / "
            f"{avg[5]} after):",
            "",
            "| what | with graph/inferences | without | ratio |",
            "| --- | --- | --- | --- |",
            f"| triples | {_n(r['stated_triples'] + r['inferred_triples'])} "
            f"({_n(r['inferred_triples'])} inferred, +{r['inferred_share']:.0%}) | "
            f"{_n(r['stated_triples'])} | |",
            f"| full load (`Loader.load_content`, SHACL included) | {r['load_with_s']:.1f} s | "
            f"{r['load_without_s']:.1f} s | {r['load_ratio']:.2f} |",
            f"| reasoning alone (`inferences_after`) | {r['reasoning_s']:.2f} s | | |",
            f"| one steward deposit committed | {r['commit_with_s'] * 1000:.0f} ms | "
            f"{r['commit_without_s'] * 1000:.0f} ms | {r['commit_ratio']:.2f} |",
            "",
            END,
        ]
    )


def _n(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


def write_doc(r: dict) -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    DOC.write_text(text[:start] + markdown(r) + text[end:], encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--content-dir", type=Path, default=ROOT)
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.content_dir, args.repeat)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "entailment.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(markdown(result))
    if args.write_doc:
        write_doc(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
