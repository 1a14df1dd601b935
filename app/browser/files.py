"""Files in and out of the page: downloads from bytes, reading a chosen file."""

from __future__ import annotations

from typing import Any

from pyscript import document, window
from pyscript.ffi import to_js

__all__ = ["download", "read_chosen_file"]


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
