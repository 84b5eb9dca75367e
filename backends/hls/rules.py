"""Synthesizability rules for emitted kernels, checked without an HLS tool.

What Vitis HLS needs of C++ to build hardware: static loop bounds, no
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
    loops = re.findall(r"^\s*(?:(\w+): )?for \((.*?)\)", source, flags=re.MULTILINE)
    for label, header in loops:
        if not label:
            found.append(f"has an unlabelled loop 'for ({header})'")
        if not re.fullmatch(r"int (\w+) = 0; \1 < \d+; \1\+\+", header):
            found.append(f"loop {label or '?'} has no static bound: 'for ({header})'")
    for decl in re.findall(r"^\s*(?:static const )?\w+ (?!operator\[)\w+\[([^\]]*)\]", source, flags=re.MULTILINE):
        if not re.fullmatch(r"\d+", decl.strip()):
            found.append(f"declares an array of non-constant size [{decl}]")
    functions = re.findall(r"^(?:static )?(?:inline )?void (\w+)\(", source, flags=re.MULTILINE)
    for i, name in enumerate(functions):
        body = source.split(f"void {name}(", 1)[1].split("\n}\n", 1)[0]
        if any(re.search(rf"\b{callee}\(", body) for callee in functions[i:]):
            found.append(f"function {name} may recurse (calls itself or a later function)")
    return found
