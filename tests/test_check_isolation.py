"""Untrusted parsing and validation run in check workers: a crash or a runaway check stops
a worker, never the server, and anonymous checks never hold up a steward (issue #13).

* A document that crashes pyoxigraph's parser (JSON-LD nested 5,000 deep with the depth
  scan switched off: a real segmentation fault) kills its worker; the client gets a clear
  error (in French on the steward pages), nothing is written, the next request is served.
* A check past its time budget is stopped (its worker killed) and said so.
* Anonymous checks (/steward/validate) have a budget of their own: size, rate per client,
  time, and at most ``check_workers - 1`` workers, never the write lock: a steward's write
  completes while an anonymous check is in progress (held there by the test).

Holding a check: ``SANTEGRAPH_TEST_HOLD_CHECKS`` names a folder of two FIFOs; a check
worker opens ``started`` (the test reads it: the check is running) then waits on
``release``. Events, not delays.
"""

from __future__ import annotations

import dataclasses
import os
import threading

import pytest

from santegraph.loading import Loader
from santegraph.store import EmbeddedStore
from santegraph.web import create_app
from santegraph.web.throttle import RateLimit

from .conftest import BASE, sorted_quads
from .test_steward_web import MSP, SUBMISSION_GRAPH, basic, sign_in, steward_settings, submit
from .test_untrusted_input import deep_jsonld

CSV = "nom;type;localisation;telephone;referent\n" + (
    "CPTS Fictive du Littoral;CPTS;59183;01 99 00 00 00;Marie Fictive\n"
)
WAIT = 120  # seconds before a test gives up waiting for an event that should come
# The depth scan off, so that pyoxigraph's JSON-LD parser overflows its stack (which takes
# it tens of seconds on a busy machine: the time budgets must not stop it first).
CRASHING = {"max_nesting_depth": 0, "public_check_timeout": 600, "check_timeout": 600}


@pytest.fixture
def store():
    store = EmbeddedStore(":memory:")
    yield store
    store.close()


def app_over(store, **overrides):
    settings = steward_settings(**{"public_check_rate": 0, **overrides})
    Loader(store, settings, progress=False).ensure_content()
    app = create_app(settings, store=store)
    return app


def runner(app):
    return app.extensions["santegraph"].check_runner


def check(client, text=CSV, fmt="csv", output="json"):
    return client.post("/steward/validate", data={"texte": text, "format": fmt, "sortie": output})


def in_thread(function, *args) -> tuple[threading.Thread, list]:
    result: list = []
    thread = threading.Thread(target=lambda: result.append(function(*args)), daemon=True)
    thread.start()
    return thread, result


@pytest.fixture
def hold(tmp_path, monkeypatch):
    """Hold anonymous checks in their worker: ``hold.started()`` waits until one runs,
    ``hold.release()`` lets it finish."""
    os.mkfifo(tmp_path / "started")
    os.mkfifo(tmp_path / "release")
    monkeypatch.setenv("SANTEGRAPH_TEST_HOLD_CHECKS", str(tmp_path))

    class Hold:
        def started(self):
            thread, said = in_thread(lambda: (tmp_path / "started").read_text())
            thread.join(WAIT)
            assert said == ["started"], "no check started in a check worker"

        def release(self):
            thread, _ = in_thread(lambda: (tmp_path / "release").write_text("go"))
            thread.join(WAIT)
            assert not thread.is_alive(), "no check was waiting to be released"

    return Hold()


# ------------------------------------------------------------------ crashes
def test_a_parser_crash_kills_a_worker_not_the_server(store):
    app = app_over(store, **CRASHING)
    client = app.test_client()
    assert check(client).status_code == 200
    (worker,) = runner(app).worker_pids
    response = check(client, deep_jsonld().decode(), "jsonld")
    assert response.status_code == 422
    assert "fait s'arrêter le processus qui le vérifiait" in response.get_json()["message"]
    with pytest.raises(ProcessLookupError):
        os.kill(worker, 0)  # the worker is gone, the server (this process) is not
    assert client.get("/healthz").status_code == 200
    again = check(client)
    assert again.status_code == 200 and again.get_json()["conforms"]
    assert worker not in runner(app).worker_pids


def test_a_crash_on_the_steward_pages_is_said_in_french(store):
    app = app_over(store, **CRASHING)
    web = app.test_client()
    token_field = sign_in(web)
    before = sorted_quads(store)
    response = web.post(
        "/steward/soumettre",
        data={"texte": deep_jsonld().decode(), "format": "jsonld", "csrf_token": token_field},
    )
    assert response.status_code == 422
    assert "rien n&#39;a été vérifié" in response.get_data(as_text=True)
    assert sorted_quads(store) == before
    assert submit(web, token_field).status_code == 302  # the next preview is made


def test_a_crash_on_a_store_body_is_a_422_and_nothing_is_written(store):
    web = app_over(store, **CRASHING).test_client()
    before = sorted_quads(store)
    response = web.put(
        f"/store?graph={SUBMISSION_GRAPH}",
        data=deep_jsonld(),
        content_type="application/ld+json",
        headers=basic(),
    )
    assert response.status_code == 422
    assert "worker process stopped" in response.get_json()["message"]
    assert sorted_quads(store) == before
    response = web.put(
        f"/store?graph={SUBMISSION_GRAPH}", data=MSP, content_type="text/turtle", headers=basic()
    )
    assert response.status_code == 201


# ------------------------------------------------------------------ time budgets
def test_a_runaway_update_is_stopped_at_check_timeout(store):
    """A cartesian product evaluated over the store: it ran in the server, for ever."""
    web = app_over(store, check_timeout=1).test_client()
    before = sorted_quads(store)
    update = (
        f"DELETE {{ GRAPH <{SUBMISSION_GRAPH}> {{ ?a ?b ?c }} }} "
        "WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    )
    response = web.post(
        "/update", data=update, content_type="application/sparql-update", headers=basic()
    )
    assert response.status_code == 503
    assert "check_timeout" in response.get_json()["message"]
    assert sorted_quads(store) == before
    assert web.get("/healthz").status_code == 200


def test_an_anonymous_check_past_its_time_is_a_503_in_french(store, hold):
    app = app_over(store, public_check_timeout=1)
    response = check(app.test_client(), output="html")  # held: never reaches its end
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "a dépassé le temps imparti de 1 s" in page and "public_check_timeout" in page


# ------------------------------------------------------------------ anonymous budget
def test_an_anonymous_check_has_a_size_cap_of_its_own(store):
    client = app_over(store, public_check_max_bytes=100).test_client()
    response = check(client, CSV + "#" * 100)
    assert response.status_code == 413
    assert "public_check_max_bytes" in response.get_json()["message"]


def test_anonymous_checks_are_rate_limited_per_client(store):
    app = app_over(store, public_check_rate=2)
    app.extensions["santegraph"].check_rate.clock = lambda: 1000.0  # time stands still
    client = app.test_client()
    assert [check(client).status_code for _ in range(2)] == [200, 200]
    refused = check(client)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert "public_check_rate" in refused.get_json()["message"]
    other = app.test_client()
    other_address = {"REMOTE_ADDR": "192.0.2.7"}
    response = other.post(
        "/steward/validate",
        data={"texte": CSV, "format": "csv", "sortie": "json"},
        environ_base=other_address,
    )
    assert response.status_code == 200


def test_anonymous_checks_leave_a_worker_to_the_stewards(store, hold):
    app = app_over(store, check_workers=2, public_check_timeout=0)
    first, first_report = in_thread(check, app.test_client())
    hold.started()
    second, second_report = in_thread(check, app.test_client())  # waits: no slot left
    web = app.test_client()
    assert submit(web, sign_in(web)).status_code == 302  # a steward's preview is made
    assert second.is_alive() and not second_report
    hold.release()
    hold.started()  # the second check got the slot the first one freed
    hold.release()
    for thread, report in ((first, first_report), (second, second_report)):
        thread.join(WAIT)
        assert report[0].status_code == 200


def test_an_anonymous_check_finding_no_worker_in_time_is_a_503(store, hold):
    app = app_over(store, check_workers=2, public_check_timeout=0)
    first, _ = in_thread(check, app.test_client())
    hold.started()
    # from now on anonymous checks wait at most 0.5 s (the held one has no deadline)
    runner(app).settings = dataclasses.replace(runner(app).settings, public_check_timeout=0.5)
    busy = check(app.test_client(), output="html")
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
    assert "réessayez dans quelques instants" in busy.get_data(as_text=True)
    hold.release()
    first.join(WAIT)


def test_a_steward_write_completes_while_an_anonymous_check_is_in_progress(store, hold):
    """A 3,000-row anonymous check held a steward's one-triple write for 26.8 s: it ran in
    the server under the validation lock the write needs. Now it runs in a check worker on
    a snapshot: the write goes through while the check is held there."""
    app = app_over(store, check_workers=2, public_check_timeout=0)
    anonymous, report = in_thread(check, app.test_client())
    hold.started()
    write, written = in_thread(
        lambda: app.test_client().put(
            f"/store?graph={SUBMISSION_GRAPH}",
            data=MSP,
            content_type="text/turtle",
            headers=basic(),
        )
    )
    write.join(WAIT)
    assert written and written[0].status_code == 201, "the write waited for the check"
    assert anonymous.is_alive()  # the check is still held in its worker
    hold.release()
    anonymous.join(WAIT)
    assert report[0].status_code == 200 and report[0].get_json()["conforms"]
    assert store.count_triples(SUBMISSION_GRAPH) == 4
    assert BASE  # the submission's IRIs are under the test base


# ------------------------------------------------------------------ worker processes
@pytest.mark.parametrize("path", ["/sparql?query=ASK%20%7B%7D", "/steward/validate"])
def test_a_worker_outlives_the_request_thread_that_started_it(store, path):
    """Workers ask Linux to kill them when their parent dies (PR_SET_PDEATHSIG), and the
    parent is the *thread* that started them: a worker started by a request thread that
    then ended was killed. They are started by one long-lived thread now."""
    app = app_over(store)
    data = {"texte": CSV, "format": "csv", "sortie": "json"} if "validate" in path else None
    request = app.test_client().post if data else app.test_client().get
    thread, answers = in_thread(lambda: request(path, data=data))
    thread.join(WAIT)
    assert answers[0].status_code == 200
    state = app.extensions["santegraph"]
    pool = state.check_runner if data else state.query_runner
    workers = pool.worker_pids
    assert request(path, data=data).status_code == 200
    assert pool.worker_pids == workers  # the same workers, alive after that thread ended


def test_the_rate_limit_refills_a_token_a_minute_per_allowed_check():
    now = [0.0]
    limit = RateLimit(2, clock=lambda: now[0])
    assert [limit.wait("a"), limit.wait("a"), limit.wait("b")] == [0, 0, 0]
    assert limit.wait("a") == pytest.approx(30)  # 2 a minute: one back every 30 s
    now[0] = 30.0
    assert limit.wait("a") == 0 and limit.wait("a") == pytest.approx(30)
    assert RateLimit(0).wait("a") == 0  # 0: no limit
