"""``python -m hubutk_pandas.cli``: the ``hubutk`` command."""

import sys

from hubutk_pandas.cli import main

if __name__ == "__main__":  # pragma: no cover - not when imported (a walk of the package)
    sys.exit(main())
