"""C++ text of a straight-line real FFT (`ercc.numerics.fft_plan`): one function per signature.

`circ.rfft` / `circ.irfft` call one of these per block. The body is the
plan's values in order, each `const T vN = <exact sum of ±twiddle·value>;`
with T its stage's type, so every butterfly is unrolled, every twiddle is a
constant and HLS sees no loop at all. The numpy reference executor runs the
same plan with the same assignments (bit for bit in fixed point).
"""

from __future__ import annotations

from dataclasses import dataclass

from ercc.numerics.fft_plan import ONE, Plan


@dataclass(frozen=True)
class FFTTypes:
    """The C types and constants of one FFT function.

    `stages[s-1]` holds stage s's values (all stages but the last, which writes
    `output`). For the inverse FFT's 1/k: fixed point assigns the last stage's
    sum to `scaled` (the output format with log2 k more integer bits) and
    copies its bits into the output; float multiplies by `scale`.
    """

    input: str
    output: str
    stages: tuple[str, ...]
    twiddle: str
    twiddles: tuple[str, ...]
    scaled: str | None = None
    scale: str | None = None


def fft_function(name: str, plan: Plan, types: FFTTypes, fabric: bool = False) -> str:
    """`static void name(const in x[n_in], out y[n_out])` computing the plan; with `fabric`, each
    twiddle product is a variable of its own bound to a LUT multiplier (the same exact product)."""
    n_out = len(plan.outputs)
    kind = "inverse real FFT" if plan.inverse else "real FFT"
    lines = [
        f"// Length-{plan.k} {kind}, straight line: {plan.multiplies()} real multiplies, "
        f"{plan.additions()} additions.",
        f"static void {name}(const {types.input} x[{plan.inputs}], {types.output} y[{n_out}]) {{",
        "#pragma HLS inline",
    ]
    lines += [f"  const {types.twiddle} w{i} = {lit};" for i, lit in enumerate(types.twiddles)]

    def ref(value: int) -> str:
        return f"x[{value}]" if value < plan.inputs else f"v{value}"

    products = 0

    def product(tw: int, value: int) -> str:
        nonlocal products
        if not fabric:
            return f"w{tw} * {ref(value)}"
        products += 1
        lines.append(f"  const auto p{products} = w{tw} * {ref(value)};")
        lines.append(f"#pragma HLS bind_op variable=p{products} op=mul impl=fabric")
        return f"p{products}"

    def expression(terms) -> str:
        text = ""
        for i, t in enumerate(terms):  # the plan puts positive terms first
            operand = ref(t.value) if t.tw == ONE else product(t.tw, t.value)
            if i == 0:
                text = operand if t.sign > 0 else f"-({operand})"
            else:
                text += f" {'+' if t.sign > 0 else '-'} {operand}"
        return text

    out_of = {v: j for j, v in enumerate(plan.outputs) if v is not None}
    for offset, c in enumerate(plan.computed):
        value = plan.inputs + offset
        expr = expression(c.terms)
        if c.stage < plan.stages:
            lines.append(f"  const {types.stages[c.stage - 1]} v{value} = {expr};")
            continue
        j = out_of[value]
        if plan.out_shift == 0:
            lines.append(f"  y[{j}] = {expr};")
        elif types.scaled is not None:
            # sum / k: assigned with log2 k more integer bits, then the same bits read in the output format.
            lines.append(f"  const {types.scaled} s{j} = {expr};")
            lines.append(f"  y[{j}].range() = s{j}.range();")
        else:
            lines.append(f"  y[{j}] = ({expr}) * {types.scale};")
    lines += [f"  y[{j}] = 0;" for j, v in enumerate(plan.outputs) if v is None]
    lines.append("}")
    return "\n".join(lines)
