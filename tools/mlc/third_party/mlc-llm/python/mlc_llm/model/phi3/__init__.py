"""Common `nn.Modules` used to define LLMs in this project."""

from .phi3_model import Phi3Model
