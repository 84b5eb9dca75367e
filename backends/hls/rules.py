"""Synthesizability rules for emitted kernels, checked without an HLS tool.

What Vitis HLS needs of C++ to build hardware: static loop bounds (or a
port-given one with a `loop_tripcount` pragma, the sequence count), no
dynamic memory, no recursion, no STL containers or virtual calls, arrays of
constant size. ercc's tests apply these checks to every kernel they emit.
"""

from __future__ import annotations

import re

_BANNED = {
    r"\bnew\b": "dynamic allocation (new)",
    r"\bmalloc\b|\bcalloc\b|\brealloc\b|\bfree\s*\(": "dynamic allocation (malloc/free)",
    r"std::(vector|list|map|deque|set|unordered_\w+|string)\b": "an STL container",
    r"\bvirtual\b": "a virtual call",
    r"\bwhile\b|\bgoto\b": "a loop without a static bound (while/goto)",
}


def violations(source: str) -> list[str]:
    """Every rule the kernel source breaks, as readable sentences (empty when it is synthesizable)."""
    found = [f"uses {what}" for pattern, what in _BANNED.items() if re.search(pattern, source)]
    for loop in re.finditer(r"^\s*(?:(\w+): )?for \((.*?)\)[^\n]*\n?(.*)", source, flags=re.MULTILINE):
        label, header, first = loop.groups()
        if not label:
            found.append(f"has an unlabelled loop 'for ({header})'")
        # A bound from a port (the sequence count of axis/m_axi kernels) needs the tripcount HLS reports use.
        counted = re.fullmatch(r"int (\w+) = 0; \1 < [A-Za-z_]\w*; \1\+\+", header) and re.fullmatch(
            r"\s*#pragma HLS loop_tripcount min=\d+ max=\d+", first
        )
        if not (re.fullmatch(r"int (\w+) = 0; \1 < \d+; \1\+\+", header) or counted):
            found.append(f"loop {label or '?'} has no static bound: 'for ({header})'")
    for decl in re.findall(r"^\s*(?:static const )?\w+ (?!operator\[)\w+\[([^\]]*)\]", source, flags=re.MULTILINE):
        if not re.fullmatch(r"\d+", decl.strip()):
            found.append(f"declares an array of non-constant size [{decl}]")
    functions = re.findall(r"^(?:extern \"C\" )?(?:static )?(?:inline )?void (\w+)\(", source, flags=re.MULTILINE)
    for i, name in enumerate(functions):
        body = source.split(f"void {name}(", 1)[1].split("\n}\n", 1)[0]
        if any(re.search(rf"\b{callee}\(", body) for callee in functions[i:]):
            found.append(f"function {name} may recurse (calls itself or a later function)")
    return found
