"""The `shunfuri` command: `main` (the typer app, `up`, `migrate`, `bank-simulator`,
`clock`), `up` (starting the whole system under honcho), and one module per group of
sub-commands (`quote`, `reconcile`, `doubts`, `mail`, `members`, `staff`), each
registering itself on `main.app` when imported. `python -m shunfuri.cli` runs it too."""
