"""Namespace for tokenizer rleated utilities"""

from .streamer import StopStrHandler, TextStreamer
from .tokenizers import Tokenizer
