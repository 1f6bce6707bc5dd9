"""``python -m hubutk_pandas.cli``: the ``hubutk`` command."""

import sys

from hubutk_pandas.cli import main

sys.exit(main())
