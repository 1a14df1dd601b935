"""Common `nn.Modules` used to define LLMs in this project."""

from .clip_vision import CLIPVisionConfig, CLIPVisionModel
from .image_processing import ImageProcessor
