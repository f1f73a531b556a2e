"""Figures are data (issue 17, cause 1): no stated quantity lives only in a text field.

A heuristic reads every `sg:constat` and `dct:description` of the content for numbers
followed by a unit or a counted noun ("96,5 %", "6 800 €", "5 ans", "8 CSNP", "120
personnes") and requires, for each, a `sg:Quantite` carrying that number (as its value,
a bound of its range or the base of its rate) that is a quantity of the same resource or
quotes a passage of that text. The offenders are listed; an exception needs its reason
below.
"""

from __future__ import annotations

import re

from .conftest import BASE

NUMBER = r"[+-]?\s?\d{1,3}(?:[ \u202f\u00a0]\d{3})+(?:,\d+)?|[+-]?\s?\d+(?:,\d+)?"
UNITS = (
    r"%|€|euros?|ans?|années?|minutes?|habitants|personnes|participants|ateliers|actions"
    r"|défis|solutions|capsules|groupes|territoires|CSNP|étapes|places|patients?"
    r"|priorités|propositions|thèmes"
)
FIGURE = re.compile(rf"(?<![\w/.,^-])({NUMBER})\s*(?:{UNITS})(?![\w-])")

# (resource, figure as written) -> why it is not a quantity. Keep it short and justified.
EXCEPTIONS: dict[tuple[str, str], str] = {
    # the age bound names the indicator; it is part of the grandeur, not a figure of its own
    ("concertation/hainaut", "25 ans"): "grandeur/part-moins-25-ans",
    ("concertation/hainaut", "65 ans"): "grandeur/surmortalite-moins-65-ans-hommes, -femmes",
}


def figures(text: str) -> list[tuple[str, float]]:
    found = []
    for match in FIGURE.finditer(text):
        raw = match.group(1)
        number = re.sub(r"[\s\u202f\u00a0+]", "", raw).replace(",", ".")
        found.append((match.group(0).strip(), abs(float(number))))
    return found


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def offenders(content) -> list[str]:
    texts = content.select(
        """SELECT DISTINCT ?s ?text WHERE {
             GRAPH ?g { ?s sg:constat|dct:description ?text }
             FILTER NOT EXISTS { GRAPH ?g { ?o a <http://www.w3.org/2002/07/owl#Ontology> } }
             FILTER(isLiteral(?text))
           }"""
    )
    quantities = content.select(
        """SELECT ?q ?of ?v ?citation WHERE {
             ?q a sg:Quantite ; sg:quantiteDe ?of ; sg:citation ?citation .
             ?q sg:valeur|sg:valeurMin|sg:valeurMax|sg:baseRapport ?v }"""
    )
    by_subject: dict[str, set[float]] = {}
    by_citation: list[tuple[str, float]] = []
    for row in quantities:
        value = abs(float(row["v"]))
        by_subject.setdefault(row["of"], set()).add(value)
        by_citation.append((normalise(row["citation"]), value))
    found = []
    for row in texts:
        subject, text = row["s"], normalise(row["text"])
        for written, value in figures(text):
            if value in by_subject.get(subject, set()):
                continue
            if any(value == v and citation in text for citation, v in by_citation):
                continue
            key = (subject.removeprefix(BASE), written)
            if key not in EXCEPTIONS:
                found.append(f"{key[0]}: « {written} »")
    return sorted(set(found))


def test_the_heuristic_reads_french_figures():
    assert figures("soit + 50,3 % pour les hommes") == [("+ 50,3 %", 50.3)]
    assert figures("d'un peu plus de 6 800 € inférieur") == [("6 800 €", 6800.0)]
    assert figures("de 2 à 13 000 euros") == [("13 000 euros", 13000.0)]
    assert figures("8 CSNP retenus ; 6 capsules vidéo de 4 minutes") == [
        ("8 CSNP", 8.0),
        ("6 capsules", 6.0),
        ("4 minutes", 4.0),
    ]
    # dates, codes, ordinals and names are not figures
    assert figures("le 17 mars 2023, secteurs 59G05, article 51, le 1^{er} stage") == []


def test_the_check_sees_a_figure_left_in_text(content):
    """Not vacuous: a constat whose figure has no quantity is reported."""
    extra = [{"s": BASE + "action/x", "text": "Seuls 42 % des internes restent."}]

    class WithExtra:
        def select(self, query):
            rows = content.select(query)
            return rows + extra if "constat" in query else rows

    assert offenders(WithExtra()) == ["action/x: « 42 % »"]


def test_every_figure_of_a_text_field_is_a_quantity(content):
    assert offenders(content) == []
