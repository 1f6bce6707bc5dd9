"""Exploration widgets: the lookup form and the contact explorer.

Everything here sits on top of a :class:`~hubutk_pandas.result.LookupResult` and imports
ipywidgets (and matplotlib, through :mod:`hubutk_pandas.plotting`) only when something is
drawn or shown. The public face is :mod:`hubutk_pandas.widgets`; the modules in this
package are where the work lives.
"""
