"""docs/tutorial.md runs: its python blocks in one namespace, its bash lines through the shell."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
BLOCK = re.compile(r"^```(python|bash)\n(.*?)^```", re.S | re.M)


def blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(TUTORIAL.read_text())]


def test_the_tutorial_has_code():
    kinds = [k for k, _ in blocks()]
    assert kinds.count("python") >= 4 and kinds.count("bash") >= 2


def test_the_tutorial_runs(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "PATH": path, "ERCC_REPO": str(ROOT)}  # as its first section says to set
    namespace: dict = {"__name__": "tutorial"}
    for kind, code in blocks():
        if kind == "python":
            exec(compile(code, str(TUTORIAL), "exec"), namespace)  # noqa: S102 - the docs' own code
            continue
        for line in code.strip().splitlines():
            result = subprocess.run(line, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
    assert (tmp_path / "tagger_prj" / "tb.cpp").is_file()
    assert "hard_sigmoid" in (tmp_path / "tagger.hard.mlir").read_text()
