"""The pages in a real headless Chromium (Debian's ``chromium``, driven by Playwright), served
by waitress on the real project content. Screenshots go to a temporary folder, or to
``docs/screenshots/`` with ``pytest --update-screenshots`` (done when the pages change).

Skipped, with the reason, when ``/usr/bin/chromium`` or the ``playwright`` package is absent
(``.ci/run`` installs Debian's chromium when it can).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from santegraph.config import load_settings
from santegraph.web import create_app

from ..conftest import live_server
from .conftest import BASE, ROOT

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium absent (apt-get install chromium)"
)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

PUBLICS = """
PREFIX sg: <https://w3id.org/santegraph/def#>
SELECT ?public WHERE { ?public a sg:Public } ORDER BY ?public
"""
SOME_ACTOR = """
PREFIX sg: <https://w3id.org/santegraph/def#>
SELECT ?a WHERE { ?a a sg:Acteur ; sg:public ?p ; sg:secteur ?s } ORDER BY ?a LIMIT 1
"""


@pytest.fixture(scope="module")
def server(loaded_content):
    """The app on the real content, served by waitress in a thread, as in production."""
    store, _ = loaded_content
    settings = load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})
    app = create_app(settings, store=store)
    with live_server(app) as url:
        yield url, app, store


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


def collect_errors(page) -> list[str]:
    """The page's JavaScript errors, console errors and failed sub-resources (by URL; the
    browser's own /favicon.ico probe aside), collected as they happen."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return errors


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="fr-FR", device_scale_factor=1
    )
    page = context.new_page()
    errors = collect_errors(page)
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def _slug(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture
def screenshots(request, tmp_path) -> Path:
    """Where screenshots go: ``docs/screenshots/`` only when asked (``--update-screenshots``),
    since each run redraws them with pixel-level differences."""
    if request.config.getoption("update_screenshots"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path


def _screenshot(page, path: Path, max_height: int = 1600) -> None:
    """The top of the page (at most ``max_height`` px): what a reader sees first."""
    height = min(page.evaluate("document.documentElement.scrollHeight"), max_height)
    clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height}
    page.screenshot(path=str(path), full_page=True, clip=clip)
    assert path.stat().st_size > 0


def _has_route(app, rule: str) -> bool:
    return any(r.rule == rule for r in app.url_map.iter_rules())


def _busiest_public(app, store) -> str:
    """The public whose toile (as built by the app) has the most actors."""
    client = app.test_client()
    counts = []
    for row in store.select(PUBLICS):
        slug = _slug(row["public"].value)
        html = client.get(f"/publics/{slug}/embed").get_data(as_text=True)
        counts.append((html.count('class="toile-acteur"'), slug))
    best = max(counts, key=lambda c: (c[0], [-ord(ch) for ch in c[1]]))
    assert best[0] > 0, "no public has any actor on its toile"
    return best[1]


def _drawn_actor_count(page) -> int:
    return page.evaluate(
        """() => {
            const svg = document.querySelector('.toile-dessin svg.toile');
            const singles = svg.querySelectorAll('g.acteur').length;
            let folded = 0;
            svg.querySelectorAll('g.groupe').forEach(g => folded += Number(g.dataset.count));
            return singles + folded;
        }"""
    )


def test_embed_toile_draws_every_listed_actor(server, page):
    url, app, store = server
    slug = _busiest_public(app, store)
    response = page.goto(f"{url}/publics/{slug}/embed")
    assert response.status == 200
    assert response.headers["content-security-policy"].endswith("frame-ancestors *")
    svg = page.get_by_role("img", name="Toile des acteurs pour le public")
    assert svg.count() == 1
    listed = page.locator("li.toile-acteur").count()
    assert listed > 0
    assert _drawn_actor_count(page) == listed
    # The drawing is inside the page (no horizontal scrolling) and zoom works (toile.js).
    before = page.get_attribute(".toile-dessin svg.toile", "viewBox")
    page.get_by_role("button", name="Zoomer", exact=True).click()
    assert page.get_attribute(".toile-dessin svg.toile", "viewBox") != before
    page.get_by_role("button", name="Revenir à la vue entière").click()
    assert page.get_attribute(".toile-dessin svg.toile", "viewBox") == before
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Print: the drawing with whole names replaces the screen's, the tools go.
    page.emulate_media(media="print")
    assert page.locator(".toile-papier svg.toile").is_visible()
    assert page.locator(".toile-dessin svg.toile").is_hidden()
    assert page.locator(".toile-zoom").is_hidden()


@pytest.fixture
def generated_server(server, monkeypatch):
    """The same app, its toiles replaced by a generated 40-actor model (not real data)."""
    from santegraph.web import toile_views

    from ..test_toile_svg import make_toile

    monkeypatch.setattr(
        toile_views, "_builder", lambda: lambda store, slug, **filters: make_toile(40, links=25)
    )
    _, app, _ = server
    with live_server(app, threads=2) as url:
        yield url


def test_embed_page_of_a_generated_toile(generated_server, page, tmp_path):
    """Drawn and listed actors agree, zoom and keyboard work, print hides the tools."""
    response = page.goto(f"{generated_server}/publics/generee/embed")
    assert response.status == 200
    assert _drawn_actor_count(page) == page.locator("li.toile-acteur").count() == 40
    assert page.get_by_role("img", name="Toile des acteurs pour le public").count() == 1
    before = page.get_attribute(".toile-dessin svg.toile", "viewBox")
    page.locator(".toile-dessin").focus()
    page.keyboard.press("+")
    zoomed = page.get_attribute(".toile-dessin svg.toile", "viewBox")
    assert zoomed != before
    page.keyboard.press("ArrowRight")
    assert page.get_attribute(".toile-dessin svg.toile", "viewBox") != zoomed
    page.keyboard.press("0")
    assert page.get_attribute(".toile-dessin svg.toile", "viewBox") == before
    # The hostile-free generated labels are drawn as text, not markup.
    assert page.locator("svg script").count() == 0
    page.screenshot(path=str(tmp_path / "embed.png"), full_page=True)
    page.emulate_media(media="print")
    assert page.locator(".toile-zoom").is_hidden()
    assert page.locator(".toile-papier svg.toile").is_visible()


def test_toile_page_screenshot(server, page, screenshots):
    """toile.png: the professionals' toile page when it exists, else the embed page."""
    url, app, store = server
    slug = _busiest_public(app, store)
    if _has_route(app, "/publics/<slug>"):
        response = page.goto(f"{url}/publics/{slug}")
        assert response.status == 200
        cards = page.locator("section[aria-labelledby=titre-acteurs] article.carte").count()
        assert cards > 0
        assert _drawn_actor_count(page) == cards
        assert page.get_by_role("img", name="Toile des acteurs pour le public").count() == 1
    else:
        page.goto(f"{url}/publics/{slug}/embed")
    _screenshot(page, screenshots / "toile.png")


def test_search_page_screenshot(server, page, screenshots):
    """recherche.png: the search page when it exists, else the entry page."""
    url, app, _ = server
    target = "/recherche" if _has_route(app, "/recherche") else "/"
    response = page.goto(url + target)
    assert response.status == 200
    assert page.locator("main").count() == 1
    assert page.locator("h1").count() >= 1
    _screenshot(page, screenshots / "recherche.png")


def test_actor_page_screenshot(server, page, screenshots):
    """acteur.png: an actor's fiche, the directory entry professionals read;
    acteur-donnees.png: its triple view for integrators, one link away."""
    url, _, store = server
    rows = store.select(SOME_ACTOR)
    assert rows
    iri = rows[0]["a"].value
    assert iri.startswith(BASE + "acteur/")
    response = page.goto(f"{url}/acteurs/{iri[len(BASE + 'acteur/') :]}")
    assert response.status == 200
    assert page.locator("h1").count() == 1
    assert page.get_by_role("link", name="Signaler une erreur").count() == 1
    _screenshot(page, screenshots / "acteur.png")
    with page.expect_navigation():
        page.locator(f'a[href="/id/{iri[len(BASE) :]}"]').first.click()
    assert page.url.endswith(f"/id/{iri[len(BASE) :]}")
    _screenshot(page, screenshots / "acteur-donnees.png")


def _pdf_pages(data: bytes) -> list[str]:
    import io

    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_browser_printing_gives_the_poster_then_the_list(server, page):
    """Printing the toile page from Chromium (A4 landscape, the page's own @page): the first
    sheet holds the question, the date and the drawing with every name whole; the cards
    with their contacts follow; nothing of the screen's tools is printed."""
    url, app, store = server
    slug = _busiest_public(app, store)
    page.goto(f"{url}/publics/{slug}")
    names = page.locator(
        "section[aria-labelledby=titre-acteurs] article.carte h3 a"
    ).all_inner_texts()
    assert names
    page.emulate_media(media="print")
    sheets = _pdf_pages(page.pdf(prefer_css_page_size=True, print_background=True))
    poster, listed = sheets[0], " ".join(sheets[1:])
    h1 = " ".join(page.locator("h1").inner_text().split())
    assert poster.startswith(h1)  # page 1 is not blank: it is the poster
    assert "Édité le " in poster
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('.toile-papier svg.toile text.etiquette')]
            .map(t => [...t.querySelectorAll('tspan')].map(s => s.textContent).join(' '))"""
    )
    drawn = " | ".join(drawn)
    for name in names:  # every name whole on the printed drawing ...
        assert " ".join(name.split()) in drawn, name
        assert " ".join(name.split()) in poster, name  # read back from the PDF
        assert " ".join(name.split()) in listed  # ... and in the list after it
    assert "…" not in drawn
    assert "Contact" in listed
    assert "Intégrer cette toile" not in " ".join(sheets)


def test_a_printed_toile_without_answers_explains_and_widens(server, page):
    """An empty toile prints what was asked, why nothing is drawn and the wider areas."""
    url, app, store = server
    slug = _busiest_public(app, store)
    page.goto(f"{url}/publics/{slug}?lieu=80001")  # Abbeville
    page.emulate_media(media="print")
    printed = " ".join(_pdf_pages(page.pdf(prefer_css_page_size=True)))
    # the content has no such actor in Abbeville (if it gains one, choose another commune)
    assert "Aucun acteur enregistré" in printed
    assert "à Abbeville" in printed
    assert "élargir la zone" in printed.lower()
    assert "dans la somme" in printed.lower(), printed


def test_printed_toile_picture(server, screenshots):
    """toile-a4.png and toile-a4-liste.png: the poster and the first list page of the PDF
    (toile/pdf.py, the same pages as /publics/<slug>/toile.pdf) of the busiest toile."""
    from santegraph.toile import pdf
    from santegraph.web import toile_views

    if pdf.unavailable_reason():
        pytest.skip(pdf.unavailable_reason())
    _, app, store = server
    slug = _busiest_public(app, store)
    with app.test_request_context(f"/publics/{slug}"):
        toile = toile_views.load_toile(slug)
    footer = f"Toile en ligne : https://santegraph.example.org/publics/{slug}"
    text = " ".join(_pdf_pages(pdf.render_pdf(toile, footer=footer)))
    for actor in toile.actors:
        assert " ".join(actor.label.split()) in text
    for number, name in enumerate(["toile-a4.png", "toile-a4-liste.png"]):
        path = screenshots / name
        path.write_bytes(pdf.render_png(toile, footer=footer, page=number))
        assert path.stat().st_size > 0


def test_toile_on_a_phone_list_first_drawing_readable_tools_last(server, browser, screenshots):
    """At 390 px: the answer (the cards) comes first, then the drawing at a readable size
    (its labels at least 9 px high on screen, in a box one scrolls through), the tools
    (downloads, embed code) last; the page itself never scrolls sideways.
    toile-telephone.png is what a phone shows first."""
    url, app, store = server
    slug = _busiest_public(app, store)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="fr-FR", device_scale_factor=1
    )
    phone = context.new_page()
    try:
        assert phone.goto(f"{url}/publics/{slug}").status == 200

        def top(selector: str) -> float:
            return phone.locator(selector).first.bounding_box()["y"]

        first_card = top("section[aria-labelledby=titre-acteurs] article.carte")
        drawing = top(".toile-dessin")
        tools = top(".toile-outils")
        assert first_card < drawing < tools
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        label = phone.locator(".toile-dessin svg.toile text.etiquette tspan").first
        assert label.bounding_box()["height"] >= 9
        _screenshot(phone, screenshots / "toile-telephone.png", max_height=1600)
    finally:
        context.close()
