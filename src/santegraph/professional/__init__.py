"""The professional face, "qui fait quoi": what its pages and the toile show.

================  ================================================================
``service.py``    :class:`ProfessionalService`, one per app (``AppState.professional``):
                  the named queries (queries/, the public catalogue), the values kept per
                  store generation, the search and place indexes, toiles built
                  (``make_toile``), and the data of every page
``listings.py``   how query rows become what a page lists: trees of concepts and
                  kinds, propositions and actions grouped, défis counted
================  ================================================================

The views (``web/pages.py``, ``web/toile_views.py``) read the request, call the service
and render; the toile itself is modelled, built and drawn in ``santegraph.toile``.
"""

from .service import PerGeneration, ProfessionalService, ToileReference, ToileRequest

__all__ = ["PerGeneration", "ProfessionalService", "ToileReference", "ToileRequest"]
