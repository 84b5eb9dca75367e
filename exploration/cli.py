"""`ercc explore MODEL.onnx --data train.npz -o runs/NAME/ [...]`: the command line of `ercc.explore`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ercc.errors import ErccError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        raise ErccError(f"{message} (see 'ercc explore --help')")


def _list(kind):
    def parse(text: str):
        try:
            return [kind(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {kind.__name__}s, got '{text}'") from None
    return parse


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ercc explore", description=(
        "Search block sizes (per recurrent layer), weight/activation bits and the DSP fraction of a model"
        " under an accuracy limit: screen every config cheaply, ADMM-train only those that can be"
        " Pareto-optimal, and write trials.json, pareto.png, best.yaml and best.onnx into the run folder."
        " Hardware figures are ercc's cost-model estimates. docs/explore.md."))
    p.add_argument("model", help="the dense ONNX model (LSTM/GRU/RNN nodes)")
    p.add_argument("--data", required=True, help=".npz: one array per graph input (batch first) and the labels")
    p.add_argument("--val", default=None, help=".npz validation set (default: a seeded 20 %% hold-out of --data)")
    p.add_argument("-o", "--output", required=True, help="the run folder (study.db, cache/, results)")
    p.add_argument("--device", default="xcku060", help="FPGA preset (default xcku060)")
    p.add_argument("--clock-mhz", type=float, default=200.0, help="clock for frames/s (default 200)")
    p.add_argument("--max-drop", type=float, default=0.01,
                   help="allowed validation accuracy drop from dense, as a fraction (0.01 = 1 point);"
                   " for a loss, its relative increase (default 0.01)")
    p.add_argument("--noise-margin", type=float, default=1.0, metavar="Z",
                   help="a trained config meets --max-drop when its validation drop plus Z paired standard errors"
                   " does (default 1; 0: the plain limit); docs/explore.md")
    p.add_argument("--trials", type=int, default=64,
                   help="screening trials: the whole grid when it is no larger, else NSGA-II samples (default 64)")
    p.add_argument("--jobs", type=int, default=1, help="trials in parallel, one torch thread each (default 1)")
    p.add_argument("--ray", default=None, metavar="ADDRESS", help="run trials as Ray tasks on this cluster (or 'auto')")
    p.add_argument("--seed", type=int, default=0, help="seed of the hold-out, the trainings and the sampler")
    p.add_argument("--block-sizes", type=_list(int), default=None, metavar="K,..", help="block sizes to try (default 1,2,4,8,16)")
    p.add_argument("--weight-bits", type=_list(int), default=None, metavar="B,..", help="weight widths (default 8,12,16)")
    p.add_argument("--act-bits", type=_list(int), default=None, metavar="B,..", help="activation widths (default 16)")
    p.add_argument("--dsp-fraction", type=_list(float), default=None, metavar="F,..", help="DSP fractions (default 0.9)")
    p.add_argument("--config", default=None, metavar="FILE",
                   help="a .yaml/.json with per-layer pins: 'layers: {NODE: {block_sizes: [4, 8]}}'")
    p.add_argument("--labels-key", default="labels", help="npz key of the labels or targets (default 'labels')")
    p.add_argument("--project", action="store_true", help="also write the Vitis HLS project of the chosen config")
    p.add_argument("--cache", default=None, metavar="DIR", help="the trial cache (default RUN/cache); shareable")
    p.add_argument("--no-screen", action="store_true",
                   help="train every config fully (what the screening rule is measured against; slow)")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    return p


def _layer_pins(path: str | None) -> dict[str, list[int]]:
    if path is None:
        return {}
    from ercc.compiler.compile_command import load_config

    config = load_config(path)
    layers = config.get("layers", {})
    if set(config) - {"layers"} or not isinstance(layers, dict):
        raise ErccError("an explore --config holds only 'layers: {NODE: {block_sizes: [..]}}'", file=path)
    pins = {}
    for name, entry in layers.items():
        entry = {str(k).replace("-", "_"): v for k, v in entry.items()} if isinstance(entry, dict) else {}
        sizes = entry.get("block_sizes", entry.get("block_size"))
        sizes = [sizes] if isinstance(sizes, int) else sizes
        if not isinstance(sizes, list) or not all(isinstance(k, int) for k in sizes):
            raise ErccError(f"layers: '{name}': needs block_sizes: [K, ...]", file=path)
        pins[str(name)] = sizes
    return pins


def explore_command(argv: Sequence[str]) -> int:
    from rich.console import Console

    from ercc.exploration.run import explore

    args = build_parser().parse_args(list(argv))
    result = explore(
        args.model, args.data, out=args.output, val=args.val, device=args.device, clock_mhz=args.clock_mhz,
        max_drop=args.max_drop, noise_margin=args.noise_margin, trials=args.trials, jobs=args.jobs, ray=args.ray, seed=args.seed,
        project=args.project, block_sizes=args.block_sizes, weight_bits=args.weight_bits, act_bits=args.act_bits,
        dsp_fractions=args.dsp_fraction, layers=_layer_pins(args.config), labels_key=args.labels_key,
        cache=args.cache, screen=not args.no_screen, quiet=args.quiet or not sys.stderr.isatty())
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(result.table())
    s = result.summary
    console.print(
        f"chosen {result.best['label']}: val {s['metric']} {result.best['value']:.4f} (dense {s['dense_value']:.4f},"
        f" drop {result.best['drop']:.4f} ± {result.best['drop_se']:.4f});"
        f" {s['full_admm_configs']} configs fully trained with {s['trainings_run']['full']} full ADMM trainings"
        f" ({s['trainings_cached']['full']} from the cache) for a grid of {s['grid_size']} configs"
        f" ({s['block_size_assignments']} block-size assignments); {s['seconds']:.1f} s -> {args.output}")
    return 0
