"""`python -m shunfuri.cli`: the console script's entry, with every sub-command."""

from shunfuri.cli.main import main

main()
