"""Toile page benchmark (issue 6): the page's time against the raw time of its queries.

For each case (a ``/publics/<slug>?besoin=&lieu=&role=`` URL) on each dataset:

1. warm-up requests through the Flask test client (the first one also builds the search
   and place indexes, cached per store: reported apart as "first request");
2. then ``--repetitions`` times, and more while the case has taken less than
   ``--min-seconds`` (a page of a few milliseconds is repeated a few hundred times: seven
   medians of a 4 ms page moved by tens of percent on a shared machine), side by side:

   * **page**: ``create_app(settings, store=store).test_client().get(url)``, body read;
     during that request every outer call the page makes to the store (``select`` with its
     bindings, ``count_triples``) is recorded with its duration;
   * **raw**: the same recorded calls replayed directly through the store interface
     (same query text, same bound values), one after the other;
   * **svg**: ``/publics/<slug>/toile.svg`` with the same filters (page only);
   * **floor**: a route the harness adds to the same app, which makes the same recorded
     store calls and answers the page's recorded HTML as it is: everything a page costs
     besides drawing it (Flask, the test client, the store calls, the body), so
     *floor / raw* is what is left of the target for the toile's own Python.

The report gives medians, the page / raw ratio against the **1.5×** target (rendering
adds less than 50 % on top of the queries) and where the page's time goes: its queries as
timed inside the request versus the rest (Python building the toile, the SVG drawing, the
template). No timing is asserted anywhere: the target is reported as PASS / FAIL.

Datasets: ``content`` (the project content loaded by santegraph's loader into an
in-memory EmbeddedStore) and ``france`` (the same content plus the synthetic
France-scale graph of ``bench/synthetic.py``, bulk-loaded into an on-disk store in
``bench/out/toile/``, built once and reused)::

    .venv/bin/python -m bench.toile_bench --write-doc
    .venv/bin/python -m bench.toile_bench --datasets content --repetitions 3 --min-seconds 0
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from bench.report import replace_between_markers

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "out" / "toile"
DEFAULT_NQ = ROOT / "bench" / "out" / "synthetic.nq"
DEFAULT_DOC = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- toile-bench:begin -->"
END = "<!-- toile-bench:end -->"
TARGET = 1.5  # page / raw queries
CAP_SECONDS = 60.0  # a page slower than this in warm-up runs once per repetition budget
BUDGET_SECONDS = 240.0  # time budget per case for the repetitions
MIN_SECONDS = 3.0  # a case repeats until it has taken this long (page + raw + svg) ...
MAX_REPETITIONS = 1000  # ... or this many times

# The synthetic places are ``.../synthetic/territoire/...``: the page's place index only
# knows ``territoire/...`` (it skips other prefixes), so the France place cases use real
# places of the project content, which the France-scale store also holds, with a public
# the content serves there (a toile of 3 actors and one of 1). The place filter still runs
# against the whole France-scale graph (it is found from the place, then joined); a large
# local toile is not measured (the large toiles below have no place).
CASES: dict[str, list[tuple[str, str]]] = {
    "content": [
        ("public only", "/publics/professionnels-sante"),
        ("public + place (département)", "/publics/professionnels-sante?lieu=departement/59"),
        (
            "public + need + role + place (TAS)",
            "/publics/personnes-handicap?besoin=handicap&role=accompagnement&lieu=tas/hainaut",
        ),
    ],
    "france": [  # cheapest first: a long run leaves a partial report
        ("public + place (département)", "/publics/professionnels-sante?lieu=departement/59"),
        ("public + place (commune)", "/publics/personnes-handicap?lieu=commune/59350"),
        ("public + need + role", "/publics/adolescents?besoin=sante-mentale&role=orientation"),
        ("public only (narrow)", "/publics/adolescents"),
        ("public only (large)", "/publics/personnes-agees"),
    ],
}


# ---------------------------------------------------------------------- recording
@dataclass
class Call:
    method: str
    args: tuple
    kwargs: dict
    seconds: float


class Recorder:
    """Records the outer store calls made while active (instance attributes shadow the
    class methods; nested calls, e.g. count_triples -> select, are not recorded apart)."""

    METHODS = ("select", "count_triples")

    def __init__(self, store):
        self.store = store
        self.calls: list[Call] = []
        self.active = False
        self._depth = 0
        self._originals: dict[str, Callable] = {}
        for name in self.METHODS:
            original = getattr(store, name)
            self._originals[name] = original
            setattr(store, name, self._wrap(name, original))

    def _wrap(self, name: str, original: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            self._depth += 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                self._depth -= 1
                if self.active and self._depth == 0:
                    self.calls.append(Call(name, args, kwargs, elapsed))

        return wrapper

    def start(self) -> None:
        self.calls = []
        self.active = True

    def stop(self) -> list[Call]:
        self.active = False
        return self.calls

    def replay(self, calls: Sequence[Call]) -> float:
        """The same calls straight on the store; total seconds."""
        started = time.perf_counter()
        for call in calls:
            self._originals[call.method](*call.args, **call.kwargs)
        return time.perf_counter() - started

    def restore(self) -> None:
        for name in self.METHODS:
            self.store.__dict__.pop(name, None)


# ---------------------------------------------------------------------- measuring
@dataclass
class CaseResult:
    dataset: str
    label: str
    url: str
    status: int = 0
    actors: int = 0
    links: int = 0
    first_s: float = 0.0
    queries: list[str] = field(default_factory=list)
    page: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    in_page_queries: list[float] = field(default_factory=list)
    svg: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    html_bytes: int = 0
    capped: bool = False

    def summary(self) -> dict:
        page = statistics.median(self.page) if self.page else 0.0
        raw = statistics.median(self.raw) if self.raw else 0.0
        inner = statistics.median(self.in_page_queries) if self.in_page_queries else 0.0
        floor = statistics.median(self.floor) if self.floor else 0.0
        ratio = page / raw if raw else 0.0
        return {
            "page_s": page,
            "raw_s": raw,
            "in_page_queries_s": inner,
            "rest_s": max(page - inner, 0.0),
            "svg_s": statistics.median(self.svg) if self.svg else 0.0,
            "floor_s": floor,
            "floor_ratio": floor / raw if raw else 0.0,
            "ratio": ratio,
            "pass": bool(self.page) and ratio <= TARGET,
        }


FLOOR_PATH = "/_bench/floor"


class Floor:
    """The harness's route on the measured app: the page's recorded store calls (through
    the same store methods), then the page's recorded HTML, returned as the view returns
    it. What a page costs when drawing it costs nothing."""

    def __init__(self, store):
        self.store = store
        self.calls: list[Call] = []
        self.html = ""

    def view(self) -> str:
        for call in self.calls:
            getattr(self.store, call.method)(*call.args, **call.kwargs)
        return self.html

    def install(self, app) -> None:  # before the app's first request (Flask's rule)
        app.add_url_rule(FLOOR_PATH, "bench_floor", self.view)


def svg_url(url: str) -> str:
    path, _, query = url.partition("?")
    return path + "/toile.svg" + ("?" + query if query else "")


def measure_case(
    client,
    recorder,
    dataset,
    label,
    url,
    *,
    warmup,
    repetitions,
    log,
    min_seconds=MIN_SECONDS,
    floor: Floor | None = None,
):
    result = CaseResult(dataset, label, url)
    started = time.perf_counter()
    response = client.get(url)
    result.first_s = time.perf_counter() - started
    result.status = response.status_code
    if response.status_code != 200:
        log(f"  {label}: HTTP {response.status_code}, skipped")
        return result
    body = response.get_data(as_text=True)
    result.html_bytes = len(body.encode())
    slowest = result.first_s
    for _ in range(max(warmup - 1, 0)):
        if slowest > CAP_SECONDS:
            break  # the first request was warm-up enough
        started = time.perf_counter()
        client.get(url).get_data()
        slowest = time.perf_counter() - started
    if slowest > CAP_SECONDS:
        # page + replay per repetition: keep the case within the budget
        repetitions = max(1, min(repetitions, int(BUDGET_SECONDS // (2 * slowest))))
        result.capped = True
    spent = 0.0
    while len(result.page) < repetitions or (
        not result.capped and spent < min_seconds and len(result.page) < MAX_REPETITIONS
    ):
        started_repetition = time.perf_counter()
        recorder.start()
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        result.page.append(time.perf_counter() - started)
        calls = recorder.stop()
        result.in_page_queries.append(sum(c.seconds for c in calls))
        result.queries = [_call_name(c) for c in calls]
        result.raw.append(recorder.replay(calls))
        if not result.capped:  # toile.svg builds the same toile again: not for a slow case
            started = time.perf_counter()
            response = client.get(svg_url(url))
            response.get_data()
            result.svg.append(time.perf_counter() - started)
        if floor is not None and not result.capped:
            floor.calls, floor.html = calls, body
            started = time.perf_counter()
            client.get(FLOOR_PATH).get_data()
            result.floor.append(time.perf_counter() - started)
        spent += time.perf_counter() - started_repetition
    s = result.summary()
    log(
        f"  {label}: page {_ms(s['page_s'])} ms, raw {_ms(s['raw_s'])} ms, "
        f"ratio {s['ratio']:.2f}, floor {_ms(s['floor_s'])} ms ({s['floor_ratio']:.2f}), "
        f"svg {_ms(s['svg_s'])} ms ({len(result.page)} runs)"
    )
    return result


_QUERY_NAMES: dict[str, str] = {}


def _call_name(call: Call) -> str:
    if call.method != "select":
        return call.method
    if not _QUERY_NAMES:
        from santegraph.queries import PUBLIC, catalogue

        for query in catalogue(PUBLIC):
            _QUERY_NAMES[query.text] = query.name
    name = _QUERY_NAMES.get(call.args[0] if call.args else "", "other SELECT")
    bound = call.args[1] if len(call.args) > 1 else call.kwargs.get("bindings")
    if bound:
        sizes = ", ".join(
            f"{k}×{len(v) if isinstance(v, list | tuple) else 1}" for k, v in bound.items()
        )
        name += f" ({sizes})"
    return name


def _bound_actors(queries: list[str]) -> int:
    """Actors on the toile = the acteur values bound into acteurs-fiches."""
    for query in queries:
        if query.startswith("acteurs-fiches (acteur×"):
            return int(query.split("×", 1)[1].split(")")[0].split(",")[0])
    return 0


def toile_size(store, settings, url: str) -> tuple[int, int]:
    """(actors, links) of the toile this URL shows, through the page's own builder."""
    from santegraph.web import create_app
    from santegraph.web.toile_views import load_toile

    app = create_app(settings, store=store)
    slug = url.split("?")[0].rsplit("/", 1)[-1]
    with app.test_request_context(url):
        try:
            toile = load_toile(slug)
        except Exception:
            return 0, 0
    return len(toile.actors), len(toile.links)


def run_dataset(
    name,
    store,
    settings,
    cases,
    *,
    warmup,
    repetitions,
    log,
    on_result=None,
    min_seconds=MIN_SECONDS,
) -> list[CaseResult]:
    from santegraph.web import create_app

    recorder = Recorder(store)
    try:
        app = create_app(settings, store=store)
        floor = Floor(store)
        floor.install(app)
        client = app.test_client()
        results = []
        for label, url in cases:
            result = measure_case(
                client,
                recorder,
                name,
                label,
                url,
                warmup=warmup,
                repetitions=repetitions,
                log=log,
                min_seconds=min_seconds,
                floor=floor,
            )
            if result.status == 200 and not result.capped:
                result.actors, result.links = toile_size(store, settings, url)
            elif result.status == 200:  # not one more slow build: count from the bindings
                result.actors, result.links = _bound_actors(result.queries), -1
            results.append(result)
            if on_result is not None:
                on_result(result)
        return results
    finally:
        recorder.restore()


# ---------------------------------------------------------------------- datasets
def content_store(settings=None):
    from santegraph.config import load_settings
    from santegraph.loading import Loader
    from santegraph.store import EmbeddedStore

    settings = settings or load_settings({}, environ={})
    store = EmbeddedStore()
    summary = Loader(store, settings, progress=False).load_content()
    return store, settings, {"triples": summary.triples}


def france_store(out: Path, nq: Path, rebuild: bool = False):
    """Content + synthetic graph in an on-disk store under ``out`` (built once)."""
    import shutil

    from bench import synthetic
    from santegraph.config import load_settings
    from santegraph.loading import Loader
    from santegraph.store import EmbeddedStore

    location = out / "store"
    meta_path = out / "store-meta.json"
    settings = load_settings({"store_path": str(location)}, environ={})
    if rebuild or not meta_path.exists():
        shutil.rmtree(location, ignore_errors=True)
        meta_path.unlink(missing_ok=True)
        if not nq.exists():
            synthetic.write(nq, 1.0, synthetic.DEFAULT_SEED)
        store = EmbeddedStore(str(location))
        started = time.perf_counter()
        summary = Loader(store, settings, progress=False).load_content()
        meta = {"content_triples": summary.triples}
        meta["content_load_s"] = round(time.perf_counter() - started, 1)
        raw = store.pyoxigraph_store
        started = time.perf_counter()
        raw.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
        raw.flush()
        meta["bulk_load_s"] = round(time.perf_counter() - started, 1)
        meta["quads"] = len(raw)
        meta["synthetic"] = str(nq.relative_to(ROOT) if nq.is_relative_to(ROOT) else nq)
        meta_path.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    else:
        store = EmbeddedStore(str(location))
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    return store, settings, meta


# ---------------------------------------------------------------------- report
def machine_info() -> dict:
    def first(path: str, prefix: str) -> str:
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return ""

    memory = first("/proc/meminfo", "MemTotal")
    revision = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpu": first("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "memory_gb": round(int(memory.split()[0]) / 2**20, 1) if memory else 0,
        "python": platform.python_version(),
        "pyoxigraph": ox.__version__,
        "os": platform.platform(),
        "git": revision + (" with uncommitted changes" if dirty else ""),
    }


def _ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}"


def render(report: dict) -> str:
    run, machine = report["run"], report["machine"]
    lines = [
        f"Run of {run['date']} (`{run['command']}`), git `{machine['git']}`.",
        "",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB; "
        f"{machine['os']}; Python {machine['python']}, pyoxigraph {machine['pyoxigraph']}.",
        f"- {run['warmup']} warm-up request(s), then at least {run['repetitions']} repetitions "
        f"per case, more until the case has taken {run['min_seconds']:g} s (at most "
        f"{MAX_REPETITIONS}; *runs* below); fewer when a warm page takes over "
        f"{CAP_SECONDS:.0f} s (marked *capped*); medians. "
        f"1-minute load average: start {run['load_start']}, end {run['load_end']}.",
    ]
    for name, meta in report["datasets"].items():
        lines.append(f"- Dataset `{name}`: {meta['description']}")
    lines += [
        "",
        "Milliseconds, medians. *raw* = the page's own store calls (recorded during the "
        "request, same bindings) replayed straight through the store interface; *queries in "
        "page* = the same calls timed inside the request; *rest* = page − queries in page "
        f"(building the toile in Python, the SVG drawing, the template); *floor* = the same "
        "store calls, then the page's HTML returned as it is, by a route the harness adds to "
        "the same app: what the page costs besides the toile's own Python (Flask, the test "
        f"client, the store calls, the body); not run for a capped case. Target: page ≤ "
        f"{TARGET}× raw.",
        "",
        "| dataset | case | actors / links | runs | first request | page | raw "
        f"| queries in page | rest | toile.svg | floor | floor / raw | page / raw | {TARGET}× |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | --- |",
    ]
    for r in report["results"]:
        if r["status"] != 200:
            lines.append(
                f"| {r['dataset']} | {r['label']} (`{r['url']}`) | HTTP {r['status']} "
                "| | | | | | | | | | | not run |"
            )
            continue
        s = r["summary"]
        mark = ("PASS" if s["pass"] else "FAIL") + (" (capped)" if r["capped"] else "")
        links = f"{r['links']:,}" if r["links"] >= 0 else "not counted"
        floor = f"{_ms(s['floor_s'])} | {s['floor_ratio']:.2f}" if r["floor_s"] else "not run | "
        lines.append(
            f"| {r['dataset']} | {r['label']} (`{r['url']}`) | {r['actors']:,} / "
            f"{links} | {len(r['page_s'])} | {_ms(r['first_s'])} | {_ms(s['page_s'])} "
            f"| {_ms(s['raw_s'])} "
            f"| {_ms(s['in_page_queries_s'])} | {_ms(s['rest_s'])} | {_ms(s['svg_s'])} "
            f"| {floor} | {s['ratio']:.2f} | {mark} |"
        )
    lines += ["", "Store calls of one page request, per case:", ""]
    for r in report["results"]:
        if r["queries"]:
            lines.append(f"- {r['dataset']}, {r['label']}: " + "; ".join(r["queries"]))
    return "\n".join(lines) + "\n"


def write_doc(path: Path, section: str) -> None:
    replace_between_markers(path, BEGIN, END, section)


def build_report(args, datasets: dict, results: list[CaseResult], load_start, load_end) -> dict:
    command = "python -m bench.toile_bench " + " ".join(args.argv)
    return {
        "run": {
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": command.strip(),
            "warmup": args.warmup,
            "repetitions": args.repetitions,
            "min_seconds": getattr(args, "min_seconds", MIN_SECONDS),
            "load_start": load_start,
            "load_end": load_end,
        },
        "machine": machine_info(),
        "datasets": datasets,
        "results": [
            {
                "dataset": r.dataset,
                "label": r.label,
                "url": r.url,
                "status": r.status,
                "actors": r.actors,
                "links": r.links,
                "first_s": r.first_s,
                "capped": r.capped,
                "html_bytes": r.html_bytes,
                "queries": r.queries,
                "page_s": r.page,
                "raw_s": r.raw,
                "in_page_queries_s": r.in_page_queries,
                "svg_s": r.svg,
                "floor_s": r.floor,
                "summary": r.summary(),
            }
            for r in results
        ],
    }


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="python -m bench.toile_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--datasets", default="content,france", help="content, france or both")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repetitions", type=int, default=7, help="at least, per case")
    parser.add_argument(
        "--min-seconds",
        type=float,
        default=MIN_SECONDS,
        help="repeat a case until it has taken this long (fast pages: stable medians)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--synthetic", type=Path, default=DEFAULT_NQ, help="N-Quads, scale 1")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the France-scale store")
    parser.add_argument("--write-doc", action="store_true", help=f"update {DEFAULT_DOC.name}")
    parser.add_argument("--doc", type=Path, default=DEFAULT_DOC)
    args = parser.parse_args(argv)
    args.argv = argv
    args.out.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(message, flush=True)

    load_start = _load()
    datasets: dict[str, dict] = {}
    results: list[CaseResult] = []
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S")

    def save(result: CaseResult | None = None) -> str:
        """Results so far to JSON (and the doc): a long run leaves its partial report."""
        if result is not None:
            results.append(result)
        report = build_report(args, datasets, results, load_start, _load())
        (args.out / f"results-{stamp}.json").write_text(json.dumps(report, indent=1), "utf-8")
        section = render(report)
        if args.write_doc:
            write_doc(args.doc, section)
        return section

    for name in [d.strip() for d in args.datasets.split(",") if d.strip()]:
        started = time.perf_counter()
        if name == "content":
            store, settings, meta = content_store()
            loaded = time.perf_counter() - started
            meta["description"] = (
                f"the project content ({meta['triples']:,} triples) loaded by santegraph's "
                f"loader into an in-memory EmbeddedStore (load {loaded:.0f} s)."
            )
        elif name == "france":
            store, settings, meta = france_store(args.out, args.synthetic, args.rebuild)
            meta["description"] = (
                f"{meta['quads']:,} quads: the project content ({meta['content_triples']:,} "
                f"triples, loader) plus the synthetic France-scale graph (`bench/synthetic.py` "
                f"scale 1, seed 20221201: 35,000 communes, 1,300 EPCI, ~1,000 CPTS, 2,500 MSP, "
                f"50,000 other actors), bulk-loaded ({meta['bulk_load_s']} s) into an on-disk "
                "EmbeddedStore. Synthetic places are not in the page's place index (it only "
                "knows `territoire/...` IRIs), so place cases use real places of the "
                "content (département 59, Lille) with a public the content serves there."
            )
        else:
            raise SystemExit(f"unknown dataset {name!r}")
        log(f"{name}: ready in {time.perf_counter() - started:.1f} s")
        datasets[name] = meta
        run_dataset(
            name,
            store,
            settings,
            CASES[name],
            warmup=args.warmup,
            repetitions=args.repetitions,
            log=log,
            on_result=save,
            min_seconds=args.min_seconds,
        )
        store.close()
    print(save())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
