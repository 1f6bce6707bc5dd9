"""nbval settings for the example notebooks.

Only cells marked ``# NBVAL_CHECK_OUTPUT`` are compared (``--nbval-lax``), and only
their plain text: HTML reprs change between pandas versions, stderr carries
warnings and progress bars, and widget views are runtime state.
"""

from __future__ import annotations

from typing import Any


def pytest_collectstart(collector: Any) -> None:
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += (
            "text/html",
            "application/javascript",
            "application/vnd.jupyter.widget-view+json",
            "stderr",
        )
