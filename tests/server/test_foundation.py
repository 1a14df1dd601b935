"""Health, OpenAPI, static serving, MIME types, caching and security headers."""

from __future__ import annotations

import gzip

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]


async def test_healthz_reports_the_configured_engine(client: Client, database_url: str) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    expected = "postgres" if database_url.startswith("postgresql") else "sqlite"
    assert response.json() == {"status": "ok", "database": expected}


async def test_openapi_schema_is_served_as_json(client: Client) -> None:
    response = await client.get("/schema")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert "/healthz" in spec["paths"]


@pytest.mark.parametrize(
    ("path", "mime"),
    [
        pytest.param("/", "text/html", id="page"),
        pytest.param("/pyscript.toml", "application/toml", id="toml"),
        pytest.param("/app/browser/main.py", "text/x-python", id="python"),
        pytest.param("/runtime/pyodide/pyodide.mjs", "text/javascript", id="mjs"),
        pytest.param("/runtime/pyodide/pyodide.asm.wasm", "application/wasm", id="wasm"),
        pytest.param("/runtime/web-llm/index.js", "text/javascript", id="webllm"),
        pytest.param("/static/style.css", "text/css", id="css"),
    ],
)
async def test_assets_have_exact_mime_types(client: Client, path: str, mime: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == mime


async def test_csp_allows_pyscript_and_only_model_hosts(client: Client) -> None:
    headers = (await client.get("/")).headers
    csp = dict(
        (part.split(" ")[0], part.split(" ")[1:])
        for part in headers["content-security-policy"].split("; ")
    )
    assert set(csp["script-src"]) == {"'self'", "'wasm-unsafe-eval'", "'unsafe-eval'"}
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert csp["default-src"] == ["'self'"]
    assert "https://huggingface.co" in csp["connect-src"]
    assert csp["object-src"] == ["'none'"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


async def test_mirror_host_is_allowed_by_the_csp(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from server.app import create_app
    from server.settings import Settings

    app = create_app(
        Settings(
            database_url=database_url, data_dir=tmp_path, model_mirror_base_url="https://m.example"
        )
    )
    async with AsyncTestClient(app=app) as client:
        csp = (await client.get("/")).headers["content-security-policy"]
    assert "https://m.example" in csp


async def test_revalidation_answers_304_without_a_body(client: Client) -> None:
    first = await client.get("/runtime/pyodide/pyodide.mjs")
    assert first.headers["cache-control"] == "no-cache"
    again = await client.get(
        "/runtime/pyodide/pyodide.mjs", headers={"if-none-match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""
    stale = await client.get("/runtime/pyodide/pyodide.mjs", headers={"if-none-match": '"other"'})
    assert stale.status_code == 200
    assert stale.content == first.content


async def test_a_gzip_file_does_not_make_later_files_claim_gzip(
    database_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from server.app import create_app
    from server.settings import Settings

    runtime = tmp_path / "runtime"
    runtime.mkdir()
    (runtime / "data.bin.gz").write_bytes(gzip.compress(b"inflated by the browser"))
    (runtime / "plain.js").write_text("export const plain = true;\n")
    app = create_app(Settings(database_url=database_url, data_dir=tmp_path, runtime_dir=runtime))
    async with AsyncTestClient(app=app) as client:
        packed = await client.get("/runtime/data.bin.gz")
        plain = await client.get("/runtime/plain.js")
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.content == b"inflated by the browser"  # httpx inflates, as a browser does
    assert "content-encoding" not in plain.headers
    assert plain.text == "export const plain = true;\n"
    assert plain.headers["cache-control"] == packed.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/app/../server/settings.py", id="dotdot"),
        pytest.param("/app/%2e%2e/server/settings.py", id="encoded-dotdot"),
        pytest.param("/runtime/../../pyproject.toml", id="runtime-escape"),
    ],
)
async def test_static_trees_do_not_leak_other_files(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404 or "Settings" not in response.text
