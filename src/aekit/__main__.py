"""`python -m aekit ...` runs the command line (so `torchrun -m aekit train ...` works)."""

import sys

try:
    from aekit.cli import main
except KeyboardInterrupt:  # Ctrl-C while Python imports the command line
    sys.exit(130)

status = main()
if "torch.distributed" in sys.modules:
    from aekit.training import distributed

    distributed.exit_launched(status)
sys.exit(status)
