"""Settings come from the environment once; the database defaults to embedded SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.db import engine_from_url, is_postgres
from server.settings import Settings


def test_defaults_to_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATA_DIR": str(tmp_path)})
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'app.sqlite'}"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_environment_overrides() -> None:
    settings = Settings.from_env(
        {
            "HOST": "0.0.0.0",
            "PORT": "9000",
            "DATABASE_URL": "postgresql://u@h/db",
            "MODEL_MIRROR_BASE_URL": "https://models.example/",
        }
    )
    assert (settings.host, settings.port) == ("0.0.0.0", 9000)
    assert settings.effective_database_url == "postgresql://u@h/db"
    assert settings.model_mirror_base_url == "https://models.example"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("postgresql://u@127.0.0.1/db", True, id="postgresql"),
        pytest.param("postgres://u@127.0.0.1/db", True, id="postgres"),
        pytest.param("sqlite:///data/app.sqlite", False, id="sqlite"),
    ],
)
def test_postgres_urls(url: str, expected: bool) -> None:
    assert is_postgres(url) is expected


def test_sqlite_url_creates_its_folder(tmp_path: Path) -> None:
    engine = engine_from_url(f"sqlite:///{tmp_path}/nested/app.sqlite")
    assert engine.engine_type == "sqlite"
    assert (tmp_path / "nested").is_dir()


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported DATABASE_URL"):
        engine_from_url("mysql://x")
