"""`ercc explore` on two model/data pairs, xcku060 at 200 MHz, --max-drop 0.01: the figures of docs/explore.md.

  lstm-fsdd   a 1-layer LSTM-32 digit classifier (last frame, linear head) on FSDD MFCCs, 32 frames,
              trained here on the seed-1 split (2400 train / 600 test utterances); accuracy.
  lstm2-regr  a 2-layer LSTM-24 (last step, linear head) on a synthetic sequence regression with two
              float targets that need memory (3000 train / 1000 test, 30 steps); MSE, per-layer block sizes.

For each it trains the dense model, runs `ercc explore` (the command line, timed), runs the same command
again (from the cache, timed), and with --audit runs the exploration without screening (every config fully
trained, sharing the cache) to count the configs the screening rule discarded that a full ADMM would have
kept. Then it scores on the TEST set, with onnxruntime on the weights as the kernel stores them: dense,
the chosen config, and the best single-K config with the default 16-bit weights a user would have picked
by hand (from the audit); and the chosen config's kernel in C simulation (g++, fixed point).
Hardware figures are ercc's cost-model ESTIMATES.

Run: nice -n 10 .venv/bin/python benchmarks/explore_cases.py --cases lstm-fsdd --jobs 2 --audit [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

from ercc.training.fsdd import load_fsdd, pad


class LastStep(nn.Module):
    def __init__(self, cell, features: int, hidden: int, outputs: int, **kw):
        super().__init__()
        self.rnn = cell(features, hidden, batch_first=True, **kw)
        self.head = nn.Linear(hidden, outputs)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1])


def fsdd_case():
    x_train, y_train, x_test, y_test = load_fsdd(seed=1)
    return (LastStep(nn.LSTM, 13, 32, 10), (pad(x_train, 32)[0], y_train), (pad(x_test, 32)[0], y_test), 30,
            ["--trials", "100"])


def regression_data(n: int, rng: np.random.Generator):
    x = rng.standard_normal((n, 30, 4)).astype(np.float32)
    y0 = (x[:, 1:, 0] * x[:, :-1, 1]).mean(1) * np.sqrt(29)
    y1 = x[:, :10, 2].sum(1) / np.sqrt(10)
    return x, np.stack([y0, y1], 1).astype(np.float32)


def regression_case():
    rng = np.random.default_rng(11)
    return (LastStep(nn.LSTM, 4, 24, 2, num_layers=2), regression_data(3000, rng), regression_data(1000, rng), 30,
            ["--trials", "48", "--block-sizes", "1,4,8", "--weight-bits", "12,16"])


CASES = {"lstm-fsdd": fsdd_case, "lstm2-regr": regression_case}
AUDIT_K = "1,4,16"


def train_dense(model, x, y, epochs: int) -> None:
    """Adam, lr 1e-2, batch 64: as examples/make_lstm_classifier.py trains the bundled model."""
    loss_fn = nn.functional.cross_entropy if y.dtype.kind == "i" else nn.functional.mse_loss
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    rng = np.random.default_rng(0)
    for _ in range(epochs):
        for idx in np.array_split(rng.permutation(len(x)), len(x) // 64):
            opt.zero_grad()
            loss_fn(model(xs[idx]), ys[idx]).backward()
            opt.step()


def test_metric(model: onnx.ModelProto, x, y) -> float:
    out = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    return float(np.mean(out.argmax(1) == y)) if y.dtype.kind == "i" else float(np.mean((out - y) ** 2))


def stored_weights(model: onnx.ModelProto, config: dict) -> onnx.ModelProto:
    """The model with its recurrent weights as the kernel of `config` stores them (ercc export-onnx)."""
    from ercc.compiler.export_onnx import export_compressed
    from ercc.compiler.pipeline import CompileOptions

    return export_compressed(model, CompileOptions(
        precision="fixed", weight_bits=config["weight_bits"], act_bits=config["act_bits"],
        layers={n[:-2]: {"block_size_w": config["block_sizes"][n[:-2] + "/W"], "block_size_r": config["block_sizes"][n]}
                for n in config["block_sizes"] if n.endswith("/R")}))


def explore_cli(model: Path, data: Path, out: Path, jobs: int, extra: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ercc", "explore", str(model), "--data", str(data), "-o", str(out),
                    "--device", "xcku060", "--clock-mhz", "200", "--max-drop", "0.01", "--jobs", str(jobs),
                    "--quiet", *extra], check=True)
    return time.perf_counter() - start


def kernel_metric(best_onnx: Path, config_yaml: Path, x, y, work: Path) -> float:
    """The chosen kernel's C simulation (g++, fixed point) on the test set, through plain `ercc simulate`."""
    np.savez(work / "test_in.npz", x=x)
    subprocess.run([sys.executable, "-m", "ercc", "simulate", str(best_onnx), "--inputs", str(work / "test_in.npz"),
                    "-o", str(work / "test_out.npz"), "--config", str(config_yaml), "--quiet"], check=True)
    out = np.load(work / "test_out.npz")
    out = out[out.files[0]]
    return float(np.mean(out.argmax(1) == y)) if y.dtype.kind == "i" else float(np.mean((out - y) ** 2))


def row(name, result, metric_value, seconds=None):
    e = result["estimate"]
    return (f"| {name} | {result['label']} | {metric_value:.4f} | {e['throughput_fps']:,.0f} | {e['dsp']:,} "
            f"| {e['bram18k']:,} | {e['lut']:,} | {e['weight_bytes']:,} |")


def run_case(name: str, work: Path, jobs: int, audit: bool) -> list[str]:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model, (x_train, y_train), (x_test, y_test), epochs, extra = CASES[name]()
    start = time.perf_counter()
    train_dense(model, x_train, y_train, epochs)
    dense_s = time.perf_counter() - start
    path = work / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.from_numpy(x_train[:2]),), str(path), dynamo=False, opset_version=17,
                          input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    proto = onnx.load(path)
    proto.ir_version = 10  # onnxruntime reads IR versions up to 13
    onnx.save(proto, path)
    data = work / f"{name}-train.npz"
    np.savez(data, x=x_train, labels=y_train)
    run = work / f"{name}-run"
    first = explore_cli(path, data, run, jobs, extra)
    again = explore_cli(path, data, run, jobs, extra)
    saved = json.loads((run / "trials.json").read_text())
    s = saved["summary"]
    full = {t["label"]: t for t in saved["trials"] if t["phase"] == "full" and t["value"] is not None}
    best = full[saved["best"]]
    lines = [f"### {name}", "",
             f"dense training {dense_s:.0f} s; grid {s['grid_size']} configs ({s['block_size_assignments']} block-size"
             f" assignments); screened {s['screened']}; full-ADMM candidates {s['full_admm_candidates']};"
             f" configs fully trained {s['full_admm_configs']}; full ADMM trainings {s['trainings_run']['full']}"
             f" (first run; rerun: {s['trainings_run']['full']}, {s['trainings_cached']['full']} cached);"
             f" first run {first:.0f} s, rerun {again:.1f} s ({100 * again / first:.1f} %)", ""]
    dense_proto = onnx.load(path)
    metric = "accuracy" if y_test.dtype.kind == "i" else "MSE"
    lines += [f"| model | config | test {metric} | frames/s (est.) | DSP (est.) | BRAM18K (est.) | LUT (est.) "
              "| weight bytes (est.) |", "|---|---|---|---|---|---|---|---|"]
    dense_full = next((t for t in full.values() if t["config"]["dense"] and t["config"]["weight_bits"] == 16), None)
    lines.append(f"| dense float | - | {test_metric(dense_proto, x_test, y_test):.4f} | | | | | |")
    chosen = onnx.load(run / "best.onnx")
    lines.append(row("chosen", best, test_metric(stored_weights(chosen, best["config"]), x_test, y_test)))
    lines.append(f"| chosen, kernel C simulation (fixed point) | {best['label']} |"
                 f" {kernel_metric(run / 'best.onnx', run / 'best.yaml', x_test, y_test, work):.4f} | | | | | |")
    if audit:
        # On a sub-space (block sizes AUDIT_K for every matrix, 16-bit weights): the screened exploration
        # and one that trains every config fully, both on the main run's cache.
        sub = ["--block-sizes", AUDIT_K, "--weight-bits", "16", "--trials", "1000"]
        screened = work / f"{name}-audit-screened"
        explore_cli(path, data, screened, jobs, [*sub, "--cache", str(run / "cache")])
        audit_run = work / f"{name}-audit-full"
        start = time.perf_counter()
        explore_cli(path, data, audit_run, jobs, [*sub, "--cache", str(run / "cache"), "--no-screen"])
        audit_s = time.perf_counter() - start
        b = json.loads((screened / "trials.json").read_text())
        a = json.loads((audit_run / "trials.json").read_text())
        afull = {t["label"]: t for t in a["trials"] if t["phase"] == "full" and t["value"] is not None}
        lost = sorted(set(a["pareto"]) - set(b["pareto"]))
        lines += ["", f"audit on block sizes {{{AUDIT_K}}} per matrix, 16-bit weights ({a['summary']['grid_size']}"
                  f" configs): screened run trained {b['summary']['full_admm_configs']} configs fully"
                  f" ({b['summary']['trainings_run']['full'] + b['summary']['trainings_cached']['full']} full ADMM"
                  f" trainings); without screening {a['summary']['full_admm_configs']} ({audit_s:.0f} s);"
                  f" Pareto set with screening {b['pareto']}, without {a['pareto']};"
                  f" Pareto-optimal configs the screen discarded: {lost or 'none'}", ""]
        single = [t for t in afull.values() if len(set(t["config"]["block_sizes"].values())) == 1]
        ok = [t for t in single if _meets(t, a)]
        if ok:
            hand = max(ok, key=lambda t: (t["estimate"]["throughput_fps"], -t["estimate"]["weight_bytes"]))
            lines.append(row("best single K, 16-bit weights (by hand)", hand, test_metric(
                stored_weights(onnx.load(path) if hand["config"]["dense"] else _trained(run, hand), hand["config"]),
                x_test, y_test)))
    if dense_full is not None:
        lines.append(row("dense K = 1, 16-bit weights", dense_full,
                         test_metric(stored_weights(dense_proto, dense_full["config"]), x_test, y_test)))
    return lines


def _meets(t: dict, saved: dict) -> bool:
    s = saved["summary"]
    if s["metric"] == "accuracy":
        return t["value"] >= s["threshold_value"] - 1e-12 and not t["estimate"]["over_device"]
    return t["value"] <= s["threshold_value"] + 1e-12 and not t["estimate"]["over_device"]


def _trained(run: Path, t: dict) -> onnx.ModelProto:
    return onnx.load(run / "cache" / f"{t['train_key']}.onnx")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", default=",".join(CASES))
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--audit", action="store_true")
    p.add_argument("--work", type=Path, default=None)
    args = p.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="explore-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    for name in args.cases.split(","):
        print("\n".join(run_case(name, work, args.jobs, args.audit)), flush=True)


if __name__ == "__main__":
    main()
