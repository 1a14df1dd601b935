"""A subpackage for quantization and dequantization algorithms"""

from .awq_quantization import AWQQuantize
from .block_scale_quantization import BlockScaleQuantize
from .fp8_quantization import FP8PerTensorQuantizeMixtralExperts
from .ft_quantization import FTQuantize
from .group_quantization import GroupQuantize
from .model_quantization import make_awq_quant, make_quantization_functions
from .no_quantization import NoQuantize
from .per_tensor_quantization import PerTensorQuantize
from .quantization import QUANTIZATION, Quantization
