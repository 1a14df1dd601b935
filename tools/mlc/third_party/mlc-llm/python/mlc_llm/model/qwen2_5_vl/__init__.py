"""Qwen2.5-VL architecture entry."""

from .qwen2_5_vl_model import Qwen25VLConfig, Qwen25VLLMHeadModel
