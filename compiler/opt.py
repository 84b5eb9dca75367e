"""ercc-opt: xdsl-opt with ercc's dialects, passes and the hls-cpp target."""

from __future__ import annotations

import argparse
import sys

from xdsl.xdsl_opt_main import xDSLOptMain

from ercc.errors import ErccError
from ercc.universe import ERCC_UNIVERSE


class ErccOptMain(xDSLOptMain):
    """Registers ercc's universe unless the installed entry point already did."""

    def register_all_dialects(self) -> None:
        super().register_all_dialects()
        for name, get in ERCC_UNIVERSE.all_dialects.items():
            if name not in self.ctx.registered_dialect_names:
                self.ctx.register_dialect(name, get)

    def register_all_passes(self) -> None:
        super().register_all_passes()
        from ercc.api import _EXTRA_PASSES

        for name, get in {**ERCC_UNIVERSE.all_passes, **_EXTRA_PASSES}.items():
            self.available_passes.setdefault(name, get)

    def register_all_arguments(self, arg_parser) -> None:
        super().register_all_arguments(arg_parser)
        arg_parser.formatter_class = argparse.RawDescriptionHelpFormatter
        passes = sorted(ERCC_UNIVERSE.all_passes.items())
        arg_parser.epilog = "ercc's passes (-p NAME or NAME{option=value}):\n" + "\n".join(
            f"  {name:26} {_summary(get())}" for name, get in passes
        )

    def register_all_targets(self) -> None:
        super().register_all_targets()
        for name, get in ERCC_UNIVERSE.all_targets.items():
            self.available_targets.setdefault(name, get)


def _summary(pass_class) -> str:
    """The first line of a pass's docstring: what it does."""
    return (pass_class.__doc__ or "").strip().splitlines()[0] if pass_class.__doc__ else ""


def _load_plugins(argv: list[str]) -> list[str]:
    """Load every `--load-pass-plugin FILE.py|MODULE` (its ModulePass classes) and drop it from argv."""
    from ercc.api import load_pass_plugin

    rest, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--load-pass-plugin" and i + 1 < len(argv):
            load_pass_plugin(argv[i + 1])
            i += 2
            continue
        if arg.startswith("--load-pass-plugin="):
            load_pass_plugin(arg.split("=", 1)[1])
        else:
            rest.append(arg)
        i += 1
    return rest


def main() -> None:
    from xdsl.utils.exceptions import ParseError, PassFailedException, VerifyException

    args = _load_plugins(sys.argv[1:])
    try:
        ErccOptMain(
            description="ercc modular optimizer driver (xdsl-opt with ercc's dialects and passes;"
            " --load-pass-plugin FILE.py adds the ModulePass classes of a Python file)",
            args=args,
        ).run()
    except ParseError as e:  # xdsl-opt raises it unless --parsing-diagnostics: FILE:LINE:COL: reason, exit 2
        where = e.span.get_location()
        print(f"ercc-opt: error: {where.file}:{where.line}:{where.col}: {' '.join(e.msg.split())}", file=sys.stderr)
        sys.exit(2)
    except (PassFailedException, ErccError, VerifyException) as e:  # a pass, the verifier or the backend
        print(f"ercc-opt: error: {' '.join(str(e).split())}", file=sys.stderr)  # rejected the input: one line
        sys.exit(2)
