"""The server related data structure and tools in MLC LLM serve."""

from .popen_server import PopenServer
from .server_context import ServerContext
