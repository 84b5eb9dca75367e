"""ercc: compile ONNX recurrent networks to block-circulant HLS C++ kernels."""

__version__ = "0.1.0"
