"""`python -m aekit ...` runs the command line (so `torchrun -m aekit train ...` works)."""

import sys

from aekit.cli import main

sys.exit(main())
