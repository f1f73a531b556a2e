"""Projected coordinates of the FINESS extraction -> WGS 84 longitude and latitude.

FINESS gives each establishment's position in the projection of its territory, named in
the ``sourcecoordet`` column (``…,EPSG:2154 RGF93 / Lambert-93 (Métropole)``,
``…,EPSG:5490 RGAF09/UTM Zone 20N (Antilles)``…). The geodetic systems behind them (RGF93,
RGAF09, RGFG95, RGR92, RGM04) are realisations of the ITRS that agree with WGS 84 to well
under a metre, so only the projection is undone: Lambert-93 by IGN's algorithm (note
NT/G 71, ALG0004 then ALG0001), UTM by Krüger's series (the same formulas as PROJ's
``tmerc``, to a few millimetres). No dependency, no network.
"""

from __future__ import annotations

import math
import re

# GRS 80 (RGF93 and the overseas frames); WGS 84 differs from it by 0.1 mm in b
A = 6378137.0
F = 1 / 298.257222101
E = math.sqrt(2 * F - F * F)

# Lambert-93 constants (IGN): cone constant, projection constant, pole coordinates
L93_N = 0.7256077650
L93_C = 11754255.426
L93_XS = 700000.0
L93_YS = 12655612.050
L93_LON0 = math.radians(3.0)

# EPSG code -> (UTM zone, hemisphere) for the systems FINESS uses overseas
UTM_ZONES = {
    5490: (20, "N"),  # RGAF09 / UTM 20N (Guadeloupe, Martinique)
    4559: (20, "N"),  # RRAF 1991 / UTM 20N
    2972: (22, "N"),  # RGFG95 / UTM 22N (Guyane)
    2975: (40, "S"),  # RGR92 / UTM 40S (La Réunion)
    4471: (38, "S"),  # RGM04 / UTM 38S (Mayotte)
}
LAMBERT_93 = 2154

_EPSG = re.compile(r"EPSG:(\d+)")
_UTM = re.compile(r"UTM\s+zone\s+(\d{1,2})\s*([NS])", re.IGNORECASE)


def crs_of(source: str) -> int | None:
    """The EPSG code a ``sourcecoordet`` text names, or None.

    >>> crs_of("1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole)")
    2154
    >>> crs_of("2,ATLASANTE,90,BAN,WGS84/UTM zone 21N (St-Pierre-et-Miquelon)")
    32621
    """
    found = _EPSG.search(source or "")
    if found:
        return int(found.group(1))
    utm = _UTM.search(source or "")
    if utm:  # WGS 84 / UTM without an EPSG code: 326zz north, 327zz south
        return (32600 if utm.group(2).upper() == "N" else 32700) + int(utm.group(1))
    return None


def to_wgs84(x: float, y: float, epsg: int) -> tuple[float, float] | None:
    """(longitude, latitude) in degrees, or None for a projection not handled here."""
    if epsg == LAMBERT_93:
        return _lambert93(x, y)
    zone = UTM_ZONES.get(epsg)
    if zone is None and (32601 <= epsg <= 32660 or 32701 <= epsg <= 32760):
        zone = (epsg % 100, "N" if epsg < 32700 else "S")
    if zone is None:
        return None
    return _utm(x, y, *zone)


def _latitude_from_isometric(iso: float) -> float:
    """IGN ALG0001: geographic latitude from isometric latitude (fixed point)."""
    phi = 2 * math.atan(math.exp(iso)) - math.pi / 2
    for _ in range(20):
        sin = E * math.sin(phi)
        new = 2 * math.atan(((1 + sin) / (1 - sin)) ** (E / 2) * math.exp(iso)) - math.pi / 2
        if abs(new - phi) < 1e-12:
            return new
        phi = new
    return phi


def _lambert93(x: float, y: float) -> tuple[float, float]:
    dx, dy = x - L93_XS, L93_YS - y
    radius = math.hypot(dx, dy)
    gamma = math.atan2(dx, dy)
    lon = L93_LON0 + gamma / L93_N
    iso = -math.log(radius / L93_C) / L93_N
    return math.degrees(lon), math.degrees(_latitude_from_isometric(iso))


def _utm(easting: float, northing: float, zone: int, hemisphere: str) -> tuple[float, float]:
    k0 = 0.9996
    n = F / (2 - F)
    big_a = A / (1 + n) * (1 + n**2 / 4 + n**4 / 64)
    beta = (
        n / 2 - 2 * n**2 / 3 + 37 * n**3 / 96,
        n**2 / 48 + n**3 / 15,
        17 * n**3 / 480,
    )
    delta = (
        2 * n - 2 * n**2 / 3 - 2 * n**3,
        7 * n**2 / 3 - 8 * n**3 / 5,
        56 * n**3 / 15,
    )
    xi = (northing - (10_000_000.0 if hemisphere == "S" else 0.0)) / (k0 * big_a)
    eta = (easting - 500_000.0) / (k0 * big_a)
    xi_p = xi - sum(
        b * math.sin(2 * j * xi) * math.cosh(2 * j * eta) for j, b in enumerate(beta, 1)
    )
    eta_p = eta - sum(
        b * math.cos(2 * j * xi) * math.sinh(2 * j * eta) for j, b in enumerate(beta, 1)
    )
    chi = math.asin(math.sin(xi_p) / math.cosh(eta_p))
    lat = chi + sum(d * math.sin(2 * j * chi) for j, d in enumerate(delta, 1))
    lon0 = math.radians(zone * 6 - 183)
    lon = lon0 + math.atan2(math.sinh(eta_p), math.cos(xi_p))
    return math.degrees(lon), math.degrees(lat)
