"""`python -m shunfuri.cli`: the console script's entry, with every sub-command."""

import sys

from shunfuri.cli.main import main

sys.exit(main())
