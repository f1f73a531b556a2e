"""The steward pages (under ``/steward``)."""
