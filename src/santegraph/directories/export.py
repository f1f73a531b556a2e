"""``export-directory data-inclusion``: santegraph's organisations and services as records
of the national schema, so that what stewards entered can feed data·inclusion.

Every organisation (``sg:Acteur`` and its kinds: the CNR actors, the CPTS, DAC, CLSM a
steward added, the imported ones) becomes a ``Structure``, every ``sg:Service`` a
``Service``, each checked by ``data-inclusion-schema`` (v1) before it is written: a record
the schema refuses is left out and said why. Publics and needs become the codes the
vocabularies give them (``sg:codeExterne``, the concept's own or its nearest broader
concept's); the codes an import kept from its source are written back as they were.

Identifiers are santegraph's (``source`` = ``santegraph``, ``id`` = ``santegraph--`` + the
entry's IRI path) and ``lien_source`` is the entry's IRI, so the national hub can tell
santegraph's records from its own and trace them back. ``date_maj`` is the entry's last
update or check (``freshness``); an entry never dated is left out (the schema needs one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pydantic
import pyoxigraph as ox
from data_inclusion.schema import v1

from ..iris import slugify
from ..queries import INTERNAL, QueryCatalogue, catalogue
from ..vocab import SG
from .datainclusion import french
from .freshness import Freshness, freshness

if TYPE_CHECKING:
    from ..config import Settings
    from ..store.base import GraphStore, Row

# an entry's export fields: field -> (value, datatype or other extra)
Fields = Mapping[str, list[tuple[str, str]]]
# concept -> (broader concepts, {datatype: codes})
ConceptCodes = dict[str, tuple[set[str], dict[str, set[str]]]]
PUBLIC_CODE = str(SG.CodeDataInclusionPublic)
THEME_CODE = str(SG.CodeDataInclusionThematique)
KEPT = {
    str(SG.CodeDataInclusionPublic): "publics",
    str(SG.CodeDataInclusionThematique): "thematiques",
    str(SG.CodeDataInclusionModeAccueil): "modes_accueil",
    str(SG.CodeDataInclusionReseauPorteur): "reseaux_porteurs",
    str(SG.CodeDataInclusionTypeService): "type",
}
VALID = {
    "publics": {e.value for e in v1.Public},
    "thematiques": {e.value for e in v1.Thematique},
    "modes_accueil": {e.value for e in v1.ModeAccueil},
    "reseaux_porteurs": {e.value for e in v1.ReseauPorteur},
    "type": {e.value for e in v1.TypeService},
}
OPTIONAL_STRUCTURE = set(v1.Structure.model_fields) - {"source", "id", "nom", "date_maj"}
OPTIONAL_SERVICE = set(v1.Service.model_fields) - {
    "source",
    "id",
    "nom",
    "date_maj",
    "structure_id",
    "description",
}


@dataclass
class ExportResult:
    structures: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def record_id(iri: str, base: str) -> str:
    return "santegraph--" + slugify(iri.removeprefix(base))


def export_data_inclusion(store: GraphStore, settings: Settings) -> ExportResult:
    base = settings.base_iri
    queries = catalogue(INTERNAL)
    facts: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    kinds: dict[str, str] = {}
    for row in store.select(queries["directory_export"].text):
        entry = _value(row, "entree")
        kinds[entry] = _value(row, "genre")
        extra = _value(row, "extra")
        facts[entry][_value(row, "champ")].append((_value(row, "valeur"), extra))
    codes = _concept_codes(store, queries)
    dates = freshness(store, settings)
    result = ExportResult()
    structure_ids: dict[str, str] = {}
    for entry in sorted(e for e, k in kinds.items() if k == "structure"):
        record = _structure(entry, facts[entry], dates.get(entry), base, result)
        if record is not None:
            structure_ids[entry] = record["id"]
            result.structures.append(record)
    for entry in sorted(e for e, k in kinds.items() if k == "service"):
        record = _service(entry, facts[entry], dates.get(entry), base, codes, structure_ids, result)
        if record is not None:
            result.services.append(record)
    return result


def _first(fields: Fields, name: str) -> str:
    values = sorted(v for v, _ in fields.get(name, ()))
    return values[0] if values else ""


def _common(
    entry: str,
    fields: Fields,
    dated: Freshness | None,
    base: str,
    result: ExportResult,
    kind: str,
) -> dict[str, Any] | None:
    name = _first(fields, "nom")
    if not dated or not dated.checked:
        result.problems.append(f"{kind} {entry} « {name} » : jamais datée (date_maj requise)")
        return None
    record: dict[str, Any] = {
        "source": "santegraph",
        "id": record_id(entry, base),
        "nom": name,
        "date_maj": dated.checked,
        "lien_source": entry,
    }
    for field_name in ("description", "siret", "code_postal", "telephone", "courriel"):
        value = _first(fields, field_name)
        if value:
            record[field_name] = value
    if _first(fields, "adresse"):
        record["adresse"] = _first(fields, "adresse")
    commune = sorted(fields.get("code_insee", ()))
    if commune:
        record["code_insee"], record["commune"] = commune[0]
    for axis in ("latitude", "longitude"):
        if _first(fields, axis):
            record[axis] = float(_first(fields, axis))
    if _first(fields, "horaires_accueil"):
        record["horaires_accueil"] = _first(fields, "horaires_accueil")
    return record


def _kept(fields: Fields, name: str) -> list[str]:
    return sorted(
        {v for v, datatype in fields.get("code", ()) if KEPT.get(datatype) == name} & VALID[name]
    )


def _structure(
    entry: str, fields: Fields, dated: Freshness | None, base: str, result: ExportResult
) -> dict[str, Any] | None:
    record = _common(entry, fields, dated, base, result, "structure")
    if record is None:
        return None
    site = _first(fields, "site_web")
    if site:
        record["site_web"] = site
    reseaux = _kept(fields, "reseaux_porteurs")
    if reseaux:
        record["reseaux_porteurs"] = reseaux
    return _validated(v1.Structure, record, OPTIONAL_STRUCTURE, result, entry)


def _service(
    entry: str,
    fields: Fields,
    dated: Freshness | None,
    base: str,
    codes: ConceptCodes,
    structure_ids: dict[str, str],
    result: ExportResult,
) -> dict[str, Any] | None:
    provider = _first(fields, "structure")
    if provider not in structure_ids:
        result.problems.append(f"service {entry} : son prestataire n'est pas exporté")
        return None
    record = _common(entry, fields, dated, base, result, "service")
    if record is None:
        return None
    record["structure_id"] = structure_ids[provider]
    if "description" not in record:
        result.problems.append(f"service {entry} : sans description (requise par le schéma)")
        return None
    record.pop("siret", None)
    site = _first(fields, "site_web")
    if site:
        record["lien_mobilisation"] = site
    if _first(fields, "conditions_acces"):
        record["conditions_acces"] = _first(fields, "conditions_acces")
    publics = set(_kept(fields, "publics"))
    for concept, _ in fields.get("public", ()):
        publics |= _code_of(concept, codes, PUBLIC_CODE)
    if len(publics) > 1:
        publics.discard("tous-publics")  # the schema: tous-publics stands alone
    themes = set(_kept(fields, "thematiques"))
    for concept, _ in fields.get("besoin", ()):
        themes |= _code_of(concept, codes, THEME_CODE)
    for name, values in (("publics", publics), ("thematiques", themes)):
        if values & VALID[name]:
            record[name] = sorted(values & VALID[name])
    for name in ("modes_accueil",):
        if _kept(fields, name):
            record[name] = _kept(fields, name)
    types = _kept(fields, "type")
    if types:
        record["type"] = types[0]
    zones = sorted({v for v, _ in fields.get("zone", ())})
    if zones:
        record["zone_eligibilite"] = zones
    return _validated(v1.Service, record, OPTIONAL_SERVICE, result, entry)


def _validated(
    model: type[pydantic.BaseModel],
    record: dict[str, Any],
    optional: set[str],
    result: ExportResult,
    entry: str,
) -> dict[str, Any] | None:
    """The record if the schema accepts it; an optional field it refuses is left out."""
    for _ in range(3):
        try:
            model.model_validate(record)
            return record
        except pydantic.ValidationError as exc:
            errors = exc.errors()
        bad = {str(e["loc"][0]) for e in errors if e["loc"]}
        if not bad or not bad <= optional:
            reasons = "; ".join(f"{e['loc'][0] if e['loc'] else ''} : {french(e)}" for e in errors)
            result.problems.append(f"{entry} « {record.get('nom', '')} » refusé : {reasons}")
            return None
        for name in bad:
            result.problems.append(f"{entry} : champ {name} non exporté ({record.pop(name)!r})")
    return None


def _concept_codes(store: GraphStore, queries: QueryCatalogue) -> ConceptCodes:
    """concept -> (broader concepts, {datatype: codes})."""
    broader: dict[str, set[str]] = defaultdict(set)
    codes: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in store.select(queries["directory_concept_codes"].text):
        concept = _value(row, "concept")
        broader[concept]
        if row.get("broader") is not None:
            broader[concept].add(_value(row, "broader"))
        code = row.get("code")
        if isinstance(code, ox.Literal):  # the code's datatype names its scheme
            codes[concept][code.datatype.value].add(code.value)
    return {c: (broader[c], codes[c]) for c in broader}


def _code_of(concept: str, codes: ConceptCodes, datatype: str) -> set[str]:
    """The concept's own codes, else the nearest broader concepts' (breadth first)."""
    level, seen = [concept], set[str]()
    while level:
        found: set[str] = set()
        for c in level:
            found |= codes.get(c, (set(), {}))[1].get(datatype, set())
        if found:
            return found
        seen |= set(level)
        level = sorted({b for c in level for b in codes.get(c, (set(), {}))[0]} - seen)
    return set()


def _value(row: Row, name: str) -> str:
    term = row.get(name)
    return "" if term is None else term.value
