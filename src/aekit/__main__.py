"""`python -m aekit ...` runs the command line (so `torchrun -m aekit train ...` works)."""

import sys

try:
    from aekit.cli import main
except KeyboardInterrupt:  # Ctrl-C while Python imports the command line
    sys.exit(130)

sys.exit(main())
