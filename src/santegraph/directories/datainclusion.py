"""data·inclusion: structures and services, read and validated with ``data-inclusion-schema``.

The national schema of the "offre d'insertion" (GIP Plateforme de l'inclusion) is published
as the PyPI package ``data-inclusion-schema``; its v1 models (``Structure``, ``Service``)
and enums (``Thematique``, ``Public``, ``ModeAccueil``, ``TypeService``, ``ReseauPorteur``)
validate every record here, so the schema is never described twice. Files may be a JSON
list, JSON Lines or CSV (``,`` or ``;``); structures and services may come in separate
files or together: a record with a ``structure_id`` is a service.

In CSV, a list (``thematiques``, ``publics``…) is a JSON array (``["a","b"]``), a
PostgreSQL array (``{a,b}``) or values separated by ``|`` or ``,``.

A code outside the v1 referentials (an old ``thematiques`` value, say) would make the
package refuse the whole record: it is taken out before validation, kept on the entry as
the source's code (``sg:codeExterne``) and reported. docs/directories.md gives the field
by field mapping.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import pydantic
import pyoxigraph as ox
from data_inclusion.schema import v1

from ..errors import InputError
from . import rdf
from .context import Context
from .model import VIOLATION, WARNING, MatchKeys, Record
from .sources import SourceFile, csv_rows, json_records

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

Model = TypeVar("Model", bound=pydantic.BaseModel)
DATASET_TITLE = "data·inclusion : structures et services d'insertion"
LANDING_PAGE = (
    "https://www.data.gouv.fr/fr/datasets/"
    "referentiel-de-loffre-dinsertion-liste-des-structures-et-services-dinsertion/"
)
# List fields whose values come from a v1 referential; unknown codes are set aside.
ENUM_LISTS: dict[str, type[enum.Enum]] = {
    "thematiques": v1.Thematique,
    "publics": v1.Public,
    "modes_accueil": v1.ModeAccueil,
    "reseaux_porteurs": v1.ReseauPorteur,
    "modes_mobilisation": v1.ModeMobilisation,
    "mobilisable_par": v1.PersonneMobilisatrice,
}
SINGLE_ENUMS: dict[str, type[enum.Enum]] = {"type": v1.TypeService, "frais": v1.Frais}
LIST_FIELDS = set(ENUM_LISTS) | {"zone_eligibilite"}
NOMENCLATURES = {
    "thematiques": "CodeDataInclusionThematique",
    "publics": "CodeDataInclusionPublic",
    "modes_accueil": "CodeDataInclusionModeAccueil",
    "reseaux_porteurs": "CodeDataInclusionReseauPorteur",
    "type": "CodeDataInclusionTypeService",
}
# Property -> source field, to say which field a SHACL result is about.
STRUCTURE_FIELDS = {
    rdf.LABEL: "nom",
    rdf.ALT_LABEL: "nom",
    rdf.DESCRIPTION: "description",
    rdf.sg("siret"): "siret",
    rdf.sg("adresse"): "adresse",
    rdf.sg("codePostal"): "code_postal",
    rdf.sg("localisation"): "code_insee",
    rdf.TELEPHONE: "telephone",
    rdf.EMAIL: "courriel",
    rdf.URL: "site_web",
    rdf.OPENING_HOURS: "horaires_accueil",
    rdf.LAT: "latitude",
    rdf.LONG: "longitude",
    rdf.TYPE: "reseaux_porteurs",
    rdf.sg("secteur"): "reseaux_porteurs",
}
SERVICE_FIELDS = {
    **STRUCTURE_FIELDS,
    rdf.URL: "lien_mobilisation",
    rdf.AUDIENCE: "publics",
    rdf.THEMATIC_AREA: "thematiques",
    rdf.SPATIAL: "zone_eligibilite",
    rdf.sg("roleParcours"): "type",
    rdf.sg("prestataire"): "structure_id",
    rdf.SCOPE_NOTE: "conditions_acces",
}


def dataset_description(context: Context) -> list[ox.Triple]:
    title = f"{DATASET_TITLE} ({context.dataset})"
    return rdf.dataset_triples(context.dataset_node, title, LANDING_PAGE)


def read(files: Iterable[SourceFile], context: Context) -> Iterator[Record]:
    """Every record of the files, structures and services, mapped (services last but in
    file order: a service needs its structure's place and final IRI, set later)."""
    for source in files:
        for where, raw in _raw_records(source, context):
            if "structure_id" in raw:
                yield map_service(raw, source.name, where, context)
            else:
                yield map_structure(raw, source.name, where, context)


def _raw_records(source: SourceFile, context: Context) -> Iterator[tuple[str, dict[str, Any]]]:
    head = source.head(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"[", b"{")):
        yield from json_records(source, context.max_depth)
        return
    rows = csv_rows(source)
    _, header = next(rows)
    header = [h.strip() for h in header]
    if "id" not in header or "nom" not in header:
        raise InputError(
            "en-tête CSV data·inclusion attendu (colonnes id, nom, source, date_maj…) en ligne 1",
            source=source.name,
            line=1,
        )
    for line, cells in rows:
        if len(cells) > len(header):
            raise InputError(
                f"ligne {line} : {len(cells)} cellules pour {len(header)} colonnes",
                source=source.name,
            )
        raw = {name: cells[i] for i, name in enumerate(header) if i < len(cells)}
        yield f"ligne {line}", _from_csv(raw)


def _from_csv(raw: dict[str, str]) -> dict[str, Any]:
    """CSV cells as the JSON the schema reads: empty -> absent, lists split."""
    out: dict[str, Any] = {}
    for name, value in raw.items():
        value = value.strip()
        if not value:
            continue
        if name in LIST_FIELDS:
            out[name] = _split_list(value)
        else:
            out[name] = value
    return out


def _split_list(value: str) -> list[str]:
    if value.startswith("["):
        try:
            items = json.loads(value)
            if isinstance(items, list):
                return [str(i).strip() for i in items if str(i).strip()]
        except json.JSONDecodeError:
            pass
    if value.startswith("{") and value.endswith("}"):
        value = value[1:-1]
    separator = "|" if "|" in value else ","
    return [v.strip().strip('"') for v in value.split(separator) if v.strip().strip('"')]


# ---------------------------------------------------------------- validation
def _set_aside_unknown_codes(raw: dict[str, Any], record: Record) -> dict[str, list[str]]:
    """Take codes outside the v1 referentials out of the record (the package would refuse
    the whole record); they are kept and reported by the caller."""
    unknown: dict[str, list[str]] = {}
    for name, enum_type in ENUM_LISTS.items():
        values = raw.get(name)
        if values is None:
            continue
        if isinstance(values, str):
            values = _split_list(values)
        if not isinstance(values, list):
            continue  # the package says what is wrong
        known = {e.value for e in enum_type}
        raw[name] = [v for v in values if v in known] or None
        unknown[name] = [v for v in values if isinstance(v, str) and v not in known]
    for name, enum_type in SINGLE_ENUMS.items():
        value = raw.get(name)
        if isinstance(value, str) and value not in {e.value for e in enum_type}:
            unknown[name] = [value]
            raw[name] = None
    for name, codes in unknown.items():
        for code in codes:
            record.problem(
                WARNING,
                f"code « {code} » hors du référentiel data·inclusion v1 : gardé tel quel, "
                "sans correspondance",
                field=name,
                value=code,
                topic="correspondance",
            )
    return {k: v for k, v in unknown.items() if v}


def validate(model: type[Model], raw: dict[str, Any], record: Record) -> Model | None:
    """The v1 model of the record, or None with the reasons as French problems.

    The package's own warnings (a name ending with a period…) are reported as warnings
    and do not reject the record."""
    try:
        return model.model_validate(raw, context={"ignore_warnings": False})
    except pydantic.ValidationError as exc:
        errors = exc.errors()
    blocking = [e for e in errors if e["type"] != "avertissement"]
    for error in errors:
        severity = WARNING if error["type"] == "avertissement" else VIOLATION
        field = ".".join(str(p) for p in error["loc"][:1]) or ""
        value = error.get("input")
        plain = isinstance(value, str | int | float) and not isinstance(value, bool)
        shown = value if plain else ""
        record.problem(severity, french(error), field=field, value=str(shown)[:80])
    if blocking:
        return None
    return model.model_validate(raw)  # warnings only: the record itself is valid


def french(error: ErrorDetails) -> str:
    """A pydantic error of data-inclusion-schema, said in French to a steward."""
    kind, ctx = error["type"], error.get("ctx") or {}
    field = str(error["loc"][0]) if error["loc"] else ""
    hints = {
        "siret": "14 chiffres sans espace",
        "code_postal": "5 chiffres",
        "code_insee": "code INSEE de 5 caractères",
    }
    if kind == "missing":
        return "champ obligatoire manquant"
    if field in hints and kind in (
        "string_too_short",
        "string_too_long",
        "string_pattern_mismatch",
    ):
        return f"format invalide ({hints[field]})"
    if kind == "string_too_short":
        return f"texte trop court (au moins {ctx.get('min_length')} caractères)"
    if kind == "string_too_long":
        return f"texte trop long (au plus {ctx.get('max_length')} caractères)"
    if kind == "string_pattern_mismatch":
        return f"format invalide ({hints.get(field, 'voir le schéma data·inclusion')})"
    if kind.startswith("date_"):
        return "date invalide (attendu AAAA-MM-JJ)"
    if kind.startswith("url"):
        return "adresse web invalide (attendu https://…)"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type"):
        return "nombre invalide"
    if kind in ("too_short",):
        return "liste vide : au moins une valeur attendue"
    if kind in ("greater_than_equal", "greater_than"):
        return f"valeur trop petite (au moins {ctx.get('ge', ctx.get('gt'))})"
    if kind in ("string_type", "list_type", "set_type"):
        return "type de valeur inattendu (texte ou liste attendu)"
    if kind == "enum":
        return "valeur hors du référentiel data·inclusion v1"
    if kind == "value_error" and "email" in str(error.get("msg", "")):
        return "adresse électronique invalide"
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    return message or f"valeur refusée par le schéma data·inclusion ({kind})"


# ---------------------------------------------------------------- structures
def map_structure(raw: dict[str, Any], file: str, where: str, context: Context) -> Record:
    ident = str(raw.get("id") or "").strip()
    record = context.new_record(
        "structure", ident or f"sans-id-{where}", str(raw.get("nom") or ""), file, where, "acteur"
    )
    record.fields = STRUCTURE_FIELDS
    unknown = _set_aside_unknown_codes(raw, record)
    model = validate(v1.Structure, raw, record)
    if model is None:
        return record
    s, add = record.subject, record.triples.append
    add(ox.Triple(s, rdf.LABEL, rdf.fr(model.nom)))
    for code in sorted(model.reseaux_porteurs or ()):
        row = context.tables.reseaux.get(code.value)
        context.mapped(
            record,
            row,
            code.value,
            "CodeDataInclusionReseauPorteur",
            "reseaux_porteurs",
            {"types": rdf.TYPE, "secteurs": rdf.sg("secteur"), "publics": rdf.sg("public")},
        )
    for code in unknown.get("reseaux_porteurs", ()):
        add(ox.Triple(s, rdf.sg("codeExterne"), rdf.code(code, "CodeDataInclusionReseauPorteur")))
    context.ensure_actor(record)
    if model.description:
        add(ox.Triple(s, rdf.DESCRIPTION, rdf.fr(model.description)))
    if model.siret:
        add(ox.Triple(s, rdf.sg("siret"), rdf.string(model.siret)))
    _contacts(record, model, s, postcode=True)
    commune = context.place(
        record, model.code_insee or "", model.code_postal or "", model.commune or "", "code_insee"
    )
    if model.horaires_accueil:
        add(ox.Triple(s, rdf.OPENING_HOURS, rdf.string(model.horaires_accueil)))
    context.fiche(record, model.date_maj.isoformat(), model.source)
    page = rdf.web_iri(str(model.lien_source or ""))
    if page is not None:
        add(ox.Triple(record.fiche, rdf.SEE_ALSO, page))
    record.match = MatchKeys(
        siret=model.siret or "",
        name=rdf.name_key(model.nom),
        commune=commune,
        address=rdf.address_key(model.adresse or ""),
    )
    return record


def _contacts(
    record: Record,
    model: v1.Structure | v1.Service,
    subject: ox.NamedNode,
    postcode: bool = False,
) -> None:
    """Address, phone, e-mail, web site, coordinates (sg:codePostal: organisations only)."""
    add = record.triples.append
    address = ", ".join(p for p in (model.adresse, model.complement_adresse) if p)
    town = " ".join(p for p in (model.code_postal, model.commune) if p)
    if address or town:
        text = ", ".join(p for p in (address, town) if p)
        add(ox.Triple(subject, rdf.sg("adresse"), rdf.string(text)))
    if postcode and model.code_postal:
        add(ox.Triple(subject, rdf.sg("codePostal"), rdf.string(model.code_postal)))
    if model.telephone:
        number = rdf.phone(model.telephone)
        if number:
            add(ox.Triple(subject, rdf.TELEPHONE, rdf.string(number)))
        else:
            record.problem(
                WARNING,
                "numéro de téléphone non reconnu comme un numéro français : non repris",
                field="telephone",
                value=model.telephone,
            )
    if model.courriel:
        add(ox.Triple(subject, rdf.EMAIL, rdf.string(str(model.courriel))))
    site = getattr(model, "site_web", None) or getattr(model, "lien_mobilisation", None)
    if site:
        iri = rdf.web_iri(str(site))
        if iri is not None:
            add(ox.Triple(subject, rdf.URL, iri))
    if model.latitude is not None and model.longitude is not None:
        if -90 <= model.latitude <= 90 and -180 <= model.longitude <= 180:
            add(ox.Triple(subject, rdf.LAT, rdf.decimal(model.latitude)))
            add(ox.Triple(subject, rdf.LONG, rdf.decimal(model.longitude)))
        else:
            record.problem(
                WARNING,
                "coordonnées hors des bornes WGS 84 : non reprises",
                field="latitude",
                value=f"{model.latitude}, {model.longitude}",
                topic="lieu",
            )


# ---------------------------------------------------------------- services
def map_service(raw: dict[str, Any], file: str, where: str, context: Context) -> Record:
    ident = str(raw.get("id") or "").strip()
    record = context.new_record(
        "service", ident or f"sans-id-{where}", str(raw.get("nom") or ""), file, where, "service"
    )
    record.fields = SERVICE_FIELDS
    record.parent = f"structure:{str(raw.get('structure_id') or '').strip()}"
    unknown = _set_aside_unknown_codes(raw, record)
    model = validate(v1.Service, raw, record)
    if model is None:
        return record
    s, add = record.subject, record.triples.append
    provider = rdf.entry_iri(context.base, "acteur", context.dataset, model.structure_id)
    add(ox.Triple(s, rdf.TYPE, rdf.sg("Service")))
    add(ox.Triple(s, rdf.LABEL, rdf.fr(model.nom)))
    add(ox.Triple(s, rdf.DESCRIPTION, rdf.fr(model.description)))
    add(ox.Triple(s, rdf.sg("prestataire"), provider))
    add(ox.Triple(provider, rdf.sg("offre"), s))
    for code in sorted(model.publics or ()):
        context.mapped(
            record, context.tables.publics.get(code.value), code.value,
            "CodeDataInclusionPublic", "publics", {"publics": rdf.AUDIENCE},
        )  # fmt: skip
    for code in sorted(model.thematiques or ()):
        context.mapped(
            record, context.tables.thematiques.get(code.value), code.value,
            "CodeDataInclusionThematique", "thematiques",
            {"besoins": rdf.THEMATIC_AREA, "publics": rdf.AUDIENCE},
        )  # fmt: skip
    if model.type:
        context.mapped(
            record, context.tables.types_services.get(model.type.value), model.type.value,
            "CodeDataInclusionTypeService", "type", {"roles": rdf.sg("roleParcours")},
        )  # fmt: skip
    for mode in sorted(model.modes_accueil or ()):
        kept = rdf.code(mode.value, "CodeDataInclusionModeAccueil")
        add(ox.Triple(s, rdf.sg("codeExterne"), kept))
    for name, codes in unknown.items():
        if name in NOMENCLATURES:
            for code in codes:
                add(ox.Triple(s, rdf.sg("codeExterne"), rdf.code(code, NOMENCLATURES[name])))
    for zone in model.zone_eligibilite or ():
        territory = context.places.zone(zone)
        if territory:
            add(ox.Triple(s, rdf.SPATIAL, rdf.node(territory)))
        else:
            record.problem(
                "Info",
                f"zone d'éligibilité « {zone} » hors des territoires chargés : non reprise",
                field="zone_eligibilite",
                value=zone,
                topic="lieu",
            )
    notes = [
        ("Conditions d'accès", model.conditions_acces),
        ("Publics", model.publics_precisions),
        ("Frais", model.frais_precisions),
        ("Mobilisation", model.mobilisation_precisions),
    ]
    text = "\n".join(f"{t} : {value.strip()}" for t, value in notes if value and value.strip())
    if text:
        add(ox.Triple(s, rdf.SCOPE_NOTE, rdf.fr(text)))
    _contacts(record, model, s)
    if model.horaires_accueil:
        add(ox.Triple(s, rdf.OPENING_HOURS, rdf.string(model.horaires_accueil)))
    context.fiche(record, model.date_maj.isoformat(), model.source)
    page = rdf.web_iri(str(model.lien_source or ""))
    if page is not None:
        add(ox.Triple(record.fiche, rdf.SEE_ALSO, page))
    return record
