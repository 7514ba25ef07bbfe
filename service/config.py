"""Settings in one place: defaults, then ALLIANCE_KG_* environment variables, then explicit overrides."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS = {
    "ONTOLOGY_DIR": PROJECT_ROOT / "ontology",
    "DATA_DIR": PROJECT_ROOT / "data",
    "QUERIES_DIR": PROJECT_ROOT / "queries",
    "STORE_BACKEND": "oxigraph",
    "HOST": "127.0.0.1",
    "PORT": 8000,
    "THREADS": 8,
    "PUBLIC_BASE": "https://w3id.org/alliance-kg/",  # request paths are read as IRIs under this base
    "CORS_ORIGINS": "*",  # origins allowed to read (GET, POST queries); "" turns CORS off
}
PATHS = {"ONTOLOGY_DIR", "DATA_DIR", "QUERIES_DIR"}
INTEGERS = {"PORT", "THREADS"}


def load_config(overrides: dict | None = None) -> dict:
    config = dict(DEFAULTS)
    for key in DEFAULTS:
        value = os.environ.get(f"ALLIANCE_KG_{key}")
        if value is not None:
            config[key] = Path(value) if key in PATHS else int(value) if key in INTEGERS else value
    config.update({k: v for k, v in (overrides or {}).items() if v is not None})
    for key in PATHS:
        config[key] = Path(config[key])
    return config
