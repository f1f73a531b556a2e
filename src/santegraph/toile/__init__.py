"""The toile: for one public (and need, place, role), the actors around it and the path.

``model`` is the contract between the part that queries the graph (``build``) and the
parts that render it (``svg``, ``csv``); both sides only exchange these dataclasses.
"""
