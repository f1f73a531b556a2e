"""Mentions are entities, linked the same way everywhere (issue 17, cause 6).

A heuristic reads the texts of every solution, proposition and action (title, constats,
description, "qui est impliqué", expected benefits...) for the name of an organisation,
dispositif or programme the graph knows (its prefLabel, an altLabel or its acronym, whole
words, case-insensitive; an all-capitals acronym must match as written, so AIDES is not
"aides") and requires the element to link it: `sg:implique`, `sg:mobilise`, `sg:porteur` or
`sg:partenaire`. A name shared by several organisations ("CPAM" is the acronym of three) is
ambiguous and skipped. The offenders are listed; an exception needs its reason below.
"""

from __future__ import annotations

import re
from collections import defaultdict

from .conftest import BASE

TEXT_PROPERTIES = (
    "skos:prefLabel sg:constat dct:description sg:acteursImpliques sg:fonctionnementIdeal"
    " sg:beneficesAttendus sg:beneficiaires sg:attentesTerritoire sg:attentesNational"
    " sg:nomIdee sg:pourFaireQuoi"
)
LINKS = "sg:implique sg:mobilise sg:porteur sg:partenaire"

# (element, organisation) -> why the element names it without linking it
EXCEPTIONS: dict[tuple[str, str], str] = {}


def names(content) -> dict[str, set[str]]:
    rows = content.select(
        """SELECT DISTINCT ?a ?name WHERE {
             { ?a a sg:Acteur } UNION { ?a a sg:Dispositif }
             FILTER NOT EXISTS { ?a a <http://www.w3.org/2002/07/owl#Class> }
             ?a skos:prefLabel|skos:altLabel|sg:sigle ?name }"""
    )
    by_name: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        name = row["name"].strip()
        if len(name) >= 4:
            by_name[name if name.isupper() else name.casefold()].add(row["a"])
    return by_name


def offenders(content) -> list[str]:
    by_name = names(content)
    texts: dict[str, list[str]] = defaultdict(list)
    for row in content.select(
        f"""SELECT ?x ?text WHERE {{
              {{ ?x a sg:Proposition }} UNION {{ ?x a sg:Solution }} UNION {{ ?x a sg:Action }}
              VALUES ?p {{ {TEXT_PROPERTIES} }}
              ?x ?p ?text . FILTER(isLiteral(?text)) }}"""
    ):
        texts[row["x"]].append(row["text"])
    links: dict[str, set[str]] = defaultdict(set)
    for row in content.select(f"SELECT ?x ?a WHERE {{ VALUES ?p {{ {LINKS} }} ?x ?p ?a }}"):
        links[row["x"]].add(row["a"])
    found = set()
    for element, parts in texts.items():
        text = " ".join(parts)
        for name, organisations in by_name.items():
            if len(organisations) != 1:
                continue  # ambiguous: several organisations share this name
            (organisation,) = organisations
            if organisation in links[element]:
                continue
            flags = 0 if name.isupper() else re.IGNORECASE
            if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, flags):
                key = (element.removeprefix(BASE), organisation.removeprefix(BASE))
                if key not in EXCEPTIONS:
                    found.add(f"{key[0]} names {key[1]} (« {name} ») without linking it")
    return sorted(found)


def test_every_named_organisation_is_linked_where_it_is_named(content):
    assert offenders(content) == []


def test_a_vague_mention_is_an_entity_with_a_note(content):
    # « à Denain où la CPTS est en train de travailler le sujet »: a CPTS without a name
    assert content.ask(
        """ASK { <action/metropole-flandres/17> sg:implique ?cpts .
                 ?cpts a sg:CPTS ; sg:localisation <territoire/commune/59172> ;
                       skos:note ?why }"""
    )
