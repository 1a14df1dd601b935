"""Settings read from the environment once, so nothing else reads ``os.environ``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

__all__ = ["ROOT", "Settings", "get_settings"]

ROOT = Path(__file__).resolve().parent.parent


def _default_sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'app.sqlite'}"


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told from outside."""

    host: str = "127.0.0.1"
    """Interface to bind (``HOST``)."""
    port: int = 8000
    """TCP port (``PORT``)."""
    workers: int = 1
    """uvicorn worker processes (``WORKERS``); more than one needs ``REDIS_URL`` so that
    sessions, rate limits and login throttling are shared."""
    data_dir: Path = ROOT / "data"
    """Where the embedded SQLite database and file-backed stores live (``DATA_DIR``)."""
    database_url: str = ""
    """``sqlite:///path`` or ``postgresql://...`` (``DATABASE_URL``); SQLite under data_dir if empty."""
    redis_url: str = ""
    """Redis for sessions and rate limits when several workers run (``REDIS_URL``)."""
    model_mirror_base_url: str = ""
    """Optional host that mirrors model artifacts (``MODEL_MIRROR_BASE_URL``); allowed by the CSP."""
    web_dir: Path = ROOT / "web"
    """The page, CSS and the JS that must be JS."""
    app_dir: Path = ROOT / "app"
    """The Python package that runs in Pyodide (``APP_DIR``, e.g. a deployed copy)."""
    runtime_dir: Path = ROOT / "build" / "runtime"
    """Pyodide, PyScript, WebLLM and wheels assembled at setup by ``tools/vendor_runtime.py``."""
    presets_file: Path = ROOT / "web" / "presets.json"
    """Custom model presets served, validated, at ``/model-presets.json`` (``PRESETS_FILE``)."""
    model_libs_dir: Path = ROOT / "web" / "webllm-model-libs"
    """Locally built WebGPU model libraries, served at ``/webllm-model-libs/``."""
    extra_connect_src: tuple[str, ...] = field(default_factory=tuple)
    """More origins the page may fetch from (``CSP_CONNECT_SRC``, space separated)."""
    secret_key: str = ""
    """Signs CSRF tokens (``SECRET_KEY``); generated once and kept in data_dir if empty."""
    rate_limit_per_minute: int = 120
    """Requests per minute per user on the chat-log API (``RATE_LIMIT_PER_MINUTE``)."""
    auth_rate_limit_per_minute: int = 20
    """Register/login requests per minute per client address (``AUTH_RATE_LIMIT_PER_MINUTE``)."""
    login_max_failures: int = 5
    """Failed logins to one account before ``429`` (``LOGIN_MAX_FAILURES``)."""
    login_max_failures_per_address: int = 20
    """Failed logins from one client address, to any accounts, before ``429``
    (``LOGIN_MAX_FAILURES_PER_ADDRESS``)."""
    login_failure_window_s: int = 300
    """How long failed logins are remembered, in seconds (``LOGIN_FAILURE_WINDOW_S``)."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses of reverse proxies whose ``X-Forwarded-For``/``-Proto`` headers are believed
    (``TRUSTED_PROXIES``, comma or space separated); none by default, so a client can never
    choose the address its rate limits are counted under."""
    password_hash_profile: str = "RFC_9106_LOW_MEMORY"
    """An ``argon2.profiles`` name for new hashes (``PASSWORD_HASH_PROFILE``); tests use CHEAPEST."""

    @property
    def effective_database_url(self) -> str:
        """The URL actually used: the configured one or the embedded SQLite file."""
        return self.database_url or _default_sqlite_url(self.data_dir)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from an environment mapping (``os.environ`` by default)."""
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("DATA_DIR") or ROOT / "data")
        return cls(
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8000")),
            workers=max(1, int(env.get("WORKERS", "1"))),
            data_dir=data_dir,
            database_url=env.get("DATABASE_URL", ""),
            redis_url=env.get("REDIS_URL", ""),
            model_mirror_base_url=env.get("MODEL_MIRROR_BASE_URL", "").rstrip("/"),
            presets_file=Path(env.get("PRESETS_FILE") or ROOT / "web" / "presets.json"),
            app_dir=Path(env.get("APP_DIR") or ROOT / "app"),
            extra_connect_src=tuple(env.get("CSP_CONNECT_SRC", "").split()),
            secret_key=env.get("SECRET_KEY", ""),
            rate_limit_per_minute=int(env.get("RATE_LIMIT_PER_MINUTE", "120")),
            auth_rate_limit_per_minute=int(env.get("AUTH_RATE_LIMIT_PER_MINUTE", "20")),
            login_max_failures=int(env.get("LOGIN_MAX_FAILURES", "5")),
            login_max_failures_per_address=int(env.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "20")),
            login_failure_window_s=int(env.get("LOGIN_FAILURE_WINDOW_S", "300")),
            trusted_proxies=tuple(env.get("TRUSTED_PROXIES", "").replace(",", " ").split()),
            password_hash_profile=env.get("PASSWORD_HASH_PROFILE", "RFC_9106_LOW_MEMORY"),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings.from_env()
