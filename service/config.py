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
    "STORE_DIR": None,            # on-disk store; None: a temporary folder removed at exit
    "HOST": "127.0.0.1",
    "PORT": 8000,
    "THREADS": 8,
    "PUBLIC_BASE": "https://w3id.org/alliance-kg/",  # request paths are read as IRIs under this base
    "CORS_ORIGINS": "*",  # origins allowed to read (GET, POST queries); "" turns CORS off
    "QUERY_TIMEOUT": 30.0,        # seconds a query may run before its worker process is killed
    "QUERY_WORKERS": 2,           # processes that answer queries (each can be killed on its own)
    "QUERY_SLOTS": None,          # requests running or waiting for a worker at once (None: THREADS - 2)
    "CONNECTION_LIMIT": 100,      # open client connections; waitress accepts no more until some close
    "CHANNEL_TIMEOUT": 30.0,      # seconds a connection may stay idle
    "HEADER_TIMEOUT": 10.0,       # seconds a client has to send a request's head (line and headers)
    "MAX_BODY_BYTES": 10_000_000,  # larger request bodies get 413
    "MAX_RESULT_ROWS": 100_000,   # larger answers (rows, or triples of a graph) get 422
    "MAX_RESULT_BYTES": 100_000_000,  # larger answers (in their final format) get 422
    "MAX_FORM_PARTS": 1_000,      # form fields in a request (query string or form body); more get 413
    "WORKER_MEMORY_MB": 2_048,    # what a query may add to its worker's address space; more gets 503
    "WRITE_KEY": None,            # writes are off unless a key is set
    "WRITE_KEY_FILE": None,
    "WRITE_GUARD": True,          # HermiT + SHACL on the candidate graph before a write commits
    "ALLOWED_SERVICES": (),       # SERVICE endpoints a query may call (space-separated in the environment)
}
MIN_KEY_LENGTH = 16
PATHS = {"ONTOLOGY_DIR", "DATA_DIR", "QUERIES_DIR", "STORE_DIR", "WRITE_KEY_FILE"}
INTEGERS = {"PORT", "THREADS", "QUERY_WORKERS", "MAX_BODY_BYTES", "MAX_RESULT_ROWS", "QUERY_SLOTS", "CONNECTION_LIMIT",
            "MAX_RESULT_BYTES", "MAX_FORM_PARTS", "WORKER_MEMORY_MB"}
FLOATS = {"QUERY_TIMEOUT", "CHANNEL_TIMEOUT", "HEADER_TIMEOUT"}
BOOLEANS = {"WRITE_GUARD"}
LISTS = {"ALLOWED_SERVICES"}


class ConfigError(ValueError):
    """A setting with a value that cannot be used, naming the setting."""


def _convert(key: str, value):
    if value is None:
        return None
    try:
        if key in PATHS:
            return Path(value)
        if key in INTEGERS:
            return int(value)
        if key in FLOATS:
            return float(value)
        if key in BOOLEANS:
            if isinstance(value, bool):
                return value
            if str(value).lower() in {"1", "true", "yes", "on"}:
                return True
            if str(value).lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError("expected true or false")
        if key in LISTS:
            return tuple(value.split()) if isinstance(value, str) else tuple(value)
    except ValueError as error:
        raise ConfigError(f"setting {key} (ALLIANCE_KG_{key}): cannot use {value!r}: {error}") from None
    return value


def load_config(overrides: dict | None = None) -> dict:
    config = dict(DEFAULTS)
    for key in DEFAULTS:
        value = os.environ.get(f"ALLIANCE_KG_{key}")
        if value is not None:
            config[key] = _convert(key, value)
    config.update({k: _convert(k, v) for k, v in (overrides or {}).items() if v is not None})
    for key in ("ONTOLOGY_DIR", "DATA_DIR", "QUERIES_DIR"):
        config[key] = Path(config[key])
    if config["WRITE_KEY_FILE"] and not config["WRITE_KEY"]:
        try:
            config["WRITE_KEY"] = Path(config["WRITE_KEY_FILE"]).read_text().strip()
        except OSError as error:
            raise ConfigError(f"write key file {config['WRITE_KEY_FILE']}: {error.strerror}") from None
        if not config["WRITE_KEY"]:
            raise ConfigError(f"write key file {config['WRITE_KEY_FILE']} is empty")
    key = config["WRITE_KEY"]
    if key is not None and len(str(key).strip()) < MIN_KEY_LENGTH:
        # a blank ALLIANCE_KG_WRITE_KEY used to turn writes "on" with a key no request could match
        raise ConfigError(f"the write key (ALLIANCE_KG_WRITE_KEY or --write-key-file) is "
                          f"{'blank' if not str(key).strip() else f'{len(str(key).strip())} characters'}; "
                          f"use at least {MIN_KEY_LENGTH} (e.g. `openssl rand -hex 32`), or unset it to keep writes off")
    if config["QUERY_SLOTS"] is None:
        # two request threads are kept from the query workers' queue, for /health, /metrics and pages
        config["QUERY_SLOTS"] = max(1, config["THREADS"] - 2)
    for key in ("QUERY_TIMEOUT", "QUERY_WORKERS", "MAX_BODY_BYTES", "MAX_RESULT_ROWS", "QUERY_SLOTS",
                "CONNECTION_LIMIT", "CHANNEL_TIMEOUT", "HEADER_TIMEOUT", "MAX_RESULT_BYTES", "MAX_FORM_PARTS",
                "WORKER_MEMORY_MB"):
        if config[key] <= 0:
            raise ConfigError(f"setting {key} must be positive, not {config[key]}")
    return config
