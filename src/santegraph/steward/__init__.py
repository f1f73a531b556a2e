"""The steward domain: every write to the graph after the content load.

A steward proves who they are (``credentials.py``), proposes a change, sees its preview
(diff, dependants, validation in the context of the store) and commits it with its
journal event in one atomic update (``workflow.py``). The same gate serves every channel:
the web pages (``web/steward/``), the command line (``cli.py``), the Graph Store Protocol
and SPARQL Update (``web/graph_store.py``; an update is first evaluated on an overlay,
``update_gate.py``). Stewards may also send the CSV template (``csv_templates.py``).
See docs/decisions/0007-steward-workflow.md and docs/stewards.md.
"""
