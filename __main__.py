"""`python -m ercc` is the `ercc` command."""

from ercc.compiler.cli import main

main()
