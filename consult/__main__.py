"""`python -m consult` is the `consult` command."""

from consult.cli import main

main()
