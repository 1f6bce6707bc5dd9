"""``python -m hubutk_pandas.proxy --allow-origin https://www.example.com --properties a,b``."""

from __future__ import annotations

import sys

from hubutk_pandas.proxy.cli import main

if __name__ == "__main__":
    sys.exit(main())
