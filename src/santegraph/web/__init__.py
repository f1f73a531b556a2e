"""The Flask application factory. One blueprint per audience; the store hangs on the app.

Views reach the store and settings through :func:`state`, never a module global, so tests
hand ``create_app`` a prebuilt in-memory store.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from ..config import Settings, load_settings
from ..sandbox import QueryRunner, make_runner
from ..sandbox.checks import CheckRunner, make_check_runner
from ..store import GraphStore, open_store

if TYPE_CHECKING:
    from ..directories.importer import DirectoryImporter
    from ..loading import Loader
    from ..professional import ProfessionalService
    from ..steward.access import SessionRegistry, SignInThrottle
    from ..steward.workflow import Stewardship
    from .throttle import RateLimit

log = logging.getLogger(__name__)
EXTENSION_KEY = "santegraph"
SESSION_LIFETIME_S = 8 * 3600  # a steward's web session, at most


@dataclass
class AppState:
    settings: Settings
    store: GraphStore
    # runs public /sparql queries under the time limit and result cap (sandbox/)
    query_runner: QueryRunner | None = None
    # parses and validates untrusted submissions in worker processes (sandbox/checks.py)
    check_runner: CheckRunner | None = None

    @cached_property
    def check_rate(self) -> RateLimit:
        """Anonymous checks per client address and minute (setting public_check_rate)."""
        from .throttle import RateLimit

        return RateLimit(self.settings.public_check_rate)

    @cached_property
    def loader(self) -> Loader:
        """Validation for the steward pages: shapes and ontology parsed once per app."""
        from ..loading import Loader

        return Loader(self.store, self.settings, progress=False)

    @cached_property
    def sessions(self) -> SessionRegistry:
        """The steward web sessions that are open (signing out closes one for good)."""
        from ..steward.access import SessionRegistry

        return SessionRegistry(SESSION_LIFETIME_S)

    @cached_property
    def signins(self) -> SignInThrottle:
        """Failed sign-ins per client address, and the lock beyond the limit."""
        from ..steward.access import SignInThrottle

        return SignInThrottle(
            self.settings.signin_failure_limit, self.settings.signin_failure_window
        )

    @cached_property
    def professional(self) -> ProfessionalService:
        """The "qui fait quoi" pages' data (professional/service.py): named queries,
        values kept per store generation, search and place indexes, toiles."""
        from ..professional import ProfessionalService

        return ProfessionalService(self.store, self.settings)

    @cached_property
    def stewardship(self) -> Stewardship:
        """The write workflow (steward/workflow.py): one per app, so one commit lock."""
        from ..steward.workflow import Stewardship

        return Stewardship(self.store, self.settings, self.loader)

    @cached_property
    def importer(self) -> DirectoryImporter:
        """Directory imports from the steward pages (directories/), through the workflow."""
        from ..directories.importer import DirectoryImporter

        return DirectoryImporter(self.stewardship)


def state() -> AppState:
    app_state: AppState = current_app.extensions[EXTENSION_KEY]
    return app_state


# What a reader is told, in French, for each error; Werkzeug's default texts are English.
ERROR_TEXTS = {
    400: ("Demande incorrecte", "La demande n'a pas pu être comprise."),
    401: ("Connexion nécessaire", "Cette page demande de vous connecter."),
    403: ("Accès refusé", "Cette action n'est pas permise."),
    404: ("Page introuvable", "Cette adresse ne correspond à aucune page du site."),
    405: ("Méthode non permise", "Cette adresse ne s'utilise pas ainsi."),
    406: ("Format non disponible", "Cette ressource n'existe pas dans le format demandé."),
    413: ("Envoi trop volumineux", "Le contenu envoyé dépasse la taille acceptée."),
    415: ("Format non pris en charge", "Le format du contenu envoyé n'est pas accepté."),
    429: ("Trop de demandes", "Trop de demandes en peu de temps : réessayez plus tard."),
    500: ("Erreur du service", "Une erreur inattendue est survenue ; elle a été consignée."),
    503: ("Service indisponible", "Le service ne peut pas répondre pour l'instant."),
}


def french_error(code: int, description: str | None) -> tuple[str, str]:
    """(title, message) of an error page in French: our own description when a view gave
    one (they are French), else the French text of the code."""
    title, default = ERROR_TEXTS.get(code, (f"Erreur {code}", "La demande n'a pas abouti."))
    return title, description or default


def error_response(exc: HTTPException) -> ResponseReturnValue:
    """An HTTP error as the client asked for it: the French error page, or JSON."""
    assert exc.code is not None  # Flask hands no handler an exception without a code
    wants_html = request.accept_mimetypes.best_match(["application/json", "text/html"])
    if wants_html == "text/html":
        # a view's own description, never Werkzeug's English default
        own = exc.description if exc.description != type(exc).description else None
        title, message = french_error(exc.code or 500, own)
        page = render_template("error.html", code=exc.code, title=title, message=message)
        return page, exc.code
    return jsonify(error=exc.name, message=exc.description), exc.code


def create_app(
    settings: Settings | Mapping[str, Any] | None = None, *, store: GraphStore | None = None
) -> Flask:
    if not isinstance(settings, Settings):
        settings = load_settings(settings)
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        SECRET_KEY=settings.secret_key or None,
        # steward sessions: not readable by scripts, not sent on cross-site posts
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME_S,
        JSON_SORT_KEYS=False,
    )
    from . import security  # headers and bidi neutralising, before any template compiles

    security.init_app(app, tls=settings.secure_cookies)
    app.extensions[EXTENSION_KEY] = app_state = AppState(settings, store or open_store(settings))
    # Worker processes start with the first public query; they stop with the app (or at exit).
    app_state.query_runner = make_runner(settings, app_state.store)
    weakref.finalize(app, app_state.query_runner.close)
    app_state.check_runner = make_check_runner(settings, app_state.store)
    weakref.finalize(app, app_state.check_runner.close)

    from . import health, links, ontology, pages, sparql

    app.register_blueprint(health.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(ontology.bp)
    links.init_app(app)  # resource_href, page_href, fixed_url, site_header in templates
    from . import cors

    cors.init_app(app)
    from .linkeddata import bp as linkeddata_bp

    app.register_blueprint(linkeddata_bp)
    from .toile_views import bp as toile_bp  # toile downloads and embed page

    app.register_blueprint(toile_bp)
    from .steward import bp as steward_bp  # /steward: validation, sign-in, submit, journal

    app.register_blueprint(steward_bp)
    from .graph_store import bp as graph_store_bp  # /store and /update for steward tools

    app.register_blueprint(graph_store_bp)

    app.register_error_handler(HTTPException, error_response)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception) -> ResponseReturnValue:
        # A bug: log it with its traceback, tell the client nothing internal.
        log.exception("unhandled error on %s %s", request.method, request.path)
        if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
            title, message = french_error(500, None)
            return render_template("error.html", code=500, title=title, message=message), 500
        return jsonify(error="Internal Server Error", message="unexpected error, logged"), 500

    return app
