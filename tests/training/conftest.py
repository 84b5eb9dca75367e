"""Small exported models shared by the ONNX tests; puts this folder on sys.path for `admm_helpers`."""

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
# These models are tiny: with two threads on a shared 2-core machine torch spends its time contending.
torch.set_num_threads(1)

from admm_helpers import Classifier, export  # noqa: E402


@pytest.fixture(scope="session")
def lstm_onnx(tmp_path_factory):
    torch.manual_seed(0)
    return export(Classifier(torch.nn.LSTM, num_layers=2), tmp_path_factory.mktemp("m") / "lstm.onnx")
