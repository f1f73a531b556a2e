"""Store backends behind one interface; :func:`open_store` picks one from the settings."""

from __future__ import annotations

from ..config import Settings
from .base import GraphStore, StreamedResult
from .embedded import EmbeddedStore
from .remote import RemoteStore


def open_store(settings: Settings) -> GraphStore:
    if settings.backend == "remote":
        return RemoteStore(
            settings.remote_query_url,
            settings.remote_update_url,
            settings.remote_store_url,
            user=settings.remote_user,
            password=settings.remote_password,
            auth=settings.remote_auth,
            timeout=settings.remote_timeout,
            hidden_graphs=settings.remote_hidden_graph_list,
            engine=settings.remote_engine,
        )
    return EmbeddedStore(settings.store_location)


__all__ = ["EmbeddedStore", "GraphStore", "RemoteStore", "StreamedResult", "open_store"]
