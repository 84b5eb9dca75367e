"""Find a model's recurrent weight matrices and switch them to and from circulant form.

The constrained matrices are every W_ih and W_hh of every layer and direction
of ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` modules, plus any module that lists its
own through a ``circulant_weights()`` method (the ONNX rebuild does this).

A block size is an int for every matrix, or a mapping from a weight name
(``"rnn.weight_hh_l0"``) or a module name (``"rnn"``) to an int or to
``{"w": K_W, "r": K_R}``: the input matrices (W, ``weight_ih*``) and the
recurrent ones (R, ``weight_hh*``) of that module may have different K, as
E-RNN allows (a role the mapping leaves out stays dense).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils import parametrize

from ercc.training.circulant import BlockCirculant, project_gates

BlockSize = int | Mapping[str, int | Mapping[str, int]]
ROLES = ("w", "r")  # input (W, weight_ih) and recurrent (R, weight_hh) matrices

_RNN_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


@dataclass(frozen=True)
class Target:
    """One stacked recurrent weight: ``module.attr`` holds ``gates`` matrices, each k-circulant."""

    name: str
    module: nn.Module
    attr: str
    gates: int
    k: int
    role: str = "w"  # "w": input matrix, "r": recurrent matrix

    def weight(self) -> torch.Tensor:
        """The current dense weight (through any parametrization)."""
        return getattr(self.module, self.attr)


def _recurrent_weights(module: nn.Module) -> list[tuple[str, int, str]]:
    """(attribute, gate count, role "w"/"r") of each constrained weight a module owns."""
    if isinstance(module, nn.RNNBase):
        if getattr(module, "proj_size", 0):
            raise ValueError("LSTM with proj_size is not supported")
        gates = _RNN_GATES[module.mode]
        names = [n for n in module._flat_weights_names if n.startswith(("weight_ih", "weight_hh"))]
        return [(n, gates, "w" if n.startswith("weight_ih") else "r") for n in names]
    if hasattr(module, "circulant_weights"):
        return [(attr, gates, *(role or ["w"])) for attr, gates, *role in module.circulant_weights()]
    return []


def _block_size_for(block_size: BlockSize, name: str, module_name: str, role: str) -> int | None:
    """A weight's block size: an int applies everywhere; a mapping by weight or module name,
    whose value is an int or a {"w": K, "r": K} mapping by the weight's role."""
    if isinstance(block_size, int):
        return block_size
    for key in (name, module_name):
        if key in block_size:
            k = block_size[key]
            if isinstance(k, Mapping):
                unknown = sorted(set(k) - set(ROLES))
                if unknown:
                    raise ValueError(f"block size of {key}: unknown matrix '{unknown[0]}' (use 'w' and 'r')")
                return k.get(role)
            return k
    return None


def recurrent_targets(model: nn.Module, block_size: BlockSize) -> list[Target]:
    """Every recurrent weight that gets a block size, in module order.

    With a mapping, weights it does not name stay dense; a key that names no
    recurrent weight or module is an error, so typos do not silently train
    a dense model.
    """
    targets, used = [], set()
    for module_name, module in model.named_modules():
        for attr, gates, role in _recurrent_weights(module):
            name = f"{module_name}.{attr}" if module_name else attr
            k = _block_size_for(block_size, name, module_name, role)
            used.update({name, module_name})
            if k is None:
                continue
            if isinstance(k, bool) or not isinstance(k, int) or k < 1:
                raise ValueError(f"block size for {name} must be an integer >= 1, got {k!r}")
            targets.append(Target(name, module, attr, gates, k, role))
    if not isinstance(block_size, int):
        unknown = sorted(set(block_size) - used)
        if unknown:
            raise ValueError(f"block_size names no recurrent weight: {', '.join(unknown)}")
    if not targets:
        raise ValueError("the model has no recurrent weights to constrain")
    return targets


def make_circulant(model: nn.Module, block_size: BlockSize) -> list[Target]:
    """Reparametrize each recurrent weight by its defining vectors (projecting it first).

    Afterwards the trainable parameters are ``module.parametrizations.<attr>.original``
    of shape (..., gates, p, q, k); the forward pass expands them by gather.
    """
    targets = recurrent_targets(model, block_size)
    for t in targets:
        shape = t.weight().shape
        parametrize.register_parametrization(t.module, t.attr, BlockCirculant(shape, t.gates, t.k))
    return targets


def make_dense(model: nn.Module) -> None:
    """Undo ``make_circulant``: plain dense parameters holding the (exactly circulant) weights."""
    for module in model.modules():
        if parametrize.is_parametrized(module):
            for attr in list(module.parametrizations):
                if isinstance(module.parametrizations[attr][0], BlockCirculant):
                    parametrize.remove_parametrizations(module, attr, leave_parametrized=True)


@torch.no_grad()
def project_model(model: nn.Module, block_size: BlockSize) -> None:
    """Hard projection in place: every recurrent weight becomes its nearest block-circulant matrix."""
    for t in recurrent_targets(model, block_size):
        w = t.weight()
        w.copy_(project_gates(w, t.gates, t.k))
