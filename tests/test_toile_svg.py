"""The toile drawing (SVG) and its table (CSV), from generated models only."""

import csv
import dataclasses
import io
import itertools
import math
import re
import xml.etree.ElementTree as ET

import pypdf
import pytest

from santegraph.toile import svg as toile_svg
from santegraph.toile.model import Sector, Toile, ToileActor, ToileLink
from santegraph.toile.pdf import unavailable_reason as pdf_unavailable
from santegraph.toile.svg import contrast_ratio, render_svg, text_color_on
from santegraph.toile.table import COLUMNS, to_csv

SVG = "{http://www.w3.org/2000/svg}"
BASE = "https://w3id.org/santegraph/id/"
SECTORS = [
    Sector(BASE + "secteur/sanitaire", "Sanitaire", "#1A85FF"),
    Sector(BASE + "secteur/medico-social", "Médico-social", "#009E73"),
    Sector(BASE + "secteur/social", "Social", "#E66100"),
    Sector(BASE + "secteur/insertion-emploi", "Insertion et emploi", "#994F00"),
    Sector(BASE + "secteur/education", "Éducation", "#7B3294"),
    Sector(BASE + "secteur/justice", "Justice", "#222255"),
    Sector(BASE + "secteur/collectivites", "Collectivités", "#AA4499"),
]
HOSTILE = '<script>alert("x")</script> & ]]> \x01 "quoted" \'single\''


def make_toile(n: int, *, sectors: int = 5, links: int = 0, hostile: bool = False) -> Toile:
    """n actors spread unevenly over the first ``sectors`` sectors, a few without one."""
    actors = []
    for i in range(n):
        # Uneven: a skewed golden-ratio sequence gives some sectors far more than others.
        k = int(((i * 0.6180339887) % 1) ** 1.6 * (sectors + 1))
        sector = SECTORS[k] if k < sectors else None
        label = f"Acteur numéro {i} de la toile au nom assez long"
        if hostile and i == 0:
            label = HOSTILE
        actors.append(
            ToileActor(
                iri=f"{BASE}acteur/a-{i}",
                label=label,
                acronym=f"A{i}" if i % 3 else "",
                kinds=("CPTS",) if i % 2 else (),
                sector=sector,
                roles=("orientation",),
                territories=("Lille",),
            )
        )
    link_list = [
        ToileLink(actors[(7 * j) % n].iri, actors[(7 * j + 3) % n].iri) for j in range(links)
    ]
    return Toile(
        public_iri=BASE + "public/jeunes-moins-25-precarite",
        public_label="Jeunes de moins de 25 ans en situation de précarité",
        need_label="Santé mentale",
        actors=actors,
        links=link_list,
        sectors=list(SECTORS),
    )


def parse(text: str) -> ET.Element:
    return ET.fromstring(text)


def circles(root: ET.Element) -> list[tuple[str, float, float, float]]:
    """(node id, cx, cy, r) of every actor or group node."""
    out = []
    for g in root.iter(SVG + "g"):
        if g.get("class") in ("acteur", "groupe"):
            c = g.find(SVG + "circle")
            out.append((g.get("id"), float(c.get("cx")), float(c.get("cy")), float(c.get("r"))))
    return out


def drawn_actor_count(root: ET.Element) -> int:
    count = 0
    for g in root.iter(SVG + "g"):
        if g.get("class") == "acteur":
            count += 1
        elif g.get("class") == "groupe":
            count += int(g.get("data-count"))
    return count


@pytest.mark.parametrize("n", [0, 1, 5, 13, 40, 80])
def test_every_actor_is_drawn_once_and_no_two_nodes_overlap(n):
    toile = make_toile(n, links=n // 2)
    root = parse(render_svg(toile))
    assert drawn_actor_count(root) == n
    nodes = circles(root)
    for (ida, xa, ya, ra), (idb, xb, yb, rb) in itertools.combinations(nodes, 2):
        assert math.hypot(xa - xb, ya - yb) >= ra + rb + 4, (ida, idb)
    # Nor does any node sit on the public's disc at the centre.
    for node_id, x, y, r in nodes:
        assert math.hypot(x, y) >= toile_svg.CENTRE_R + r + 4, node_id


def test_labels_do_not_collide_with_each_other_nor_with_circles():
    root = parse(render_svg(make_toile(80, sectors=7)))
    nodes = circles(root)
    # Label box: centred under its node, lines of LABEL_CHARS characters at most, ~0.62 em
    # each (a generous average for a sans-serif font).
    boxes = []
    for g in root.iter(SVG + "g"):
        if g.get("class") in ("acteur", "groupe"):
            t = g.find(f"{SVG}text[@class='etiquette']")
            lines = [span.text for span in t.findall(SVG + "tspan")]
            assert 1 <= len(lines) <= toile_svg.LABEL_LINES
            assert all(len(line) <= toile_svg.LABEL_CHARS for line in lines)
            half_w = max(len(line) for line in lines) * toile_svg.LABEL_SIZE * 0.62 / 2
            x, y = float(t.get("x")), float(t.get("y"))
            bottom = y + 3 + (len(lines) - 1) * toile_svg.LABEL_SIZE * 1.15
            boxes.append((x - half_w, y - toile_svg.LABEL_SIZE, x + half_w, bottom))
    for a, b in itertools.combinations(boxes, 2):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    for box in boxes:
        for _, x, y, r in nodes:
            nx, ny = min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3])
            assert math.hypot(nx - x, ny - y) >= r, (box, x, y)


def test_five_actors_are_drawn_one_by_one_with_links():
    toile = make_toile(5, links=4)
    root = parse(render_svg(toile))
    acteurs = [g for g in root.iter(SVG + "g") if g.get("class") == "acteur"]
    assert len(acteurs) == 5
    assert not [g for g in root.iter(SVG + "g") if g.get("class") == "groupe"]
    assert {g.get("data-iri") for g in acteurs} == {a.iri for a in toile.actors}
    # Each node has a title naming the actor and its sector (never colour alone).
    for g in acteurs:
        title = g.find(SVG + "title").text
        assert "Secteur : " in title


def test_crowded_sector_is_folded_into_a_group_listing_its_members():
    toile = make_toile(80, sectors=3)
    root = parse(render_svg(toile))
    groups = [g for g in root.iter(SVG + "g") if g.get("class") == "groupe"]
    assert groups, "80 actors over 3 sectors must fold at least one wedge"
    for g in groups:
        n = int(g.get("data-count"))
        assert n > toile_svg.FOLD_THRESHOLD
        desc = g.find(SVG + "desc").text.split("\n")
        assert len(desc) == n
        assert f"{n} acteurs" in g.find(SVG + "title").text
    assert drawn_actor_count(root) == 80


def test_folding_only_when_the_whole_drawing_is_crowded():
    # 30 actors in one sector: drawn one by one (the total is readable).
    toile = make_toile(30, sectors=1)
    root = parse(render_svg(toile))
    assert not [g for g in root.iter(SVG + "g") if g.get("class") == "groupe"]
    # 80 actors: the biggest wedges fold while more than MAX_DRAWN nodes would be drawn
    # and some wedge still holds more than FOLD_THRESHOLD actors.
    root = parse(render_svg(make_toile(80, sectors=7)))
    nodes = circles(root)
    groups = [g for g in root.iter(SVG + "g") if g.get("class") == "groupe"]
    assert groups
    per_sector: dict[str, int] = {}
    for g in root.iter(SVG + "g"):
        if g.get("class") == "acteur":
            per_sector[g.get("data-secteur")] = per_sector.get(g.get("data-secteur"), 0) + 1
    assert len(nodes) <= toile_svg.MAX_DRAWN or max(per_sector.values()) <= 12
    assert len(nodes) >= toile_svg.MAX_DRAWN // 2  # still a picture, not a few discs


def test_link_endpoints_are_drawn_nodes_and_arrows_have_a_marker():
    toile = make_toile(80, sectors=7, links=60)
    text = render_svg(toile)
    root = parse(text)
    ids = {node_id for node_id, *_ in circles(root)}
    paths = [p for p in root.iter(SVG + "path") if p.get("class") == "lien"]
    assert paths
    marker_ids = {m.get("id") for m in root.iter(SVG + "marker")}
    for p in paths:
        assert p.get("data-source") in ids and p.get("data-target") in ids
        assert p.get("data-source") != p.get("data-target")
        assert re.fullmatch(r"url\(#(.+)\)", p.get("marker-end")).group(1) in marker_ids
        assert " Q" in p.get("d") or "Q" in p.get("d")  # a curve, not a straight line


def test_svg_is_accessible_whole():
    root = parse(render_svg(make_toile(5), title_id="t1"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "t1-title"
    title = root.find(SVG + "title")
    assert title.get("id") == "t1-title" and "Jeunes de moins de 25 ans" in title.text
    desc = root.find(SVG + "desc")
    assert desc.get("id") == "t1-desc" and "5 acteurs" in desc.text
    legend = [g for g in root.iter(SVG + "g") if g.get("class") == "legende"][0]
    legend_text = " ".join(t.text for t in legend.iter(SVG + "text"))
    for label in ("Sanitaire (2)", "Médico-social (1)", "oriente"):
        assert label in legend_text


def test_hostile_label_is_escaped_and_the_document_still_parses():
    text = render_svg(make_toile(5, hostile=True))
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert "\x01" not in text
    root = parse(text)  # well-formed despite quotes, ]]> and control characters
    titles = [t.text for t in root.iter(SVG + "title")]
    assert any('<script>alert("x")</script>' in t for t in titles)


@pytest.mark.parametrize(
    "value",
    [
        HOSTILE,
        "",
        "plain",
        "a\nb\r\tc",
        "both \" and '",
        "only ' here",
        "\ufffe\uffff\x0b\x1f&amp;",
    ],
)
def test_escaping_matches_the_standard_library(value):
    """The one-pass escapes give what xml.sax.saxutils gives once invalid characters are
    dropped: quoteattr's choice of quotes included."""
    from xml.sax.saxutils import escape, quoteattr

    valid = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", value)
    assert toile_svg._text(value) == escape(valid)
    entities = {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
    assert toile_svg._attr(value) == quoteattr(valid, entities)


def test_same_model_same_bytes():
    a = render_svg(make_toile(80, sectors=7, links=30))
    b = render_svg(make_toile(80, sectors=7, links=30))
    assert a == b


def test_text_on_fills_has_enough_contrast():
    for sector in [*SECTORS, toile_svg.OTHERS, Sector("", "", "#FFFF00"), Sector("", "", "#000")]:
        fill = toile_svg.sector_color(sector)
        assert contrast_ratio(text_color_on(fill), fill) >= 4.5, sector
    root = parse(render_svg(make_toile(80, sectors=2)))
    for g in root.iter(SVG + "g"):
        if g.get("class") == "groupe":
            fill = g.find(SVG + "circle").get("fill")
            count = g.find(SVG + "text")
            assert contrast_ratio(count.get("fill"), fill) >= 4.5


def test_csv_has_french_columns_bom_and_semicolons():
    toile = make_toile(5, hostile=True)
    toile.actors[1] = ToileActor(
        iri=BASE + "acteur/x",
        label="Maison des adolescents",
        acronym="MDA",
        kinds=("MDA", "Dispositif jeunesse"),
        phone="+33 3 53 73 20 00",
        email="contact@example.org",
        what="Écoute; accueil\n« sans rendez-vous »",
        sources=("002_a.txt", "003_b.txt"),
    )
    toile.programmes = [ToileActor(iri=BASE + "acteur/p", label="Programme fictif", is_actor=False)]
    toile.unplaced = [ToileActor(iri=BASE + "acteur/u", label="Association sans lieu")]
    text = to_csv(toile)
    assert text.startswith("\ufeff")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert tuple(rows[0]) == COLUMNS
    assert rows[0][:3] == ["groupe", "nom", "sigle"]
    assert len(rows) == 8 and all(len(r) == len(COLUMNS) for r in rows)
    cells = [dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]]
    mda = cells[1]
    assert mda["groupe"] == "acteur"
    assert mda["nom"] == "Maison des adolescents" and mda["sigle"] == "MDA"
    assert mda["type"] == "MDA | Dispositif jeunesse"
    assert mda["secteur"] == "Autres"
    assert mda["ce qu'il fait"] == "Écoute; accueil\n« sans rendez-vous »"
    assert mda["téléphone"] == "'+33 3 53 73 20 00"  # not run as a formula
    assert mda["sources"] == "002_a.txt | 003_b.txt"
    assert cells[0]["nom"] == " ".join(HOSTILE.split())
    # the dispositifs and programmes, then the entries of unknown territory, each named
    assert [(c["groupe"], c["nom"]) for c in cells[-2:]] == [
        ("dispositif ou programme", "Programme fictif"),
        ("territoire non renseigné", "Association sans lieu"),
    ]


# ----------------------------------------------------------------------------- web views
@pytest.fixture
def client(monkeypatch):
    from santegraph.config import load_settings
    from santegraph.store import EmbeddedStore
    from santegraph.web import create_app, toile_views

    calls = []

    def fake_build(store, public, *, besoin=None, lieu=None, role=None):
        calls.append((public, besoin, lieu, role))
        if public != "jeunes-moins-25-precarite":
            return None
        toile = make_toile(12, links=5, hostile=True)
        toile.need_label = besoin or ""
        return toile

    monkeypatch.setattr(toile_views, "_builder", lambda: fake_build)
    settings = load_settings({"base_iri": BASE}, environ={})
    app = create_app(settings, store=EmbeddedStore(":memory:"))
    client = app.test_client()
    client.calls = calls
    return client


def test_svg_download_passes_the_filters_and_is_served_as_svg(client):
    r = client.get("/publics/jeunes-moins-25-precarite/toile.svg?besoin=sante-mentale&lieu=59350")
    assert r.status_code == 200
    assert r.mimetype == "image/svg+xml"
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert (
        'filename="toile-jeunes-moins-25-precarite-sante-mentale-59350.svg"'
        in (r.headers["Content-Disposition"])
    )
    assert client.calls[-1] == ("jeunes-moins-25-precarite", "sante-mentale", "59350", None)
    root = parse(r.get_data(as_text=True))
    assert drawn_actor_count(root) == 12


def test_csv_download_is_an_attachment_with_bom(client):
    r = client.get("/publics/jeunes-moins-25-precarite/toile.csv")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.data.startswith(b"\xef\xbb\xbfgroupe;nom;sigle;type;secteur;")
    assert len(r.get_data(as_text=True).strip().split("\r\n")) == 13


def test_embed_page_may_be_framed_lists_every_actor_and_escapes(client):
    r = client.get("/publics/jeunes-moins-25-precarite/embed?besoin=x")
    assert r.status_code == 200
    policy = r.headers["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors *") and "script-src 'self'" in policy
    assert "X-Frame-Options" not in r.headers
    html = r.get_data(as_text=True)
    assert "<script>alert" not in html
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("nav") is None  # no site navigation in an embed
    items = soup.select("li.toile-acteur")
    assert len(items) == 12
    assert items[0].a["href"].startswith("/acteurs/")  # the fiche
    assert soup.find("svg")["role"] == "img"
    # Other pages are not opened to framing.
    home = client.get("/").headers
    assert "frame-ancestors 'none'" in home["Content-Security-Policy"]
    assert home["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "path",
    [
        "/publics/inconnu/toile.svg",
        "/publics/Pas%20un%20slug/toile.csv",
        "/publics/..%2F..%2Fetc/embed",
    ],
)
def test_unknown_public_or_bad_slug_is_404(client, path):
    assert client.get(path).status_code == 404


def test_over_long_filter_is_refused(client):
    r = client.get("/publics/jeunes-moins-25-precarite/toile.svg", query_string={"lieu": "x" * 500})
    assert r.status_code == 400


def test_tools_macro_renders_links_and_iframe_code(client):
    from flask import render_template_string

    with client.application.test_request_context("/publics/p/"):
        html = render_template_string(
            '{% from "toile/_tools.html" import toile_tools %}{{ toile_tools(s, f) }}',
            s="jeunes-moins-25-precarite",
            f={"besoin": 'a"b<c'},
        )
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert "/publics/jeunes-moins-25-precarite/toile.svg?besoin=a%22b%3Cc" in hrefs
    assert "/publics/jeunes-moins-25-precarite/toile.csv?besoin=a%22b%3Cc" in hrefs
    code = soup.find("textarea")
    assert soup.find("label", attrs={"for": code["id"]})
    assert code.text.startswith('<iframe src="http://localhost/publics/jeunes-moins-25-precarite/')
    assert "<c" not in code.text and "%3Cc" in code.text


@pytest.mark.parametrize(
    "filters",
    [{}, {"lieu": "Lille 59350"}, {"besoin": 'a"b<c&d=é', "lieu": "tas/hainaut", "role": "x/y?z"}],
)
@pytest.mark.parametrize("root", ["", "/sante"])
def test_tool_links_are_what_url_for_gives(client, filters, root):
    """toile_links encodes the filters once and reuses remembered paths: the same URLs as
    one url_for per link, under any mount point."""
    from flask import url_for

    from santegraph.web.toile_views import toile_links

    with client.application.test_request_context("/publics/p", base_url="http://h" + root):
        links = toile_links("jeunes-moins-25-precarite", filters)
        expected = {
            "css": url_for("static", filename="toile.css"),
            "js": url_for("static", filename="toile.js"),
            "svg": url_for("toile.svg", slug="jeunes-moins-25-precarite", **filters),
            "csv": url_for("toile.csv", slug="jeunes-moins-25-precarite", **filters),
            "pdf_a4": url_for("toile.pdf_download", slug="jeunes-moins-25-precarite", **filters),
            "pdf_a3": url_for(
                "toile.pdf_download", slug="jeunes-moins-25-precarite", papier="a3", **filters
            ),
            "embed": url_for(
                "toile.embed", slug="jeunes-moins-25-precarite", _external=True, **filters
            ),
            "embed_a3": url_for(
                "toile.embed", slug="jeunes-moins-25-precarite", papier="a3", **filters
            ),
        }
    assert links == expected
    assert links["svg"].startswith(root + "/publics/")


# ----------------------------------------------------------------------------- PDF
def _pdf_pages(data: bytes) -> tuple[int, list[tuple[float, float]]]:
    """(page count of the page tree, page sizes in points) read from cairo's PDF, whose
    object dictionaries are plain text (only content streams are compressed)."""
    count = int(re.search(rb"/Type /Pages\b[^>]*?/Count (\d+)", data, re.S).group(1))
    boxes = [
        (float(m.group(3)) - float(m.group(1)), float(m.group(4)) - float(m.group(2)))
        for m in re.finditer(rb"/MediaBox \[ *([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+) *\]", data)
    ]
    return count, boxes


needs_cairo = pytest.mark.skipif(
    bool(pdf_unavailable()),
    reason=f"CairoSVG cannot load libcairo2 (Debian package libcairo2): {pdf_unavailable()}",
)


@needs_cairo
@pytest.mark.parametrize(
    ("query", "size", "name"),
    [
        ("", (841.89, 595.28), "toile-jeunes-moins-25-precarite-59350.pdf"),
        ("&papier=a3", (1190.55, 841.89), "toile-jeunes-moins-25-precarite-59350-a3.pdf"),
    ],
)
def test_pdf_download_is_a_poster_and_its_list_on_the_chosen_paper(client, query, size, name):
    r = client.get("/publics/jeunes-moins-25-precarite/toile.pdf?lieu=59350" + query)
    assert r.status_code == 200
    assert r.mimetype == "application/pdf"
    assert r.data.startswith(b"%PDF-")
    assert f'filename="{name}"' in r.headers["Content-Disposition"]
    assert client.calls[-1] == ("jeunes-moins-25-precarite", None, "59350", None)
    count, boxes = _pdf_pages(r.data)
    assert count >= 2  # the poster, then the list of its 12 entries
    assert len(boxes) == count
    assert all(box == pytest.approx(size, abs=0.05) for box in boxes)


@needs_cairo
def test_pdf_page_holds_title_drawing_and_footer_in_its_margins():
    from santegraph.toile.pdf import MARGIN_MM, PX_PER_MM, page_svg, render_pdf

    toile = make_toile(60, links=20, hostile=True)
    toile.need_label = "Santé mentale"
    page = parse(page_svg(toile, paper="a4", footer="Source : https://exemple.fr/x?a=1&b=2"))
    width, height = float(page.get("width")), float(page.get("height"))
    assert (width, height) == pytest.approx((297 * PX_PER_MM, 210 * PX_PER_MM), abs=0.01)
    texts = page.findall(SVG + "text")
    assert texts[0].text == "Qui s'occupe des jeunes de moins de 25 ans en situation de précarité ?"
    assert texts[1].text.startswith("Filtres : public : Jeunes de moins de 25 ans")
    assert texts[1].text.endswith("; besoin : Santé mentale")
    assert texts[-1].text == "Source : https://exemple.fr/x?a=1&b=2"
    drawing = page.find(SVG + "svg")
    assert drawing.get("viewBox") and drawing_actor_total(drawing) == 60
    margin = MARGIN_MM * PX_PER_MM
    x, y = float(drawing.get("x")), float(drawing.get("y"))
    w, h = float(drawing.get("width")), float(drawing.get("height"))
    assert x >= margin - 0.01 and x + w <= width - margin + 0.01
    assert y > float(texts[1].get("y")) and y + h < float(texts[-1].get("y"))
    assert render_pdf(toile, paper="a3").startswith(b"%PDF-")  # hostile labels too


def pdf_text(data: bytes) -> list[str]:
    """The text of each page of a PDF, whitespace made single (pypdf)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


@needs_cairo
@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_on_paper_every_name_is_whole_and_the_list_has_the_contacts(paper):
    """Read back from the PDF itself: the poster writes every name whole (wrapped, never
    cut), says its date and its sources; the next pages list every entry with its
    contacts, then the dispositifs and the entries of unknown territory."""
    from santegraph.toile.pdf import render_pdf

    toile = make_toile(13, links=4)
    toile.edited = "3 mars 2026"
    toile.sources = ["Procès-verbal fictif du 6 juillet 2023"]
    toile.actors[0] = dataclasses.replace(
        toile.actors[0],
        label="Union nationale fictive de familles et amis de personnes malades",
        phone="01 99 00 10 01",
        email="contact@example.org",
        address="3 rue des Dunes Fictives, 59140 Dunkerque",
    )
    programme = ToileActor(BASE + "acteur/p", "Programme fictif de la Baie", is_actor=False)
    toile.programmes = [programme]
    toile.unplaced = [ToileActor(BASE + "acteur/u", "Association fictive sans territoire")]
    poster, *pages = pdf_text(render_pdf(toile, paper=paper, footer="Toile en ligne : x"))
    assert poster.startswith("Qui s'occupe des jeunes de moins de 25 ans")
    assert "Édité le 3 mars 2026" in poster
    assert "D'après : Procès-verbal fictif du 6 juillet 2023" in poster
    for actor in toile.actors:
        assert actor.label in poster  # whole, its lines joined back
    assert "…" not in poster
    listed = " ".join(pages)
    for actor in toile.actors + toile.programmes + toile.unplaced:
        assert actor.label in listed
    assert "Tél. 01 99 00 10 01 · contact@example.org" in listed
    assert "Adresse : 3 rue des Dunes Fictives, 59140 Dunkerque" in listed
    assert listed.index("Dispositifs et programmes (1)") < listed.index("Territoire non renseigné")
    assert pages[0].startswith("Qui s'occupe des") and f"page 2 sur {len(pages) + 1}" in pages[0]


@needs_cairo
def test_an_empty_toile_prints_an_explanation_not_a_circle():
    from santegraph.toile.model import WidenStep
    from santegraph.toile.pdf import page_svg, render_pdf

    toile = make_toile(0)
    toile.place_dans, toile.place_label = "à Dunkerque", "Dunkerque"
    toile.widen = [WidenStep("departement/59", "Nord", "Département", "dans le Nord", 3)]
    toile.unplaced = [ToileActor(BASE + "acteur/u", "Association fictive sans territoire")]
    assert parse(page_svg(toile)).find(SVG + "svg") is None  # no drawing at all
    poster, *rest = pdf_text(render_pdf(toile))
    assert "Aucune organisation n'est enregistrée pour ce public à Dunkerque." in poster
    assert "dans le Nord (Département) : 3 réponses" in poster
    assert "Association fictive sans territoire" in poster
    assert rest  # and the list of the entry of unknown territory


def test_paper_labels_are_whole_names_and_never_collide():
    toile = make_toile(40, sectors=5)
    root = parse(render_svg(toile, paper=True))
    boxes = []
    names = {a.iri: a.label for a in toile.actors}
    for g in root.iter(SVG + "g"):
        if g.get("class") != "acteur":
            continue
        t = g.find(f"{SVG}text[@class='etiquette']")
        lines = [span.text for span in t.findall(SVG + "tspan")]
        assert " ".join(lines) == names[g.get("data-iri")]  # the whole name
        half_w = max(len(line) for line in lines) * toile_svg.LABEL_SIZE * 0.62 / 2
        x, y = float(t.get("x")), float(t.get("y"))
        bottom = y + 3 + (len(lines) - 1) * toile_svg.LABEL_SIZE * 1.15
        boxes.append((x - half_w, y - toile_svg.LABEL_SIZE, x + half_w, bottom))
    assert boxes
    for a, b in itertools.combinations(boxes, 2):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def drawing_actor_total(root: ET.Element) -> int:
    singles = root.findall(f".//{SVG}g[@class='acteur']")
    groups = root.findall(f".//{SVG}g[@class='groupe']")
    return len(singles) + sum(int(g.get("data-count")) for g in groups)


@needs_cairo
def test_pdf_refuses_an_unknown_paper(client):
    r = client.get("/publics/jeunes-moins-25-precarite/toile.pdf?papier=a0")
    assert r.status_code == 400
    assert "a4 ou a3" in r.get_data(as_text=True)


def test_without_cairo_the_pdf_is_503_in_french_and_no_link_is_offered(client, monkeypatch):
    from flask import render_template_string

    from santegraph.toile import pdf

    macro = '{% from "toile/_tools.html" import toile_tools %}{{ toile_tools("p", {}) }}'
    with client.application.test_request_context("/publics/p"):
        here = render_template_string(macro)
    assert ("/publics/p/toile.pdf?papier=a3" in here) == (not pdf.unavailable_reason())
    monkeypatch.setattr(pdf, "unavailable_reason", lambda: "OSError: no library called cairo")
    r = client.get("/publics/jeunes-moins-25-precarite/toile.pdf", headers={"Accept": "text/html"})
    assert r.status_code == 503
    from bs4 import BeautifulSoup

    text = BeautifulSoup(r.data, "html.parser").get_text()
    assert "Le PDF n'est pas disponible sur ce serveur (bibliothèque cairo absente)" in text
    with client.application.test_request_context("/publics/p"):
        without = render_template_string(macro)
    assert "toile.pdf" not in without
    assert "toile.svg" in without


def test_unavailable_reason_names_what_failed_to_load(monkeypatch):
    import sys

    from santegraph.toile import pdf

    monkeypatch.setitem(sys.modules, "cairosvg", None)  # import cairosvg -> ImportError
    reason = pdf.unavailable_reason.__wrapped__()
    assert reason.startswith("ModuleNotFoundError") and "cairosvg" in reason


def test_a_small_toile_is_as_wide_as_its_legend():
    """The arrow's meaning, the legend's longest line, is not cut at the right edge of a
    small drawing (it was, at 4 actors: « … une étape de son parco »)."""
    root = parse(render_svg(make_toile(1)))
    width = float(root.get("viewBox").split()[2])
    assert width >= toile_svg.LEGEND_LINE_W
