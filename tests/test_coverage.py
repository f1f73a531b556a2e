"""Zones blanches (professional/coverage.py), on small hand-made facts: what a kind
covers, what it leaves, the population concerned, said in French numbers."""

from santegraph.professional.coverage import (
    Covering,
    area_coverage,
    coverage_svg,
    nombre,
    percent,
)

COMMUNES = {"c1": 1000, "c2": 250, "c3": 50, "c4": 0}
GROUPS = {"c1": ("e1", "CA Fictive"), "c2": ("e1", "CA Fictive"), "c3": ("e2", "CC Fictive"),
          "c4": ("c4", "Commune isolée")}  # fmt: skip


def coverage(coverings):
    return area_coverage(
        COMMUNES,
        coverings,
        labels={"k:CPTS": "CPTS", "k:DAC": "DAC"},
        names={"k:CPTS": "CPTS"},
        group_of=GROUPS,
    )


def test_a_kind_covers_some_communes_and_leaves_the_rest_in_zone_blanche():
    cpts = Covering("k:CPTS", {"i1": ("CPTS Fictive", {"c1", "c3", "elsewhere"})})
    cpts.unplaced = [("i2", "CPTS sans territoire")]
    found, dac = coverage({"k:CPTS": cpts})
    assert (found.label, found.name, found.communes, found.covered) == ("CPTS", "CPTS", 4, 2)
    assert (found.population, found.blank_population, found.covered_population) == (1300, 250, 1050)
    assert found.instances == [("i1", "CPTS Fictive")] and not found.missing
    assert found.unplaced == [("i2", "CPTS sans territoire")]
    # zones blanches by group, most people first; the whole group or part of it
    assert [(b.label, b.communes, b.of, b.population, b.whole) for b in found.blanks] == [
        ("CA Fictive", 1, 2, 250, False),
        ("Commune isolée", 1, 1, 0, True),
    ]
    # a kind no instance covers: expected and absent, everyone in zone blanche
    assert dac.missing and dac.covered == 0 and dac.blank_population == 1300
    assert [b.label for b in dac.blanks] == ["CA Fictive", "CC Fictive", "Commune isolée"]


def test_the_picture_names_and_counts_every_part():
    items = coverage({"k:CPTS": Covering("k:CPTS", {"i1": ("X", {"c1"})})})
    svg = coverage_svg(items, title="Couverture <fictive>")
    assert 'role="img"' in svg and "Couverture &lt;fictive&gt;" in svg
    assert "77\u00a0% couverte · 300 habitants en zone blanche (3 communes)" in svg
    assert "0\u00a0% couverte · 1\u202f300 habitants en zone blanche" in svg  # the DAC
    assert svg.count("<rect") == 1 + 2 + 2 + 1  # background, legend, CPTS 2 parts, DAC 1


def test_french_numbers():
    assert nombre(5992194) == "5\u202f992\u202f194"
    assert percent(1, 3) == "33\u00a0%"
    assert percent(1, 1000) == "moins de 1\u00a0%"
    assert percent(0, 0) == "0\u00a0%"
