"""Running g++ on an emitted kernel: its cost estimated first, its failures told apart.

C simulation reads the kernel's tables from a file at run time
(`weights.py`), so g++'s time and memory grow with the kernel's code alone
(ap_fixed template instantiations, roughly with the source's size).
`compile_cost` estimates them with coefficients fitted on this project's
measurements (benchmarks/lstm1024_csim.py prints the estimate next to the
measured figures). A build whose estimate exceeds the limits is refused
before g++ starts, naming the limit and what to change; the limits are
`ERCC_CSIM_MAX_MIB` (default 4096) and `ERCC_CSIM_MAX_SECONDS` (default 3600).

g++ itself runs with its address space capped (`ERCC_CSIM_MAX_MIB`, at least
twice the estimate), so an underestimate ends in g++'s own out-of-memory
error instead of the system's OOM killer picking a process. A crash (a
signal, an internal compiler error) or running out of memory is the
machine's limit, not a bug in the emitted code: `CSimBuildError`, exit 2,
with the command that reproduces it. Any other g++ failure is a bug in ercc.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ercc.backends.hls.kernel import EmittedKernel
from ercc.errors import ErccError

__all__ = ["CSimBuildError", "CompileCost", "check_limits", "compile_cost", "run_gxx"]

_STDERR_TAIL = 4000
# Fitted on g++ 12 -O2 on the shared 2-core machine: a one-layer LSTM at K = 4 (15.8 KB of code:
# 9.9 s, 323 MiB) and the ESE LSTM at K = 8 (30.4 KB: 18-44 s under load, 347 MiB); time is the
# slow end.
_BASE_SECONDS, _SECONDS_PER_BYTE = 2.0, 1.2e-3  # over-estimates code-heavy kernels (0.5-0.8 MB: ~700 s estimated, ~30 s measured)
_BASE_MIB, _MIB_PER_BYTE = 300.0, 1.6e-3
_LIMITS = {"ERCC_CSIM_MAX_MIB": 4096.0, "ERCC_CSIM_MAX_SECONDS": 3600.0}
_OUT_OF_MEMORY = re.compile(r"out of memory|virtual memory exhausted|cannot allocate memory|std::bad_alloc", re.I)
_CRASH = re.compile(r"internal compiler error|terminated program|Segmentation fault")


class CSimBuildError(ErccError):
    """g++ could not build a C simulation for reasons of size (refused, crashed, out of memory)."""


@dataclass(frozen=True)
class CompileCost:
    """Estimated g++ cost of one kernel build."""

    seconds: float
    mib: float
    code: int  # bytes of kernel source

    def __str__(self) -> str:
        return f"about {self.seconds:.0f} s and {self.mib:,.0f} MiB"


def compile_cost(kernel: EmittedKernel) -> CompileCost:
    """The estimated time and peak memory of g++ on the kernel's C simulation."""
    code = len(kernel.source)
    return CompileCost(_BASE_SECONDS + _SECONDS_PER_BYTE * code, _BASE_MIB + _MIB_PER_BYTE * code, code)


def limit(name: str) -> float:
    """A limit from its environment variable, or its default."""
    text = os.environ.get(name)
    if text is None:
        return _LIMITS[name]
    try:
        value = float(text)
    except ValueError:
        raise ErccError(f"{name} must be a number, got '{text}'") from None
    if value <= 0:
        raise ErccError(f"{name} must be positive, got '{text}'")
    return value


def check_limits(kernel: EmittedKernel) -> CompileCost:
    """The kernel's compile cost, or a CSimBuildError when it exceeds a limit."""
    cost = compile_cost(kernel)
    max_mib, max_seconds = limit("ERCC_CSIM_MAX_MIB"), limit("ERCC_CSIM_MAX_SECONDS")
    over = []
    if cost.mib > max_mib:
        over.append(f"{cost.mib:,.0f} MiB of memory, more than ERCC_CSIM_MAX_MIB={max_mib:g}")
    if cost.seconds > max_seconds:
        over.append(f"{cost.seconds:.0f} s, more than ERCC_CSIM_MAX_SECONDS={max_seconds:g}")
    if over:
        raise CSimBuildError(
            f"the C simulation of {kernel.top} is too large to build: g++ would need about {' and '.join(over)}"
            f" (kernel code {cost.code:,} bytes); use fewer or smaller layers or a larger --block-size,"
            " or raise the limit if this machine has the memory and time"
        )
    return cost


def run_gxx(directory: Path, flags: list[str], source: str, output: Path, cost: CompileCost) -> None:
    """g++ FLAGS SOURCE -o OUTPUT in `directory`, into a temporary file renamed over `output`.

    Out of memory and crashes raise CSimBuildError (exit 2) with the command to reproduce;
    a compile error raises RuntimeError: the emitted kernel is wrong, a bug in ercc.
    """
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".gxx.", suffix=output.suffix)
    os.close(fd)
    cmd = ["g++", *flags, source, "-o", tmp]
    cap = max(limit("ERCC_CSIM_MAX_MIB"), 2 * cost.mib)
    # The address-space cap through the shell's ulimit (a preexec_fn is unsafe with threads).
    capped = ["sh", "-c", 'ulimit -v "$0" && exec "$@"', str(int(cap * 1024)), *cmd]
    proc = subprocess.run(capped, cwd=directory, capture_output=True, text=True)
    if proc.returncode == 0:
        os.replace(tmp, output)
        return
    os.unlink(tmp)
    tail = proc.stderr[-_STDERR_TAIL:]
    again = f"cd {shlex.quote(str(directory))} && {shlex.join([*cmd[:-1], output.name])}"
    if _OUT_OF_MEMORY.search(proc.stderr) or proc.returncode < 0 or _CRASH.search(proc.stderr):
        what = (
            f"ran out of memory (capped at {cap:,.0f} MiB)" if _OUT_OF_MEMORY.search(proc.stderr)
            else f"was killed by signal {signal.Signals(-proc.returncode).name}" if proc.returncode < 0
            else "crashed"
        )
        raise CSimBuildError(
            f"g++ {what} building the C simulation of the kernel ({cost} estimated); reproduce with: {again}"
            f" -- {' '.join(tail.split()[-30:])}"
        )
    raise RuntimeError(f"g++ failed on the emitted kernel in {directory} (exit {proc.returncode}):\n{tail}")
