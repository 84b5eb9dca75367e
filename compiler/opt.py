"""ercc-opt: xdsl-opt with ercc's dialects, passes and the hls-cpp target."""

from __future__ import annotations

from xdsl.xdsl_opt_main import xDSLOptMain

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
        for name, get in ERCC_UNIVERSE.all_passes.items():
            self.available_passes.setdefault(name, get)

    def register_all_targets(self) -> None:
        super().register_all_targets()
        for name, get in ERCC_UNIVERSE.all_targets.items():
            self.available_targets.setdefault(name, get)


def main() -> None:
    ErccOptMain(description="ercc modular optimizer driver (xdsl-opt with ercc's dialects and passes)").run()
