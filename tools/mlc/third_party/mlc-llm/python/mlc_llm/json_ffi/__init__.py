"""JSON FFI is a pure string based interface of MLC LLM Engine.

We build interfacing with JSON FFI for both testing purposes
and internal use. For most python API usage, please use MLCEngine
and MLCAsyncEngine
"""

from .engine import JSONFFIEngine
