"""``python -m hubutk_pandas.sandbox --port 8765 --contacts 5000``."""

from __future__ import annotations

import sys

from hubutk_pandas.sandbox.cli import main

if __name__ == "__main__":
    sys.exit(main())
