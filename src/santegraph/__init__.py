"""santegraph: who does what, for whom, where.

A knowledge graph of territorial health coordination.
"""

__version__ = "0.1.0"
