"""Settings: one dataclass, filled from defaults < config file < environment < CLI flags.

Every setting is a field of :class:`Settings`; its ``help`` metadata is the single
documentation source (``santegraph config --doc`` prints it and ``docs/configuration.md``
is checked against it by the tests).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .iris import slugify

ENV_PREFIX = "SANTEGRAPH_"
REMOTE_ENGINES = ("oxigraph", "virtuoso", "other")
DEFAULT_BASE_IRI = "https://w3id.org/santegraph/id/"
STEWARD_ROLES = ("reviewer", "admin")  # what each may do: steward/credentials.py


PACKAGE_DIR = Path(__file__).resolve().parent
# The wheel's copy of the top-level ontology/, shapes/, data/ and queries/ (pyproject.toml,
# force-include): a checkout keeps them at its top, the brief's layout.
BUNDLE_DIR = PACKAGE_DIR / "_content"


def running_from_checkout() -> bool:
    """Whether this package is the ``src/santegraph`` of a checkout (editable install)."""
    return (
        PACKAGE_DIR.parent.name == "src" and (PACKAGE_DIR.parents[1] / "pyproject.toml").is_file()
    )


def shipped_root() -> Path:
    """Where santegraph's own ``ontology/``, ``shapes/``, ``data/`` and ``queries/`` are:
    the checkout it runs from, else the bundle the wheel installed inside the package."""
    return PACKAGE_DIR.parents[1] if running_from_checkout() else BUNDLE_DIR


def _setting(default: Any, help: str, *, secret: bool = False) -> Any:
    return field(default=default, metadata={"help": help, "secret": secret})


@dataclass(frozen=True)
class Settings:
    backend: str = _setting(
        "embedded",
        "Store backend: `embedded` (pyoxigraph on disk) or `remote` (SPARQL 1.1 endpoint).",
    )
    store_path: str = _setting(
        "",
        "Embedded store directory; empty means `var/store` in the content folder (the "
        "checkout, or `content_dir`), or in the current directory when the content is the "
        "installed package's; `:memory:` keeps the store in memory (tests).",
    )
    remote_query_url: str = _setting("", "Remote backend: SPARQL 1.1 query endpoint URL.")
    remote_update_url: str = _setting(
        "", "Remote backend: SPARQL 1.1 update endpoint URL (empty: read-only remote)."
    )
    remote_store_url: str = _setting(
        "", "Remote backend: Graph Store HTTP Protocol endpoint URL (optional)."
    )
    remote_user: str = _setting("", "Remote backend: user name for HTTP authentication.")
    remote_password: str = _setting(
        "", "Remote backend: password for HTTP authentication.", secret=True
    )
    remote_auth: str = _setting(
        "basic", "Remote backend: HTTP authentication scheme, `basic` or `digest` (Virtuoso)."
    )
    remote_engine: str = _setting(
        "other",
        "Remote backend: the SPARQL server, `oxigraph`, `virtuoso` or `other`. `virtuoso`: "
        "a public query's time limit and result cap go with it (Virtuoso's per-request "
        "`timeout` and `maxrows`, so that it stops computing too) and its dataset handling "
        "is worked around; `oxigraph` and `other` take no per-request limit: bound them "
        "with their own settings (`oxigraph serve --timeout-s`, Fuseki's "
        "`arq:queryTimeout`; docs/backends.md).",
    )
    remote_timeout: float = _setting(
        60.0, "Remote backend: seconds to wait for the endpoint before giving up."
    )
    remote_hidden_graphs: str = _setting(
        "",
        "Remote backend: comma-separated IRI prefixes of the server's own graphs, left out "
        "of counts, listings, exports and restores (Virtuoso: see docs/backends.md).",
    )
    base_iri: str = _setting(
        DEFAULT_BASE_IRI,
        "Public base IRI of every resource the data mints; relative IRIs of `data/` resolve "
        "against it at load time (changing it requires `santegraph load --replace`).",
    )
    content_dir: str = _setting(
        "",
        "Directory holding the content to load: `ontology/`, `shapes/` and `data/`; empty "
        "means santegraph's own (the checkout it runs from, else the copy installed with "
        "the package). The named queries of `queries/` always come with the program.",
    )
    host: str = _setting("127.0.0.1", "Address `santegraph serve` listens on.")
    port: int = _setting(8000, "Port `santegraph serve` listens on.")
    threads: int = _setting(8, "Worker threads of the WSGI server (one process, see README).")
    query_timeout: float = _setting(
        30.0,
        "Seconds a public /sparql query may run; beyond, it is stopped and answered `503` "
        "(docs/decisions/0003-query-isolation.md). Waiting for a free query worker is "
        "bounded by the same time. `0`: no limit.",
    )
    result_limit: int = _setting(
        2_000_000,
        "Most rows (SELECT) or triples (CONSTRUCT, DESCRIBE) a public /sparql answer may "
        "hold. An answer that would hold more is refused whole (`403`, naming this setting "
        "and how to page with LIMIT/OFFSET), never cut: a `200` is always a complete "
        "answer. The default is ten times the project's whole dataset, so that a client "
        "can fetch all of it in one query. `0`: no cap.",
    )
    query_workers: int = _setting(
        2,
        "Embedded backend: most worker processes evaluating public /sparql queries (each "
        "on a snapshot of the store, up to ~600 MiB resident at 2.5 M quads with 4 query "
        "threads busy, caches not shared between processes); the pool grows with "
        "concurrency, one unused worker ahead.",
    )
    query_threads: int = _setting(
        4,
        "Embedded backend: most public /sparql queries one worker process runs at once, in "
        "threads sharing its snapshot and caches. When every slot of every worker is taken "
        "a query waits within its time limit; a query stopped at the limit kills its "
        "worker, and the other queries it ran are run again elsewhere.",
    )
    check_workers: int = _setting(
        2,
        "Most worker processes parsing and validating untrusted submissions (steward "
        "pages, /steward/validate, /store and /update bodies), each on a snapshot of the "
        "store, one check at a time: a parser crash kills a worker, not the server "
        "(docs/decisions/0010-check-isolation.md). Anonymous checks use at most "
        "`check_workers - 1` of them.",
    )
    check_timeout: float = _setting(
        120.0,
        "Seconds a steward's check (preview of a submission, parsing a /store or /update "
        "body) may run in its worker; beyond, the worker is stopped and the steward told. "
        "`0`: no limit.",
    )
    public_check_timeout: float = _setting(
        20.0,
        "Seconds an anonymous check (/steward/validate) may run; beyond, it is stopped and "
        "answered `503` (sign in, or split the file). Waiting for a free worker is bounded "
        "by the same time. `0`: no limit.",
    )
    public_check_max_bytes: int = _setting(
        1024 * 1024,
        "Largest file or text an anonymous check (/steward/validate) accepts, in bytes "
        "(`413` beyond; signed-in stewards have `max_upload_bytes`).",
    )
    public_check_rate: int = _setting(
        12,
        "Anonymous checks (/steward/validate) one client address may start per minute; "
        "beyond, `429` with `Retry-After`. Behind a reverse proxy every client has the "
        "proxy's address: rate-limit there. `0`: no limit.",
    )
    max_nesting_depth: int = _setting(
        100,
        "Deepest nesting of brackets accepted in untrusted text (SPARQL queries and "
        "updates, Turtle, TriG, N-Triples, N-Quads, JSON-LD) before any parser sees it: "
        "pyoxigraph's parsers recurse, and a document nested thousands of levels deep "
        "would overflow the stack and kill the process. `0`: no limit.",
    )
    max_entity_expansion_bytes: int = _setting(
        16 * 1024 * 1024,
        "Most bytes the entities declared in an untrusted RDF/XML document may expand to "
        "(a few hundred bytes of nested entities can otherwise expand to gigabytes); "
        "external and parameter entities are always refused. `0`: no limit.",
    )
    max_triples: int = _setting(
        100_000,
        "Most triples one submission or upload may produce (steward pages, "
        "/steward/validate, `santegraph submit`/`correct`, /store bodies, the triples an "
        "/update adds): Turtle collections, blank-node lists and multi-valued CSV cells "
        "expand, so bytes alone do not bound them. Counted while parsing; beyond, `413`. "
        "`0`: no limit.",
    )
    max_csv_rows: int = _setting(
        10_000,
        "Most data rows (after the header) of an untrusted CSV file: steward templates, "
        "directory imports. `0`: no limit.",
    )
    max_csv_columns: int = _setting(
        200, "Most cells in one row of an untrusted CSV file. `0`: no limit."
    )
    max_csv_cell_chars: int = _setting(
        32_768,
        "Most characters in one cell of an untrusted CSV file (Python's csv module "
        "refuses cells over 131,072 characters anyway). `0`: no limit.",
    )
    max_inflated_bytes: int = _setting(
        2 * 1024**3,
        "Most bytes a `.gz` input read whole (`santegraph validate`, submissions, content "
        "files) may inflate to; it is inflated as a stream and refused as soon as it goes "
        "beyond. `load` and `import` parse their input as it is read, in bounded memory: "
        "only `max_inflation_ratio` applies to them. `0`: no limit.",
    )
    max_inflation_ratio: int = _setting(
        100,
        "Most times larger than its compressed bytes a `.gz` input may inflate (a 1 MB "
        "gzip bomb inflates to gigabytes, real RDF about 10 to 30 times); checked once "
        "16 MiB have been inflated. `0`: no limit.",
    )
    sparql_service_allowlist: str = _setting(
        "",
        "Comma-separated endpoint IRIs a public /sparql query may call with `SERVICE` "
        "(federation). Empty (the default): `SERVICE` is refused with `403` before "
        "evaluation, on both backends, so that no query makes the server fetch a URL.",
    )
    load_batch_quads: int = _setting(
        100_000,
        "Quads that `load`, `import` and the first load of the content parse and write per "
        "batch: the bound on their memory whatever the input size (the store is built aside, "
        "validated there, then swapped in; docs/decisions/0008-bulk-loading.md). About 1 KB "
        "of memory per quad of the batch; larger batches load a little faster.",
    )
    remote_update_max_bytes: int = _setting(
        8 * 1024 * 1024,
        "Remote backend: largest SPARQL Update santegraph sends. A load that fits is one "
        "update (atomic); a larger one is written one named graph per request (Graph Store "
        "`PUT`, or an update when it fits) and the graphs already written are put back as "
        "they were if a later one fails. A graph larger than this with no "
        "`remote_store_url` is refused. Virtuoso refuses updates over 10 MB and its SPARQL "
        "compiler updates of a few thousand triples: set about `262144` there "
        "(docs/backends.md). `0`: no limit.",
    )
    max_upload_bytes: int = _setting(
        10 * 1024 * 1024, "Largest request body (uploads, SPARQL POST) accepted, in bytes."
    )
    steward_tokens: str = _setting(
        "",
        "Steward credentials: comma-separated `name:sha256-of-token` pairs. Empty disables "
        "every write over HTTP (there is no default credential).",
        secret=True,
    )
    steward_roles: str = _setting(
        "",
        "Roles of some stewards, comma-separated `name:role` pairs (names as in "
        "`steward_tokens`): `reviewer` may correct any submission, `admin` may also withdraw "
        "any submission or entry. Every steward may deposit, and correct or withdraw their "
        "own submissions (docs/stewards.md, Roles).",
    )
    signin_failure_limit: int = _setting(
        10,
        "Failed steward sign-ins (web form, `/store`, `/update`) one client address may make "
        "within `signin_failure_window` seconds; beyond, it is refused with `429` until the "
        "window has passed, valid credentials included. Every failure is logged on the "
        "`santegraph.audit` logger. `0`: no limit (failures still logged).",
    )
    signin_failure_window: float = _setting(
        900.0, "Seconds over which failed steward sign-ins are counted (see above)."
    )
    secret_key: str = _setting(
        "",
        "Flask session signing key; required for steward web sessions. Empty disables them.",
        secret=True,
    )
    secure_cookies: bool = _setting(
        False,
        "Send the steward session cookie over HTTPS only; set it in production behind TLS.",
    )

    # ------------------------------------------------------------------ derived values
    @property
    def content_path(self) -> Path:
        return Path(self.content_dir).resolve() if self.content_dir else shipped_root()

    @property
    def store_location(self) -> str:
        if self.store_path:
            return self.store_path
        if self.content_dir or running_from_checkout():
            return str(self.content_path / "var" / "store")
        return str(Path.cwd() / "var" / "store")  # never inside the installed package

    @property
    def remote_hidden_graph_list(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.remote_hidden_graphs.split(",") if p.strip())

    @property
    def service_allowlist(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.sparql_service_allowlist.split(",") if p.strip())

    @property
    def writes_enabled(self) -> bool:
        return bool(self.steward_tokens.strip())

    def steward_token_hashes(self) -> dict[str, str]:
        """name -> hex sha256 of the token, parsed from ``steward_tokens``."""
        pairs: dict[str, str] = {}
        for item in filter(None, (p.strip() for p in self.steward_tokens.split(","))):
            name, sep, digest = item.partition(":")
            if not sep or len(digest) != 64:
                raise ConfigError(
                    f"steward_tokens: expected `name:<64 hex sha256>`, got {item[:20]!r}..."
                )
            pairs[name] = digest.lower()
        return pairs

    def steward_role_map(self) -> dict[str, str]:
        """name -> role (``reviewer`` or ``admin``), parsed from ``steward_roles``; stewards
        not listed have none (they act on their own submissions only)."""
        roles: dict[str, str] = {}
        for item in filter(None, (p.strip() for p in self.steward_roles.split(","))):
            name, sep, role = item.rpartition(":")
            if not sep or role.strip() not in STEWARD_ROLES:
                raise ConfigError(
                    f"steward_roles: expected `name:role` with role one of "
                    f"{', '.join(STEWARD_ROLES)}, got {item[:40]!r}"
                )
            roles[name.strip()] = role.strip()
        return roles

    def masked(self) -> dict[str, Any]:
        """The settings as a dict, secrets replaced by a marker (for display)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = "***" if f.metadata.get("secret") and value else value
        return out


FIELD_NAMES = {f.name for f in fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    target = {f.name: f.type for f in fields(Settings)}[name]
    if target in ("bool", bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"setting {name}: {value!r} is not a boolean (true/false)")
    try:
        if target in ("int", int):
            return int(value)
        if target in ("float", float):
            return float(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: {value!r} is not a valid {target}") from exc


def _validate(settings: Settings) -> Settings:
    if settings.backend not in ("embedded", "remote"):
        raise ConfigError(f"backend must be `embedded` or `remote`, not {settings.backend!r}")
    if settings.backend == "remote" and not settings.remote_query_url:
        raise ConfigError("backend `remote` needs remote_query_url (SANTEGRAPH_REMOTE_QUERY_URL)")
    if settings.remote_engine not in REMOTE_ENGINES:
        raise ConfigError(
            f"remote_engine must be one of {', '.join(REMOTE_ENGINES)}, "
            f"not {settings.remote_engine!r}"
        )
    if settings.remote_auth not in ("basic", "digest"):
        raise ConfigError("remote_auth must be `basic` or `digest`")
    if not settings.base_iri.endswith(("/", "#")):
        raise ConfigError("base_iri must end with `/` or `#`")
    names = settings.steward_token_hashes()  # fails early on a malformed credential list
    unknown = sorted(set(settings.steward_role_map()) - set(names))
    if unknown:
        raise ConfigError(
            f"steward_roles names {', '.join(map(repr, unknown))}, who has no entry in "
            "steward_tokens"
        )
    slugs: dict[str, str] = {}
    for name in names:  # the journal identifies a steward by referent/<slug of the name>
        other = slugs.setdefault(slugify(name), name)
        if other != name:
            raise ConfigError(
                f"steward_tokens: {other!r} and {name!r} would be the same steward in the "
                f"journal (referent/{slugify(name)}): give them names that differ in letters"
            )
    return settings


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from exc
    section = data.get("santegraph", data)
    unknown = set(section) - FIELD_NAMES
    if unknown:
        raise ConfigError(f"config file {path}: unknown settings {sorted(unknown)}")
    return dict(section)


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
) -> Settings:
    """Build settings with precedence CLI/overrides > environment > config file > defaults.

    The config file is ``config_file`` if given, else ``$SANTEGRAPH_CONFIG``, else
    ``./santegraph.toml`` when it exists. Keys may sit at top level or under ``[santegraph]``.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}

    path = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if path:
        values.update(read_config_file(Path(path)))
    elif Path("santegraph.toml").is_file():
        values.update(read_config_file(Path("santegraph.toml")))

    for name in FIELD_NAMES:
        env_value = environ.get(ENV_PREFIX + name.upper())
        if env_value is not None:
            values[name] = env_value

    for name, value in (overrides or {}).items():
        if name not in FIELD_NAMES:
            raise ConfigError(f"unknown setting {name!r}")
        if value is not None:
            values[name] = value

    coerced = {name: _coerce(name, value) for name, value in values.items()}
    return _validate(dataclasses.replace(Settings(), **coerced))


def settings_doc() -> str:
    """Markdown table of every setting: the text of docs/configuration.md's table."""
    lines = ["| setting | environment variable | default | meaning |", "| --- | --- | --- | --- |"]
    for f in fields(Settings):
        default = "" if f.metadata.get("secret") else f.default
        lines.append(
            f"| `{f.name}` | `{ENV_PREFIX}{f.name.upper()}` | `{default}` | {f.metadata['help']} |"
        )
    return "\n".join(lines) + "\n"
