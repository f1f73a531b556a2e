"""Steward validation fast path: one new entry, in context, vs a full pySHACL validation.

    python -m bench.validate_bench [--store bench/out/validate-store] [--full-scales 0.01,0.02]
        [--full-cap 480] [--write-doc]

Measures, in one run:

- **one entry** (``Loader.validate_files([entry])``: the entry plus the store's triples
  about what it references, the entry's subjects as the only focus nodes) on (a) the
  real project content and (b) a store bulk-loaded with the synthetic graph at scale 1.0
  plus the ontology, shapes and vocabularies;
- **full validation** (pySHACL over every validated triple, no focus restriction: what
  ``Loader.load_content`` does) on the real content, and on the synthetic graph at the
  small scales of ``--full-scales``; at scale 1.0 it is attempted in a subprocess capped
  at ``--full-cap`` seconds (``--full-cap 0`` skips it). When it does not finish, the
  France-scale figure is a lower bound (the cap) and a linear extrapolation from the
  small scales, labelled as such.

With ``--write-doc`` the results replace the "Steward validation" section of
docs/benchmarks.md (between its markers, nothing else).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from santegraph.config import load_settings
from santegraph.loading import Loader, content_files
from santegraph.store import EmbeddedStore

from . import synthetic

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
BASE = "https://w3id.org/santegraph/id/"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- steward-validation:begin -->", "<!-- steward-validation:end -->"
REPEAT = 5

ENTRY = """@prefix sg: <https://w3id.org/santegraph/def#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
@prefix prov: <http://www.w3.org/ns/prov#> .

<acteur/cpts-banc-d-essai> a sg:CPTS ;
    skos:prefLabel "CPTS banc d'essai"@fr ;
    sg:localisation <{commune}> ;
    sg:territoireDesservi <{commune}>, <{commune2}> ;
    sg:public <public/personnes-agees> ;
    sg:besoin <besoin/acces-aux-soins> ;
    sg:roleParcours <role/coordination> ;
    schema:telephone "03 53 73 00 00" ;
    prov:wasAttributedTo <referent/banc-d-essai> .
"""


def settings():
    return load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})


def time_entry(store: EmbeddedStore, commune: str, commune2: str) -> tuple[list[float], object]:
    loader = Loader(store, settings(), progress=False)
    _ = loader.validator  # shapes and ontology parsed once, outside the timing (as the web app)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "entry.ttl"
        path.write_text(ENTRY.format(commune=commune, commune2=commune2), encoding="utf-8")
        times, report = [], None
        for _ in range(REPEAT):
            start = time.perf_counter()
            report = loader.validate_files([path])
            times.append(time.perf_counter() - start)
    return times, report


def vocabulary_payloads(loader: Loader):
    files = [
        p for p in content_files(ROOT) if p.parts[-2] in ("ontology", "shapes", "vocabulaires")
    ]
    return loader.read_files(files)


def full_validation(loader: Loader, payloads) -> tuple[float, int, bool]:
    start = time.perf_counter()
    report = loader.check(payloads, in_context=False)
    return time.perf_counter() - start, report.checked_triples, report.conforms


def synthetic_payloads(loader: Loader, scale: float):
    from santegraph.loading import Payload

    by_graph: dict[str, Payload] = {}
    for quad in synthetic.generate(scale):
        by_graph.setdefault(quad.graph_name.value, Payload(quad.graph_name.value)).quads.append(
            quad
        )
    return list(by_graph.values()) + vocabulary_payloads(loader)


def full_at_scale(scale: float) -> dict:
    loader = Loader(EmbeddedStore(":memory:"), settings(), progress=False)
    _ = loader.validator
    payloads = synthetic_payloads(loader, scale)
    seconds, triples, conforms = full_validation(loader, payloads)
    return {"scale": scale, "seconds": seconds, "triples": triples, "conforms": conforms}


def open_synthetic_store(directory: Path) -> tuple[EmbeddedStore, float | None]:
    """The scale-1.0 store: reused if ``directory`` holds one, else bulk-loaded now."""
    loaded = None
    if not (directory / "CURRENT").exists():
        nq = OUT / "synthetic.nq"
        if not nq.exists():
            synthetic.write(nq, 1.0)
        start = time.perf_counter()
        synthetic.bulk_load(nq, directory)
        loaded = time.perf_counter() - start
    store = EmbeddedStore(str(directory))
    loader = Loader(store, settings(), progress=False)
    if not store.ask(f"ASK {{ GRAPH <{BASE}graph/shapes/santegraph-shapes> {{ ?s ?p ?o }} }}"):
        store.replace_graphs({p.graph: p.quads for p in vocabulary_payloads(loader)})
    return store, loaded


def first_communes(store: EmbeddedStore, prefix: str) -> tuple[str, str]:
    query = (
        "SELECT ?c WHERE { ?c a <https://w3id.org/santegraph/def#Commune> "
        f'FILTER(STRSTARTS(STR(?c), "{prefix}")) }} LIMIT 2'
    )  # prefix is a constant of this benchmark, not user input
    rows = store.select(query)
    return rows[0]["c"].value, rows[1]["c"].value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=OUT / "validate-store")
    parser.add_argument("--full-scales", default="0.01,0.02")
    parser.add_argument("--full-cap", type=float, default=480.0)
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--one-full-scale", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one_full_scale:  # the capped subprocess
        print(json.dumps(full_at_scale(args.one_full_scale)))
        return 0
    results: dict = {}

    # (a) real content
    store = EmbeddedStore(":memory:")
    loader = Loader(store, settings(), progress=False)
    payloads = loader.read_files(content_files(ROOT))
    seconds, triples, conforms = full_validation(loader, payloads)
    store.restore(q for p in payloads for q in p.quads)
    times, report = time_entry(
        store, BASE + "territoire/commune/59183", BASE + "territoire/commune/59155"
    )
    results["content"] = {
        "quads": store.count_triples(),
        "full_seconds": seconds,
        "full_triples": triples,
        "entry_times": times,
        "entry_conforms": report.conforms,
    }
    print("content", json.dumps(results["content"]), flush=True)

    # (b) synthetic France scale
    big, bulk_seconds = open_synthetic_store(args.store)
    commune, commune2 = first_communes(big, BASE + "synthetic/territoire/commune/")
    times, report = time_entry(big, commune, commune2)
    results["france"] = {
        "quads": big.count_triples(),
        "bulk_seconds": bulk_seconds,
        "entry_times": times,
        "entry_conforms": report.conforms,
        "entry_results": len(report.results),
    }
    print("france", json.dumps(results["france"]), flush=True)
    big.close()

    # full validation of the synthetic graph at small scales, then capped at 1.0
    results["full_small"] = []
    for scale in (float(s) for s in args.full_scales.split(",") if s):
        results["full_small"].append(full_at_scale(scale))
        print("full", json.dumps(results["full_small"][-1]), flush=True)
    results["full_france"] = None
    if args.full_cap > 0:
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "bench.validate_bench", "--one-full-scale", "1.0"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=args.full_cap,
            )
            if done.returncode == 0:
                results["full_france"] = json.loads(done.stdout.strip().splitlines()[-1])
            else:
                results["full_france"] = {
                    "failed": done.stderr[-500:],
                    "seconds": time.perf_counter() - start,
                }
        except subprocess.TimeoutExpired:
            results["full_france"] = {"timeout": args.full_cap}
        print("full 1.0", json.dumps(results["full_france"]), flush=True)
    (OUT / "validate_bench.json").write_text(json.dumps(results, indent=2))
    section = render(results)
    print(section)
    if args.write_doc:
        write_doc(section)
    return 0


def rewrite_doc_from_json() -> None:
    """Re-render the doc section from bench/out/validate_bench.json (no new measurement)."""
    write_doc(render(json.loads((OUT / "validate_bench.json").read_text())))


def render(r: dict) -> str:
    med = statistics.median
    c, f = r["content"], r["france"]
    small = r["full_small"]
    # least-squares line seconds = fixed + per_triple * triples through the small scales (a
    # fixed part: shapes, ontology and vocabularies); through zero if only one scale
    xs, ys = [s["triples"] for s in small], [s["seconds"] for s in small]
    if len(small) >= 2:
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        per_triple = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
            (x - mx) ** 2 for x in xs
        )
        fixed = my - per_triple * mx
    else:
        per_triple, fixed = ys[0] / xs[0], 0.0
    extrapolated = fixed + per_triple * f["quads"]  # every quad of the store, a slight excess
    ff = r["full_france"] or {}
    if "seconds" in ff and "triples" in ff:
        france_full, how = ff["seconds"], "measured"
    elif "timeout" in ff:
        france_full, how = (
            ff["timeout"],
            f"did not finish within the {ff['timeout']:.0f} s cap: lower bound",
        )
    else:
        france_full, how = None, "not run"
    lines = [
        BEGIN,
        "<!-- generated by python -m bench.validate_bench --write-doc; do not edit by hand -->",
        "",
        "| store | quads | one entry, in context (median of 5) | full pySHACL validation | ratio |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| real content | {c['quads']:,} | {med(c['entry_times']) * 1000:.0f} ms | "
        f"{c['full_seconds']:.1f} s ({c['full_triples']:,} triples, measured) | "
        f"{c['full_seconds'] / med(c['entry_times']):,.0f}× |",
    ]
    entry_ms = med(f["entry_times"]) * 1000
    if france_full is not None:
        bound = "≥ " if "timeout" in ff else ""
        lines.append(
            f"| synthetic, scale 1.0 | {f['quads']:,} | {entry_ms:.0f} ms | "
            f"{bound}{france_full:,.0f} s ({how}) | "
            f"{bound}{france_full * 1000 / entry_ms:,.0f}× |"
        )
    lines.append(
        f"| synthetic, scale 1.0 (extrapolated) | {f['quads']:,} | "
        f"{entry_ms:.0f} ms | ~{extrapolated:,.0f} s (EXTRAPOLATED linearly "
        f"from the small scales below: {fixed:.0f} s + {per_triple * 1e6:.0f} µs per triple; "
        f"not measured) | ~{extrapolated * 1000 / entry_ms:,.0f}× |"
    )
    lines += [
        "",
        "Full pySHACL validation of the synthetic graph at small scales (measured):",
        "",
        "| scale | triples validated | seconds | µs per triple |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for s in small:
        lines.append(
            f"| {s['scale']:g} | {s['triples']:,} | {s['seconds']:.1f} | "
            f"{s['seconds'] / s['triples'] * 1e6:.0f} |"
        )
    lines += [
        "",
        f"One-entry times (s): real content {', '.join(f'{t:.2f}' for t in c['entry_times'])}; "
        f"scale 1.0 {', '.join(f'{t:.2f}' for t in f['entry_times'])}. "
        "The first run on the scale-1.0 store is cold (RocksDB caches, pySHACL warm-up); the "
        "web app keeps one loader, so later entries run warm. "
        f"The entry conforms in both (real content: {c['entry_conforms']}, "
        f"synthetic: {f['entry_conforms']}).",
        END,
    ]
    return "\n".join(lines)


def write_doc(section: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n## Steward validation\n\n" + INTRO + "\n\n" + section + "\n"
    DOC.write_text(text, encoding="utf-8")


INTRO = """Target (issue 7): validating one new entry against the full graph does not re-validate
the whole graph, and is at least **100×** faster than a full pySHACL validation at France
scale. `bench/validate_bench.py` times `Loader.validate_files([one entry])` (the entry plus
the store's triples about the IRIs it references; the entry's subjects are the only focus
nodes) against pySHACL over everything (what `santegraph load` does on the whole content).

```sh
.venv/bin/python -m bench.validate_bench --write-doc   # ~15 min (8: capped full run)
```"""


if __name__ == "__main__":
    sys.exit(main())
