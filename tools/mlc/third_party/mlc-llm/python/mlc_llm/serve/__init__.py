"""Subdirectory of serving."""

# Load MLC LLM library by importing base
from .. import base
from .config import EngineConfig
from .data import Data, ImageData, RequestStreamOutput, TextData, TokenData
from .embedding_engine import AsyncEmbeddingEngine
from .engine import AsyncMLCEngine, MLCEngine
from .radix_tree import PagedRadixTree
from .request import Request
from .server import PopenServer
