"""Fixtures of the widget tests: a headless matplotlib, figures closed after each test."""

from tests.plotting.conftest import _close_figures

__all__ = ["_close_figures"]
