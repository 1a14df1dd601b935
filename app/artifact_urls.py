"""Where model artifacts live: the one set of URL rules the page, the server and ``tools/mlc``
use (stdlib only, so it runs in Pyodide, under the app's Python and the toolchain's).

Hugging Face serves a file at ``<owner>/<repo>/resolve/<revision>/<path>``; ``blob`` and
``tree`` are HTML pages and ``raw`` serves Git LFS pointers for large files, so none of them
yields the file. GitHub's ``blob`` pages likewise, against ``raw.githubusercontent.com``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "HF_HOSTS",
    "HF_REPO_TYPES",
    "clean_model_url",
    "hf_file_kind",
    "is_url",
    "is_wasm",
    "lib_url_problem",
    "normalize_github_url",
    "normalize_hf_url",
]

HF_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})
HF_REPO_TYPES = frozenset({"datasets", "spaces"})
_PAGE_KINDS = ("blob", "raw", "tree")  # what normalize_hf_url rewrites to "resolve"


def is_url(location: str) -> bool:
    """True for http(s) URLs; anything else is a local path."""
    return urlsplit(location).scheme.lower() in ("http", "https")


def _hf_parts(url: str) -> tuple[list[str], int] | None:
    """Path segments of a Hugging Face URL and the index of its blob/raw/resolve segment
    (``-1``: the URL names no file); None for any other URL."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or parts.hostname not in HF_HOSTS:
        return None
    segments = parts.path.split("/")[1:]
    start = 1 if segments and segments[0] in HF_REPO_TYPES else 0
    kind = start + 2  # <owner>/<repo>/<kind>/<revision>/<path>
    if len(segments) <= kind + 1:
        return segments, -1
    return segments, kind


def hf_file_kind(url: str) -> str | None:
    """For a Hugging Face URL, how it names a file (``resolve``, ``blob``, ...; ``""`` when it
    names none); None for any other URL."""
    found = _hf_parts(url)
    if found is None:
        return None
    segments, kind = found
    return segments[kind] if kind >= 0 else ""


def normalize_hf_url(url: str) -> str:
    """A Hugging Face ``blob``/``raw``/``tree`` URL rewritten to the ``resolve`` URL serving
    the file; every other URL unchanged."""
    found = _hf_parts(url)
    if found is None or found[1] < 0:
        return url
    segments, kind = found
    if segments[kind] not in _PAGE_KINDS:
        return url
    segments = [*segments[:kind], "resolve", *segments[kind + 1 :]]
    return urlunsplit(urlsplit(url)._replace(path="/" + "/".join(segments)))


def normalize_github_url(url: str) -> str:
    """``github.com/<o>/<r>/blob/<rev>/<path>`` (an HTML page) → raw.githubusercontent.com."""
    parts = urlsplit(url)
    if parts.hostname not in ("github.com", "www.github.com"):
        return url
    segments = parts.path.split("/")[1:]
    if len(segments) < 5 or segments[2] not in ("blob", "raw"):
        return url
    path = "/" + "/".join([*segments[:2], *segments[3:]])
    return urlunsplit(("https", "raw.githubusercontent.com", path, parts.query, ""))


def clean_model_url(url: str) -> str:
    """The base URL WebLLM 0.2.86 fetches a model from (its ``cleanModelUrl``).

    WebLLM appends ``resolve/main/`` to every ``ModelRecord.model`` lacking ``/resolve/<x>/``,
    whatever the host, which is why mirrors use the Hugging Face layout.
    """
    url = url if url.endswith("/") else url + "/"
    if not re.search(r".+/resolve/.+/", url):
        url += "resolve/main/"
    return url


def is_wasm(location: str) -> bool:
    """Whether a URL's path (or a local path) names a ``.wasm`` file, in any letter case."""
    path = urlsplit(location).path if is_url(location) else location
    return path.lower().endswith(".wasm")


def lib_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a ``model_lib`` as it stands (None: it can): not a ``.wasm``
    file, a Hugging Face or GitHub page instead of the file, or a Hugging Face URL that names
    no file."""
    if not is_wasm(url):
        return f"{url or '(empty)'} does not name a .wasm file"
    if not is_url(url):
        return None
    for normalize, site in ((normalize_hf_url, "Hugging Face"), (normalize_github_url, "GitHub")):
        fixed = normalize(url)
        if fixed != url:
            return f"{url} is a {site} page, not the file; use {fixed}"
    if hf_file_kind(url) not in (None, "resolve"):
        return (
            f"{url} is not a Hugging Face file URL; use "
            "https://huggingface.co/<owner>/<repo>/resolve/main/<file>.wasm"
        )
    return None
