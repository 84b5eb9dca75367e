"""C simulation of the ESE / C-LSTM speech LSTM end to end: `ercc simulate`, `predict()` and `make csim`.

The model of benchmarks/lstm1024_schedule.py (2 layers, 1024 cells, 153
inputs, 13.2 M weights; random weights, T = 16), fixed point, xcku060. For each
block size K it measures, as medians of `--runs` runs, wall time and peak
memory (resident set of the whole process tree, sampled with psutil every
50 ms) of:

- `ercc simulate` from a cold build cache (import, passes, emission, g++, run),
  and whether its output is bit-identical to `--engine reference`;
- `predict()` in a fresh Python process: `ercc.compile`, the first call (g++
  into a shared library, then the run) and a second call (the loaded library);
  then a new process whose build is cached;
- `make -C prj csim` on the project `ercc -o prj/` writes (g++ on the kernel
  and its literal weights header, then the testbench's golden sequences);

and prints the kernel source, weights header and weights.bin sizes, and the
g++ estimate the C simulation checks against its limits. Dense (K = 1) runs
the same way with `--ks 1`. `--opt-levels O1 O2` also times g++ and the
run of the csim build at each level (the same bits at every level: checked).

    python benchmarks/lstm1024_csim.py [--ks 8 16] [--runs 3] [--sequences 4] [--opt-levels O1 O2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lstm1024_schedule import I, T, build_model  # noqa: E402

from ercc.backends.hls.gxx import compile_cost  # noqa: E402
from ercc.backends.hls.kernel import EmittedKernel  # noqa: E402

_PREDICT = f"""
import json, sys, time
import numpy as np
import ercc
x = np.load(sys.argv[1])["x"]
t0 = time.perf_counter()
m = ercc.compile(sys.argv[2], block_size=int(sys.argv[3]), precision="fixed", seq_len={T})
t1 = time.perf_counter()
y1 = m.predict(x)
t2 = time.perf_counter()
c2 = time.process_time()
y2 = m.predict(x)
t3 = time.perf_counter()
cpu = time.process_time() - c2
np.savez(sys.argv[4], **y1)
same = all(np.array_equal(y1[k], y2[k]) for k in y1)
print(json.dumps({{"compile": t1 - t0, "first": t2 - t1, "second": t3 - t2, "cpu": cpu, "same": same}}))
"""


def measure(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak MiB of the process tree's resident memory, and stdout of `cmd`."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err, text=True)
        root, peak = psutil.Process(proc.pid), 0
        while proc.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.05)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd[:4])} ... failed (exit {proc.returncode}): {err.read()[-2000:]}")
        out.seek(0)
        return wall, peak / 2**20, out.read()


def median(rows: list[tuple[float, float]]) -> str:
    walls, peaks = zip(*rows)
    return f"{statistics.median(walls):6.1f} s {statistics.median(peaks):7,.0f} MiB"


def opt_level(build: Path, level: str, runs: int, sequences: int, inputs: Path, tmp: Path) -> str:
    """g++ at `level` on a csim build directory, and the run of `sequences` sequences: medians."""
    cmd = [arg if not arg.startswith("-O") else level for arg in ["g++", *gxx_flags_of(build), "driver.cpp"]]
    x = np.load(inputs)["x"].transpose(1, 0, 2).astype("<f4")
    x.tofile(tmp / "opt_in.bin")
    builds, runs_ = [], []
    for _ in range(runs):
        builds.append(measure([*cmd, "-o", str(tmp / f"csim{level}")], os.environ, cwd=build)[:2])
        runs_.append(measure([str(tmp / f"csim{level}"), str(sequences), str(tmp / "opt_in.bin"),
                              str(tmp / f"out{level}.bin"), str(build / "weights.bin")], os.environ)[:2])
    reference = build / "reference.bin"
    subprocess.run([str(build / "csim"), str(sequences), str(tmp / "opt_in.bin"), str(reference),
                    str(build / "weights.bin")], check=True)
    same = (tmp / f"out{level}.bin").read_bytes() == reference.read_bytes()
    return f"g++ {median(builds)}, run {median(runs_)}, same bits as -O2: {same}"


def gxx_flags_of(build: Path) -> list[str]:
    """The flags ercc built `build` with (its -I for ap_types)."""
    from ercc.backends.hls.csim import gxx_flags

    return gxx_flags(EmittedKernel(source=(build / "kernel.cpp").read_text(), top="", inputs=[], outputs=[]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sequences", type=int, default=4)
    parser.add_argument("--opt-levels", nargs="*", default=[], type=lambda level: "-" + level.lstrip("-"),
                        help="g++ levels without the dash (argparse takes -O1 for an option): O1 O2 O3")
    parser.add_argument("--skip-make", action="store_true", help="no project, no make csim")
    args = parser.parse_args()
    ercc = [sys.executable, "-m", "ercc"]
    with tempfile.TemporaryDirectory(prefix="ercc-bench-") as tmp:
        tmp = Path(tmp)
        model, inputs = tmp / "lstm1024.onnx", tmp / "in.npz"
        build_model(model)
        rng = np.random.default_rng(0)
        np.savez(inputs, x=rng.uniform(-1, 1, (T, args.sequences, I)).astype(np.float32))
        print(f"2-layer LSTM, 1024 cells, {I} inputs, T = {T}, fixed point, xcku060; {args.sequences} sequences;"
              f" medians of {args.runs} runs on {os.cpu_count()} cores (wall, peak RSS of the process tree);"
              f" load average {os.getloadavg()[0]:.1f} at the start\n")
        for k in args.ks:
            base = {**os.environ, "OMP_NUM_THREADS": "1"}
            opts = ["--block-size", str(k), "--precision", "fixed"]
            sim, pred, cached, make = [], [], [], []
            for run in range(args.runs):
                env = {**base, "ERCC_CACHE_DIR": str(tmp / f"cache-k{k}-{run}")}
                wall, peak, _ = measure([*ercc, "simulate", str(model), "--inputs", str(inputs),
                                         "-o", str(tmp / f"csim{k}.npz"), *opts], env)
                sim.append((wall, peak))
                env = {**base, "ERCC_CACHE_DIR": str(tmp / f"cache-p{k}-{run}")}
                cmd = [sys.executable, "-c", _PREDICT, str(inputs), str(model), str(k), str(tmp / f"pred{k}.npz")]
                wall, peak, out = measure(cmd, env)
                pred.append((wall, peak, json.loads(out)))
                wall, peak, out = measure(cmd, env)  # the same cache: no g++
                cached.append((wall, peak, json.loads(out)))
            env = {**base, "ERCC_CACHE_DIR": str(tmp / f"cache-k{k}-0")}
            measure([*ercc, "simulate", str(model), "--inputs", str(inputs), "-o", str(tmp / f"ref{k}.npz"),
                     "--engine", "reference", *opts], env)
            prj = tmp / f"prj{k}"
            measure([*ercc, str(model), "-o", f"{prj}/", *opts, "--seq-len", str(T)], env)
            for _ in range(0 if args.skip_make else args.runs):
                subprocess.run(["rm", "-rf", str(prj / "build")], check=True)
                wall, peak, out = measure(["make", "-C", str(prj), "csim"], base)
                make.append((wall, peak))
            matches = next((ln for ln in out.splitlines() if "outputs match" in ln), "") if make else ""
            csim, ref, py = (np.load(tmp / f"{n}{k}.npz") for n in ("csim", "ref", "pred"))
            mismatches = sum(int(np.count_nonzero(csim[n] != ref[n])) for n in ref.files)
            pred_same = all(np.array_equal(py[n], csim[n]) for n in csim.files)
            sizes = {name: (prj / name).stat().st_size for name in ("ercc_kernel.cpp", "ercc_kernel_weights.h")}
            cache = next(d for d in (tmp / f"cache-k{k}-0").iterdir() if (d / "csim").is_file())
            source = (prj / "ercc_kernel.cpp").read_text()
            estimate = compile_cost(EmittedKernel(source=source, top="ercc_kernel", inputs=[], outputs=[]))

            print(f"K = {k}:")
            print(f"  ercc simulate (cold cache)           {median(sim)}")
            print(f"  csim vs --engine reference           {mismatches} mismatching elements of"
                  f" {sum(ref[n].size for n in ref.files):,}")
            print(f"  predict(): process, cold cache       {median([(w, p) for w, p, _ in pred])}"
                  f"  (compile {statistics.median(r['compile'] for *_, r in pred):.1f} s,"
                  f" first call {statistics.median(r['first'] for *_, r in pred):.1f} s,"
                  f" second call {statistics.median(r['second'] for *_, r in pred):.2f} s,"
                  f" {statistics.median(r['cpu'] for *_, r in pred):.2f} s of CPU on all threads)")
            print(f"  predict(): process, cached build     {median([(w, p) for w, p, _ in cached])}"
                  f"  (first call {statistics.median(r['first'] for *_, r in cached):.2f} s);"
                  f" bit-identical to ercc simulate: {pred_same}")
            if make:
                print(f"  make -C prj csim                     {median(make)}  ({matches})")
            print(f"  kernel source {sizes['ercc_kernel.cpp']:,} bytes, weights header"
                  f" {sizes['ercc_kernel_weights.h']:,} bytes, weights.bin {(cache / 'weights.bin').stat().st_size:,}"
                  " bytes")
            print(f"  g++ estimate checked before building: {estimate}")
            for level in args.opt_levels:
                print(f"  {level}: " + opt_level(cache, level, args.runs, args.sequences, inputs, tmp))
            print()


if __name__ == "__main__":
    main()
