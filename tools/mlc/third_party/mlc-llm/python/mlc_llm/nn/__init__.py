"""Common `nn.Modules` used to define LLMs in this project."""

from .expert import MixtralExperts
from .kv_cache import PagedKVCache, RopeMode
