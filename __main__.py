"""`python -m ercc` is the `ercc` command."""

from ercc.cli import main

main()
