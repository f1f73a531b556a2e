"""Places: records land on their COG commune; coordinates come back to WGS 84."""

from __future__ import annotations

import pytest

from santegraph.directories.geodesy import crs_of, to_wgs84
from santegraph.directories.places import Places

from .conftest import BASE

COMMUNE = BASE + "territoire/commune/"


@pytest.fixture
def places(store):
    return Places.load(store, BASE)


def test_the_current_cog_is_read_and_the_archive_left_aside(places):
    assert places.communes["59183"] == COMMUNE + "59183"
    assert places.names[COMMUNE + "59067"] == "Bergues"
    assert places.departement_of[COMMUNE + "80001"] == "80"
    assert places.departements["59"] == BASE + "territoire/departement/59"
    assert places.epcis["245901160"] == BASE + "territoire/epci/245901160"
    assert not any("cog-2022" in iri for iri in places.communes.values())


def test_a_current_code_is_its_commune(places):
    placed = places.resolve("59183")
    assert (placed.commune, placed.departement, placed.message) == (COMMUNE + "59183", "59", "")


def test_a_former_code_lands_on_the_commune_that_replaced_it_and_is_reported(places):
    placed = places.resolve("59540", "59430", "Saint-Pol-sur-Mer")
    assert placed.commune == COMMUNE + "59183"
    assert (
        placed.severity == "Info"
        and "59540 ancien" in placed.message
        and "Dunkerque" in placed.message
    )


def test_a_postcode_alone_finds_the_only_commune_with_it(places):
    placed = places.resolve("", "80100", "Abbeville")
    assert placed.commune == COMMUNE + "80001"
    assert "code postal 80100" in placed.message


def test_a_shared_postcode_is_resolved_by_the_name(places):
    assert len(places.by_postcode["59380"]) > 1
    placed = places.resolve("", "59380", "BERGUES")
    assert placed.commune == COMMUNE + "59067"
    nowhere = places.resolve("", "59380", "Ville Imaginaire")
    assert nowhere.commune == "" and "plusieurs communes" in nowhere.message


@pytest.mark.parametrize(
    ("code", "postcode", "said"),
    [
        ("01451", "", "code INSEE 01451 inconnu du COG chargé"),
        ("", "75001", "code postal 75001 inconnu du COG chargé"),
        ("", "", "ni code INSEE ni code postal"),
    ],
)
def test_what_cannot_be_placed_is_reported_not_guessed(places, code, postcode, said):
    placed = places.resolve(code, postcode)
    assert placed.commune == "" and placed.severity == "Warning" and said in placed.message


def test_zones_of_eligibility(places):
    assert places.zone("59183") == COMMUNE + "59183"
    assert places.zone("59") == BASE + "territoire/departement/59"
    assert places.zone("245901160") == BASE + "territoire/epci/245901160"
    assert places.zone("france") == "" and places.zone("75") == ""


# Reference values computed with pyproj (EPSG definitions), five decimals.
@pytest.mark.parametrize(
    ("x", "y", "epsg", "lon", "lat"),
    [
        (870262.2, 6571540.8, 2154, 5.20918, 46.22229),  # Lambert-93
        (657242.9, 1795384.4, 5490, -61.52874, 16.23400),  # RGAF09 / UTM 20N
        (353672.8, 544349.1, 2972, -52.31973, 4.92347),  # RGFG95 / UTM 22N
        (323086.6, 7679599.8, 2975, 55.29821, -20.97571),  # RGR92 / UTM 40S
        (524819.9, 8587194.7, 4471, 45.22868, -12.77989),  # RGM04 / UTM 38S
        (563213.8, 5180306.8, 32621, -56.17201, 46.77332),  # WGS 84 / UTM 21N
    ],
)
def test_finess_projections_to_wgs84(x, y, epsg, lon, lat):
    got = to_wgs84(x, y, epsg)
    assert got is not None
    assert (round(got[0], 5), round(got[1], 5)) == (lon, lat)


def test_the_projection_is_read_from_sourcecoordet():
    assert crs_of("1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole)") == 2154
    assert crs_of("2,ATLASANTE,90,BAN,WGS84/UTM zone 21N (St-Pierre-et-Miquelon)") == 32621
    assert crs_of("") is None
    assert to_wgs84(1, 2, 9999) is None
