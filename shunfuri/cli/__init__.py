"""The `shunfuri` command: `main` (the typer app, `up`, `migrate`, `bank-simulator`,
`clock`), `up` (starting the whole system: its processes forked by `children`, kept
running by `supervise`), and one module per group of
sub-commands (`quote`, `reconcile`, `doubts`, `mail`, `members`, `staff`), each
registering itself on `main.app` when imported. `python -m shunfuri.cli` runs it too."""
