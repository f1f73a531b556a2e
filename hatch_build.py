"""Build hook: the wheel carries santegraph's content inside the package.

``ontology/``, ``shapes/``, ``data/`` and ``queries/`` stay at the top of the repository
(the project's layout); a built wheel gets a copy of each as ``santegraph/_content/<folder>``,
where ``santegraph.config.shipped_root()`` finds them when santegraph does not run from a
checkout. An editable install gets no copy: it reads the checkout itself.
"""

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

CONTENT = ("ontology", "shapes", "data", "queries")


class ContentBundle(BuildHookInterface):
    def initialize(self, version, build_data):
        if self.target_name == "wheel" and version == "standard":
            for folder in CONTENT:
                build_data["force_include"][folder] = f"santegraph/_content/{folder}"
