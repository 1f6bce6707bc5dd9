"""Exploration: plots, the lookup form and the contact explorer.

Everything here sits on top of a :class:`~hubutk_pandas.result.LookupResult` and imports
matplotlib and ipywidgets only when something is drawn or shown. The public faces are
:mod:`hubutk_pandas.plotting` and :mod:`hubutk_pandas.widgets`; the modules in this
package are where the work lives.
"""
