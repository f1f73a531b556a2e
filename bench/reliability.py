"""Reliability run (issue #13): a real server, the attack set, a load mix, and the figures.

Starts ``santegraph serve --supervise`` (embedded store, a fresh one under ``bench/out/``)
on a free loopback port, then:

1. replays the attack set of issue #13, one attack after the other, each with the answers
   that count as the expected refusal;
2. runs the load mix: ``--clients`` clients × ``--requests`` requests over the public pages
   and ``/sparql`` while, in flight, a runaway query is sent again and again, a steward
   writes through ``/store`` and anonymous checks go to ``/steward/validate``;

and reports requests, errors, p50/p99 latencies per kind of request, the peak resident
memory of every server process (the process tree of the supervisor: server, query
workers, check workers; sampled every 0.25 s, and VmHWM of those still alive at the
end), the server restarts, and the load average. Errors are 5xx answers (but the expected
ones: a runaway query's 503), connection failures and timeouts; an expected refusal is
not an error. Everything listens on 127.0.0.1 and the run stops by itself
(``--max-seconds``).

    python -m bench.reliability --write-doc                 # 16 clients x 1,000 requests
    python -m bench.reliability --clients 4 --requests 50   # a look
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import requests

from bench.report import replace_between_markers
from santegraph.steward.credentials import credential_line

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "reliability"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- reliability:begin -->"
END = "<!-- reliability:end -->"
BASE = "https://w3id.org/santegraph/id/"
STEWARD = "Banc Fiable"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
QUERIES = [
    "ASK {}",
    "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n)",
    "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?label } LIMIT 50",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 200",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
]
INDEX_PAGES = ["/", "/publics", "/territoires", "/dispositifs", "/defis", "/propositions"]
SKIPPED_LINKS = re.compile(r"^/(steward|static|sparql|dump|store|update)|\.(pdf|gz)$|[?&]")


# ---------------------------------------------------------------------- the server
@dataclass
class Server:
    base: str
    process: subprocess.Popen
    token: str
    log_path: Path

    @property
    def auth(self) -> tuple[str, str]:
        return (STEWARD, self.token)


def start_server(args, folder: Path) -> Server:
    port = free_port()
    token = secrets.token_urlsafe(32)
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SANTEGRAPH_")},
        "SANTEGRAPH_HOST": "127.0.0.1",
        "SANTEGRAPH_PORT": str(port),
        "SANTEGRAPH_STORE_PATH": str(folder / "store"),
        "SANTEGRAPH_STEWARD_TOKENS": credential_line(STEWARD, token),
        "SANTEGRAPH_SECRET_KEY": secrets.token_hex(32),
    }
    if args.content_dir:
        environment["SANTEGRAPH_CONTENT_DIR"] = str(args.content_dir)
    for item in args.set:
        name, _, value = item.partition("=")
        environment["SANTEGRAPH_" + name.upper()] = value
    log_path = folder / "server.log"
    command = [sys.executable, "-m", "santegraph.cli", "--no-progress", "serve", "--supervise"]
    with log_path.open("wb") as log:  # the server keeps its own copy of the descriptor
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, token, log_path)
    deadline = time.monotonic() + args.start_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited ({process.returncode}): see {log_path}")
        try:
            if requests.get(server.base + "/healthz", timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    process.kill()
    raise SystemExit(f"the server did not answer within {args.start_timeout} s: see {log_path}")


def stop_server(server: Server) -> int:
    server.process.send_signal(signal.SIGTERM)
    try:
        return server.process.wait(60)
    except subprocess.TimeoutExpired:
        server.process.kill()
        return server.process.wait()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------- memory
def process_tree(root: int) -> list[int]:
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                stack += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def role(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if "check_worker" in command:
        return "check worker"
    if "sandbox.worker" in command:
        return "query worker"
    if "--supervise" in command:
        return "supervisor"
    if "santegraph" in command:
        return "server"
    return "other"


def status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """Peak RSS of every process of the server's tree, and of their sum."""

    def __init__(self, root: int):
        super().__init__(daemon=True, name="memory-sampler")
        self.root, self.stop = root, threading.Event()
        self.peaks: dict[int, int] = {}  # pid -> KiB
        self.roles: dict[int, str] = {}
        self.peak_total = 0

    def run(self) -> None:
        while not self.stop.wait(0.25):
            self.sample()

    def sample(self) -> None:
        total = 0
        for pid in process_tree(self.root):
            rss = max(status_kib(pid, "VmRSS"), status_kib(pid, "VmHWM"))
            if rss:
                self.roles.setdefault(pid, role(pid))
                self.peaks[pid] = max(self.peaks.get(pid, 0), rss)
                total += status_kib(pid, "VmRSS")
        self.peak_total = max(self.peak_total, total)

    def summary(self) -> dict:
        by_role: dict[str, list[int]] = defaultdict(list)
        for pid, kib in self.peaks.items():
            by_role[self.roles[pid]].append(kib)
        return {
            "peak_total_mib": round(self.peak_total / 1024, 1),
            "processes": {
                name: {"count": len(values), "peak_mib": round(max(values) / 1024, 1)}
                for name, values in sorted(by_role.items())
            },
        }


# ---------------------------------------------------------------------- the attacks
@dataclass
class Attack:
    name: str
    finding: str
    expected: str
    outcome: str = ""
    ok: bool = False
    error: bool = False  # a 5xx, a failure to answer: counts as an error of the run
    seconds: float = 0.0
    requests: int = 1


def deep_jsonld(depth: int = 5000) -> bytes:
    """The JSON-LD of critical 1 (issue #13): pyoxigraph's parser crashed from ~3,000."""
    return (
        f'{{"@id":"{BASE}acteur/x","http://example.org/p":'
        + '{"http://example.org/p":' * depth
        + '"x"'
        + "}" * depth
        + "}"
    ).encode()


def billion_laughs(levels: int = 9) -> bytes:
    """An RDF/XML document of under 1 KB whose entities expand to 10**levels * 20 bytes."""
    entities = '<!ENTITY a0 "lolololololololololo">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, levels + 1)
    )
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [{entities}]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:e="http://example.org/">'
        f'<rdf:Description rdf:about="{BASE}acteur/x"><e:p>&a{levels};</e:p>'
        "</rdf:Description></rdf:RDF>"
    ).encode()


def csv_rows(count: int, prefix: str = "CPTS Fictive") -> str:
    rows = [
        f"{prefix} {i};CPTS;59183;01 99 00 {i % 100:02d} {i // 100 % 100:02d};Marie Fictive"
        for i in range(count)
    ]
    return "nom;type;localisation;telephone;referent\n" + "\n".join(rows) + "\n"


def submission(slug: str, label: str) -> str:
    """A fictitious MSP that conforms to the project's shapes."""
    return (
        "@prefix sg: <https://w3id.org/santegraph/def#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix schema: <https://schema.org/> .\n"
        "@prefix prov: <http://www.w3.org/ns/prov#> .\n"
        f'<acteur/{slug}> a sg:MSP ; skos:prefLabel "{label}"@fr ;\n'
        '  sg:localisation <territoire/commune/59183> ; schema:telephone "01 99 00 12 34" ;\n'
        "  prov:wasAttributedTo <referent/banc-fiable> .\n"
    )


class Loopback(http.server.BaseHTTPRequestHandler):
    """A loopback service that counts the requests it gets (a SERVICE must never call)."""

    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args):
        pass


def attack_recorder(attacks: list[Attack], args) -> Callable:
    """``attack(name, finding, expected, allowed, send)``: sends, judges and records one."""

    def attack(name, finding, expected, allowed, send, requests_sent=1):
        item = Attack(name, finding, expected, requests=requests_sent)
        started = time.monotonic()
        ok = True  # unless the attack says its answer, although allowed, is not the one
        try:
            status, detail, *verdict = send()
            ok = verdict[0] if verdict else True
        except requests.RequestException as exc:
            status, detail = None, f"no answer: {type(exc).__name__}"
        item.seconds = round(time.monotonic() - started, 2)
        item.outcome = f"{status} {detail}".strip() if status is not None else detail
        item.ok = status in allowed and ok
        item.error = status is None or (status >= 500 and status not in allowed)
        attacks.append(item)
        if not args.quiet:
            print(f"  {name}: {item.outcome} ({'expected' if item.ok else 'NOT expected'})")

    return attack


def run_attacks(server: Server, args, folder: Path) -> list[Attack]:
    base, auth = server.base, server.auth
    graph = f"{BASE}graph/soumission/banc-fiabilite"
    attacks: list[Attack] = []
    attack = attack_recorder(attacks, args)

    def post_check(text, fmt, output="json"):
        response = requests.post(
            base + "/steward/validate",
            data={"texte": text, "format": fmt, "sortie": output},
            timeout=120,
        )
        return response

    def deep():
        r = post_check(deep_jsonld().decode(), "jsonld")
        return r.status_code, ""

    attack("deep JSON-LD on /steward/validate", "critical 1", "400", {400}, deep)

    listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Loopback)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    loopback = f"http://127.0.0.1:{listener.server_address[1]}/sparql"

    def service():
        query = f"SELECT * WHERE {{ SERVICE <{loopback}> {{ ?s ?p ?o }} }}"
        r = requests.post(base + "/sparql", data={"query": query}, timeout=60)
        return r.status_code, f"loopback service called {len(Loopback.hits)} time(s)"

    attack("SERVICE to a loopback port", "critical 2", "403, never called", {403}, service)

    def chain():
        query = "SELECT * WHERE { ?s ?p ?o }"
        for _ in range(10):
            query = f"SELECT * WHERE {{ SERVICE <{base}/sparql?query={quote(query)}> {{ }} }}"
        r = requests.post(base + "/sparql", data={"query": query}, timeout=60)
        return r.status_code, ""

    attack("SERVICE chain into its own /sparql", "critical 2", "403", {403}, chain)
    listener.shutdown()
    listener.server_close()

    def deep_query():
        query = "SELECT * WHERE " + "{ " * 5000 + "}" * 5000
        r = requests.post(base + "/sparql", data={"query": query}, timeout=60)
        return r.status_code, ""

    attack("query nested 5,000 deep", "critical 1 (class)", "400", {400}, deep_query)

    def put(body, media_type, target=graph, **headers):
        url = f"{base}/store?graph={quote(target, safe='')}"
        r = requests.put(
            url,
            data=body,
            headers={"Content-Type": media_type, **headers},
            auth=auth,
            timeout=120,
        )
        return r

    def laughs():
        r = put(billion_laughs(), "application/rdf+xml")
        return r.status_code, ""

    attack("billion laughs on PUT /store", "high 3", "400", {400}, laughs)

    def external():
        body = (
            b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&x;</rdf:RDF>'
        )
        return put(body, "application/rdf+xml").status_code, ""

    attack("XML external entity on PUT /store", "high 3 (class)", "400", {400}, external)

    def collection():
        body = f"<{BASE}acteur/x> <http://example.org/p> (" + " 1" * 60_000 + " ) ."
        return put(body.encode(), "text/turtle").status_code, ""

    attack("Turtle collection of 120,001 triples", "bounded parsing", "413", {413}, collection)

    def huge_csv():
        """The anonymous check of a big CSV, and a steward's write meanwhile."""
        rows = args.huge_csv_rows
        started = time.monotonic()
        first = put(submission("banc-ecriture", "MSP Fictive de l'Écriture"), "text/turtle")
        alone = time.monotonic() - started
        done: list = []
        check = threading.Thread(
            target=lambda: done.append(post_check(csv_rows(rows), "csv")), daemon=True
        )
        check.start()
        time.sleep(1)  # the check is in its worker by now (a benchmark: measured, not asserted)
        started = time.monotonic()
        write = put(submission("banc-ecriture", "MSP Fictive de l'Écriture 2"), "text/turtle")
        meanwhile = time.monotonic() - started
        check.join(300)
        status = done[0].status_code if done else None
        return status, (
            f"({rows:,} rows); a steward's write meanwhile: {write.status_code} in "
            f"{meanwhile:.2f} s (alone, just before: {first.status_code} in {alone:.2f} s)"
        )

    attack(
        "huge CSV on /steward/validate",
        "high 5",
        "200, 413 or 503 (budget); a write meanwhile not held",
        {200, 413, 503},
        huge_csv,
    )

    def gzip_bomb():
        bomb = folder / "bomb.ttl.gz"
        deflate = zlib.compressobj(9, zlib.DEFLATED, 31)  # written as a stream
        chunk = (b"#" * 1023 + b"\n") * 1024  # 1 MiB of Turtle comments
        with bomb.open("wb") as out:
            for _ in range(args.gzip_bomb_mib):
                out.write(deflate.compress(chunk))
            out.write(deflate.flush())
        command = [sys.executable, "-m", "santegraph.cli", "--store-path", ":memory:"]
        if args.content_dir:
            command += ["--content-dir", str(args.content_dir)]
        command += ["--no-progress", "validate", str(bomb)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with process.stderr:
            err = process.stderr.read().decode()
        _, wait_status, usage = os.wait4(process.pid, 0)
        process.returncode = code = os.waitstatus_to_exitcode(wait_status)
        named = "max_inflation_ratio" in err
        return (400 if code == 2 and named else 500), (
            f"CLI exit {code}, {bomb.stat().st_size // 1024:,} KiB inflating to "
            f"{args.gzip_bomb_mib:,} MiB, CLI peak RSS {usage.ru_maxrss // 1024} MiB"
        )

    attack("gzip bomb to `santegraph validate`", "medium", "exit 2", {400}, gzip_bomb)

    def bidi():
        text = csv_rows(1, "CPTS \u202eeviF\u202c")
        r = post_check(text, "csv", output="html")
        raw = "\u202e" in r.text
        return r.status_code, "override character rendered raw" if raw else "neutralised", not raw

    attack("right-to-left override in a name", "low", "200, neutralised", {200}, bidi)

    def traversal():
        target = f"{BASE}graph/soumission/../journal"
        r = put(submission("banc-traversee", "MSP Fictive de la Traversée"), "text/turtle", target)
        return r.status_code, ""

    attack("graph name soumission/../journal", "low", "400 or 403", {400, 403}, traversal)

    def cross_site():
        update = (
            f"INSERT DATA {{ GRAPH <{graph}-csrf> {{ <{BASE}acteur/banc-csrf> "
            '<http://www.w3.org/2004/02/skos/core#altLabel> "écrit par un autre site"@fr } }'
        )
        r = requests.post(
            base + "/update",
            data={"update": update},
            auth=auth,
            headers={
                "Origin": "https://site-hostile.example",
                "Sec-Fetch-Site": "cross-site",
                "Sec-Fetch-Mode": "navigate",
                "Referer": "https://site-hostile.example/form.html",
            },
            timeout=60,
        )
        return r.status_code, ""

    attack("cross-site form post to /update", "medium", "403", {400, 403}, cross_site)
    return attacks


def run_sign_in_attack(server: Server, args) -> list[Attack]:
    """Run after the load mix: the failed sign-in limit it trips is per address (the
    loopback here), and would refuse the steward writes of the load with 429."""
    base = server.base
    attacks: list[Attack] = []
    attack = attack_recorder(attacks, args)

    def bad_credentials():
        statuses: dict[int, int] = defaultdict(int)
        for i in range(args.bad_credentials):
            r = requests.post(
                base + "/update",
                data="INSERT DATA { }",
                headers={"Content-Type": "application/sparql-update"},
                auth=(STEWARD, f"mauvais-jeton-{i}"),
                timeout=60,
            )
            statuses[r.status_code] += 1
        alive = requests.get(base + "/healthz", timeout=30).status_code
        detail = ", ".join(f"{n}× {s}" for s, n in sorted(statuses.items()))
        worst = max(statuses)
        return (worst if worst >= 500 else 401), f"{detail}; /healthz then {alive}"

    attack(
        f"{args.bad_credentials} bad credentials on /update",
        "medium",
        "401 (or 429)",
        {401, 429},
        bad_credentials,
        args.bad_credentials + 1,
    )
    return attacks


# ---------------------------------------------------------------------- the load mix
@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, status: int | None, expected=(), note=""):
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[kind][status or 0] += 1
            if status is None or (status >= 500 and status not in expected):
                self.errors[kind].append(f"{status or 'no answer'} {note}".strip())


def discover_pages(base: str) -> list[str]:
    pages = set(INDEX_PAGES)
    for index in INDEX_PAGES:
        try:
            html = requests.get(base + index, timeout=60).text
        except requests.RequestException:
            continue
        for href in re.findall(r'href="(/[^"#]*)"', html):
            if not SKIPPED_LINKS.search(href):
                pages.add(href)
    return sorted(pages)[:300]


def timed(tally: Tally, kind: str, send, expected=(), note="") -> int | None:
    started = time.monotonic()
    try:
        status = send().status_code
    except requests.RequestException as exc:
        status, note = None, f"{note} {type(exc).__name__}"
    tally.record(kind, time.monotonic() - started, status, expected, note)
    return status


def client_loop(server, pages, count, seed, tally, deadline):
    rng = random.Random(seed)
    with requests.Session() as session:
        client_requests(server, pages, count, rng, session, tally, deadline)


def client_requests(server, pages, count, rng, session, tally, deadline):
    for _ in range(count):
        if time.monotonic() > deadline:
            return
        draw = rng.random()
        if draw < 0.70:
            page = rng.choice(pages)
            timed(
                tally, "page", lambda p=page: session.get(server.base + p, timeout=120), note=page
            )
        elif draw < 0.95:
            query = rng.choice(QUERIES)
            timed(
                tally,
                "sparql",
                lambda q=query: session.post(
                    server.base + "/sparql",
                    data={"query": q},
                    headers={"Accept": "application/sparql-results+json, text/turtle"},
                    timeout=120,
                ),
                note=query[:40],
            )
        else:
            timed(tally, "healthz", lambda: session.get(server.base + "/healthz", timeout=120))


def in_flight(server, tally, stop: threading.Event, args) -> list[threading.Thread]:
    """The runaway query, a steward's writes and anonymous checks, while the load runs."""

    def runaway():
        with requests.Session() as session:
            runaways(session)

    def runaways(session):
        while not stop.is_set():
            timed(
                tally,
                "runaway query",
                lambda: session.post(server.base + "/sparql", data={"query": RUNAWAY}, timeout=300),
                expected=(503,),
            )

    def writes():
        with requests.Session() as session:
            session.auth = server.auth
            write_loop(session)

    def write_loop(session):
        graph = quote(f"{BASE}graph/soumission/banc-charge", safe="")
        number = 0
        while number == 0 or not stop.wait(args.write_every):  # at least one
            number += 1
            body = submission("banc-charge", f"MSP Fictive de la Charge {number}")
            timed(
                tally,
                "steward write",
                lambda b=body: session.put(
                    f"{server.base}/store?graph={graph}",
                    data=b.encode(),
                    headers={"Content-Type": "text/turtle"},
                    timeout=300,
                ),
            )

    def checks():
        with requests.Session() as session:
            check_loop(session)

    def check_loop(session):
        text = csv_rows(20)
        first = True
        while first or not stop.wait(args.check_every):  # at least one
            first = False
            timed(
                tally,
                "anonymous check",
                lambda: session.post(
                    server.base + "/steward/validate",
                    data={"texte": text, "format": "csv", "sortie": "json"},
                    timeout=300,
                ),
                expected=(503,),  # the check's own time budget under load
            )

    threads = [threading.Thread(target=t, daemon=True) for t in (runaway, writes, checks)]
    for thread in threads:
        thread.start()
    return threads


def run_load(server: Server, args) -> tuple[Tally, float, int]:
    tally = Tally()
    pages = discover_pages(server.base)
    stop = threading.Event()
    deadline = time.monotonic() + args.max_seconds
    background = in_flight(server, tally, stop, args)
    started = time.monotonic()
    clients = [
        threading.Thread(
            target=client_loop,
            args=(server, pages, args.requests, seed, tally, deadline),
            daemon=True,
        )
        for seed in range(args.clients)
    ]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(max(1.0, deadline - time.monotonic() + 60))
    elapsed = time.monotonic() - started
    stop.set()
    for thread in background:
        thread.join(360)
    return tally, elapsed, len(pages)


# ---------------------------------------------------------------------- report
def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def restarts(server: Server) -> int:
    text = server.log_path.read_text(encoding="utf-8", errors="replace")
    return text.count("; restarting in ")


def _cut(result) -> str:
    """Says so when ``--max-seconds`` stopped the load before every request was sent."""
    planned = result["clients"] * result["requests_per_client"]
    if result["load_requests"] >= planned:
        return ""
    return (
        f" **Stopped by `--max-seconds` after {result['load_requests']:,} of the "
        f"{planned:,} requests planned.**"
    )


def summarise(args, attacks, tally, elapsed, pages, memory, restart_count, loads, exit_code):
    kinds = {}
    for kind, values in sorted(tally.latencies.items()):
        kinds[kind] = {
            "requests": len(values),
            "errors": len(tally.errors.get(kind, [])),
            "p50_ms": round(percentile(values, 50) * 1000, 1),
            "p99_ms": round(percentile(values, 99) * 1000, 1),
            "statuses": dict(sorted(tally.statuses[kind].items())),
            "error_samples": tally.errors.get(kind, [])[:5],
        }
    load_requests = sum(
        k["requests"] for n, k in kinds.items() if n in ("page", "sparql", "healthz")
    )
    return {
        "clients": args.clients,
        "requests_per_client": args.requests,
        "pages": pages,
        "elapsed_s": round(elapsed, 1),
        "load_requests": load_requests,
        "throughput_rps": round(load_requests / elapsed, 1) if elapsed else 0,
        "requests": sum(k["requests"] for k in kinds.values()) + sum(a.requests for a in attacks),
        "errors": sum(k["errors"] for k in kinds.values()) + sum(a.error for a in attacks),
        "kinds": kinds,
        "attacks": [a.__dict__ for a in attacks],
        "memory": memory,
        "restarts": restart_count,
        "server_exit_code": exit_code,
        "load_average": loads,
        "cores": os.cpu_count(),
    }


def markdown(result: dict) -> str:
    lines = [
        f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{result['cores']} cores; 1-minute load average of the machine (other work "
        f"included): {result['load_average']['start']:.1f} at the start, "
        f"{result['load_average']['end']:.1f} at the end.",
        "",
        f"**{result['requests']:,} requests, {result['errors']} errors, "
        f"{result['restarts']} server restarts** (the server's exit code at the end: "
        f"{result['server_exit_code']}).",
        "",
        "| request | count | errors | p50 | p99 | answers |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for kind, k in result["kinds"].items():
        answers = ", ".join(f"{n}× {s}" for s, n in k["statuses"].items())
        lines.append(
            f"| {kind} | {k['requests']:,} | {k['errors']} | {k['p50_ms']:,.0f} ms | "
            f"{k['p99_ms']:,.0f} ms | {answers} |"
        )
    lines += [
        "",
        f"Load mix: {result['clients']} clients × {result['requests_per_client']:,} requests "
        f"(70 % pages drawn from {result['pages']} linked from the index pages, 25 % "
        f"`/sparql`, 5 % `/healthz`) in {result['elapsed_s']:,} s "
        f"({result['throughput_rps']} requests/s), while a runaway query, a steward's "
        "`/store` writes and anonymous CSV checks ran." + _cut(result),
        "",
        "| attack (issue #13) | finding | expected | outcome | |",
        "| --- | --- | --- | --- | --- |",
    ]
    for a in result["attacks"]:
        mark = "expected" if a["ok"] else ("**error**" if a["error"] else "**not expected**")
        lines.append(
            f"| {a['name']} | {a['finding']} | {a['expected']} | {a['outcome']} | {mark} |"
        )
    memory = result["memory"]
    parts = ", ".join(
        f"{name} {m['peak_mib']:,} MiB ({m['count']} process{'es' if m['count'] > 1 else ''})"
        for name, m in memory["processes"].items()
    )
    lines += [
        "",
        f"Peak resident memory per process (highest of each kind): {parts}; the whole "
        f"tree at most {memory['peak_total_mib']:,} MiB at once.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=1000, help="per client")
    parser.add_argument("--content-dir", type=Path, help="default: the project content")
    parser.add_argument("--set", action="append", default=[], help="a server setting, k=v")
    parser.add_argument("--bad-credentials", type=int, default=700)
    parser.add_argument("--huge-csv-rows", type=int, default=5000)
    parser.add_argument("--gzip-bomb-mib", type=int, default=2048, help="inflated size")
    parser.add_argument("--write-every", type=float, default=1.0, help="seconds between writes")
    parser.add_argument("--check-every", type=float, default=2.0, help="seconds between checks")
    parser.add_argument("--max-seconds", type=float, default=3600, help="the load stops then")
    parser.add_argument("--start-timeout", type=float, default=900)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--write-doc", action="store_true", help=f"rewrite {DOC.name}")
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = args.out / stamp
    folder.mkdir(parents=True)
    loads = {"start": os.getloadavg()[0]}
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    say(f"starting santegraph serve --supervise in {folder}")
    server = start_server(args, folder)
    memory = MemorySampler(server.process.pid)
    memory.start()
    try:
        say("attacks:")
        attacks = run_attacks(server, args, folder)
        say(f"load: {args.clients} clients x {args.requests} requests")
        tally, elapsed, pages = run_load(server, args)
        attacks += run_sign_in_attack(server, args)
        memory.sample()
        restart_count = restarts(server)
    finally:
        memory.stop.set()
        memory.join(5)
        exit_code = stop_server(server)
    loads["end"] = os.getloadavg()[0]
    result = summarise(
        args, attacks, tally, elapsed, pages, memory.summary(), restart_count, loads, exit_code
    )
    (folder / "results.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    text = markdown(result)
    say(text)
    if args.write_doc:
        replace_between_markers(args.doc, BEGIN, END, text)
    return 0 if result["errors"] == 0 and result["restarts"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
