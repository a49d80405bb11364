"""``python -m verif``: the same program as the ``verif`` console script."""

import sys

from verif.cli import main

if __name__ == "__main__":
    sys.exit(main())
