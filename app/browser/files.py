"""Files in and out of the page: downloads from bytes, reading a chosen file."""

from __future__ import annotations

import json
from typing import Any

from pyscript import document, window
from pyscript.ffi import to_js

from app import jsontext

__all__ = ["download", "download_json", "read_chosen_file", "read_chosen_json"]


def download(filename: str, content: bytes | str, mime: str) -> None:
    """Offer ``content`` as a download named ``filename``."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    array = window.Uint8Array.new(to_js(data))
    blob = window.Blob.new([array], to_js({"type": mime}, dict_converter=window.Object.fromEntries))
    url = window.URL.createObjectURL(blob)
    link = document.createElement("a")
    link.href = url
    link.download = filename
    link.hidden = True
    document.body.appendChild(link)
    link.click()
    link.remove()
    window.setTimeout(window.URL.revokeObjectURL, 10_000, url)


async def read_chosen_file(input_element: Any) -> tuple[str, bytes] | None:
    """Name and bytes of the file picked in ``<input type=file>`` (then cleared for next time)."""
    files = input_element.files
    if not files or files.length == 0:
        return None
    chosen = files.item(0)
    buffer = await chosen.arrayBuffer()
    data = bytes(window.Uint8Array.new(buffer).to_py())
    input_element.value = ""
    return str(chosen.name), data


def download_json(filename: str, data: object) -> None:
    """``data`` as a readable JSON file (non-ASCII kept as it is)."""
    download(filename, json.dumps(data, ensure_ascii=False, indent=1), "application/json")


async def read_chosen_json(input_element: Any) -> tuple[str, Any] | None:
    """Name and parsed JSON of the picked file (``None``: none picked); ``ValueError`` with a
    readable reason when it is not UTF-8 JSON, or too deep or large to read safely."""
    chosen = await read_chosen_file(input_element)
    if chosen is None:
        return None
    name, raw = chosen
    return name, jsontext.loads(raw.decode("utf-8-sig"))
