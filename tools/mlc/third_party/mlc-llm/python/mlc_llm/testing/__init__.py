"""
Test and debug tools for MLC LLM
"""

from .pytest_utils import require_test_model, require_test_tokenizers
