"""ercc: compile ONNX recurrent networks to block-circulant HLS C++ kernels."""

__version__ = "0.1.0"

# The Python API (ercc.api), imported on first use so `import ercc` stays light (no xDSL).
_API = ("compile", "CompiledModel", "option_names")


def __getattr__(name: str):
    if name == "explore":  # design-space exploration (the explore extra: optuna, ray, matplotlib)
        from ercc.exploration import explore

        return explore
    if name in _API:
        from ercc import api

        return getattr(api, name)
    raise AttributeError(f"module 'ercc' has no attribute {name!r}")
