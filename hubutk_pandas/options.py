"""The lookup options: defined, documented and checked here, and nowhere else.

A lookup is described by one frozen :class:`LookupOptions`: *what to ask HubSpot*
(properties, property mode, form submissions, list memberships, deleted contacts,
endpoint). It is built and checked once, from keyword arguments only, and then passed
down as it is: the accessor, the CLI and the widgets form build it, the client sends it.
Two things are not options but controls of one call, because they do not change the
answer (and so are not part of the cache key): ``progress`` and ``refresh``
(:data:`CONTROL_DOCS`, :func:`check_controls`).

Every other place derives from this module rather than restating it:

* the valid choices (:data:`PROPERTY_MODES`, :data:`FORM_SUBMISSION_MODES`,
  :data:`ENDPOINTS`) come from the ``Literal`` types, for argparse ``choices=`` and the
  form's dropdowns;
* :func:`takes_lookup_options` gives a function that accepts ``**options`` a signature
  and a docstring section listing every option, so ``help()`` and Jupyter show them;
  type checkers and IDEs read the same keywords from :class:`LookupOptionsKwargs`
  (``Unpack``), which a test keeps equal to the fields.

An unknown keyword is a :class:`TypeError` (a typo never vanishes); a refused value is an
:class:`~hubutk_pandas.errors.InvalidOptionError` naming the argument and the valid values,
raised before any request.

Examples
--------
>>> opts = LookupOptions(properties="email", property_mode="value_and_history")
>>> opts.properties, opts.replace(endpoint="utks").endpoint
(('email',), 'utks')
>>> LookupOptions(property_mode="history")
Traceback (most recent call last):
hubutk_pandas.errors.InvalidOptionError: property_mode='history' is not valid; choose from ...
>>> LookupOptions(propery_mode="value_only")
Traceback (most recent call last):
TypeError: unknown lookup option 'propery_mode'; the options are properties, property_mode, ...
"""

from __future__ import annotations

import inspect
import textwrap
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar, get_args

from hubutk_pandas.errors import InvalidOptionError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from typing_extensions import Unpack

__all__ = [
    "CONTROL_DOCS",
    "ENDPOINTS",
    "FORM_SUBMISSION_MODES",
    "PROPERTY_MODES",
    "Endpoint",
    "FormSubmissionMode",
    "LookupOptions",
    "LookupOptionsKwargs",
    "Progress",
    "ProgressCallback",
    "PropertyMode",
    "check_controls",
    "option_specs",
    "takes_lookup_options",
]

PropertyMode = Literal["value_only", "value_and_history"]
FormSubmissionMode = Literal["newest", "all", "none", "oldest"]
Endpoint = Literal["byUtk", "utks"]
PROPERTY_MODES: tuple[PropertyMode, ...] = get_args(PropertyMode)
FORM_SUBMISSION_MODES: tuple[FormSubmissionMode, ...] = get_args(FormSubmissionMode)
ENDPOINTS: tuple[Endpoint, ...] = get_args(Endpoint)

ProgressCallback = Callable[[int, int], Any]
"""``progress(done, total)``: utks fetched so far, and utks to fetch."""
Progress = bool | ProgressCallback | None


class LookupOptionsKwargs(TypedDict, total=False):
    """The options as keyword arguments, for type checkers: ``**options: Unpack[...]``."""

    properties: str | Iterable[str] | None
    property_mode: PropertyMode
    form_submission_mode: FormSubmissionMode
    show_list_memberships: bool
    include_deletes: bool
    endpoint: Endpoint


# -- checks ---------------------------------------------------------------------------------


def _check_properties(name: str, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    try:
        listed = list(items)
    except TypeError:
        raise InvalidOptionError.for_value(name, value, "use None or a list of names") from None
    bad = [p for p in listed if not isinstance(p, str) or not p.strip()]
    if bad:
        raise InvalidOptionError.for_value(name, bad[0], "each property must be a non-empty name")
    return tuple(dict.fromkeys(p.strip() for p in listed))


def _one_of(choices: tuple[Any, ...]) -> Callable[[str, Any], Any]:
    def check(name: str, value: Any) -> Any:
        # True == 1: a bool is never taken for a number, nor a number for a bool.
        if value not in choices or isinstance(value, bool) != isinstance(choices[0], bool):
            raise InvalidOptionError.for_value(name, value, choices)
        return value

    return check


_flag = _one_of((True, False))


def _meta(
    check: Callable[[str, Any], Any] | None = None, *, choices: tuple[Any, ...] | None = None
) -> dict[str, Any]:
    """A field's metadata: its check (by default: one of ``choices``) and its choices."""
    assert check is not None or choices is not None
    return {"check": check or _one_of(choices or ()), "choices": choices}


# -- the options ----------------------------------------------------------------------------


@dataclass(frozen=True, init=False)
class LookupOptions:
    """What one lookup asks HubSpot; checked when built, immutable afterwards.

    Build it with keyword arguments only (any left out keeps its default); pass it as
    ``options=`` to :meth:`HubSpotClient.lookup_utks <hubutk_pandas.HubSpotClient.lookup_utks>`
    or ``df.hubspot.lookup_utks``, where keywords given beside it override its values.

    Parameters
    ----------
    properties : str or list of str, optional
        Only these properties (a name or a list of names); ``None`` fetches every valued
        property. A list too long for the URL is applied locally instead.
    property_mode : {'value_only', 'value_and_history'}, default 'value_only'
        HubSpot's ``propertyMode``: ``"value_and_history"`` also fills ``result.history``.
    form_submission_mode : {'newest', 'all', 'none', 'oldest'}, default 'newest'
        HubSpot's ``formSubmissionMode``: which form submissions each contact carries.
    show_list_memberships : bool, default False
        Fetch list memberships (HubSpot stopped returning them on 2026-04-30).
    include_deletes : bool, default False
        Also return deleted contacts.
    endpoint : {'byUtk', 'utks'}, default 'byUtk'
        ``"byUtk"`` (keyed by utk) or ``"utks"``, the older endpoint keyed by contact id.
        Its answer does not say which utk matched which contact, so
        ``result.contacts.utk`` is filled (and a utk listed as ``not_found``) only for a
        batch of one utk; it also bypasses the per-utk record store.

    Raises
    ------
    TypeError
        An unknown keyword, or a positional argument.
    InvalidOptionError
        A value that is refused; the message names the argument and the valid values.

    Examples
    --------
    >>> opts = LookupOptions(properties=["email", "email ", "city"])
    >>> opts.properties, opts.property_mode
    (('email', 'city'), 'value_only')
    >>> opts.query()[:3]
    [('property', 'email'), ('property', 'city'), ('propertyMode', 'value_only')]
    """

    # Each field's description is its entry above; the docs elsewhere are taken from there.
    properties: tuple[str, ...] | None = field(default=None, metadata=_meta(_check_properties))
    property_mode: PropertyMode = field(
        default="value_only", metadata=_meta(choices=PROPERTY_MODES)
    )
    form_submission_mode: FormSubmissionMode = field(
        default="newest", metadata=_meta(choices=FORM_SUBMISSION_MODES)
    )
    show_list_memberships: bool = field(default=False, metadata=_meta(_flag))
    include_deletes: bool = field(default=False, metadata=_meta(_flag))
    endpoint: Endpoint = field(default="byUtk", metadata=_meta(choices=ENDPOINTS))

    def __init__(self, **options: Unpack[LookupOptionsKwargs]) -> None:
        given: dict[str, Any] = dict(options)
        names = [f.name for f in fields(self)]
        unknown = [k for k in given if k not in names]
        if unknown:
            raise TypeError(
                f"unknown lookup option {unknown[0]!r}; the options are {', '.join(names)}"
            )
        for f in fields(self):
            value = f.metadata["check"](f.name, given.get(f.name, f.default))
            object.__setattr__(self, f.name, value)

    @classmethod
    def resolve(cls, options: LookupOptions | None, overrides: Mapping[str, Any]) -> LookupOptions:
        """``options`` (``None``: the defaults) with the keyword ``overrides`` applied, checked.

        Examples
        --------
        >>> base = LookupOptions(property_mode="value_and_history")
        >>> LookupOptions.resolve(base, {}) is base
        True
        >>> LookupOptions.resolve(base, {"endpoint": "utks"}).property_mode
        'value_and_history'
        >>> LookupOptions.resolve({"endpoint": "utks"}, {})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        hubutk_pandas.errors.InvalidOptionError: options must be a LookupOptions or None, ...
        """
        if options is None:
            return cls(**overrides)
        if not isinstance(options, cls):
            raise InvalidOptionError(
                f"options must be a LookupOptions or None, not {type(options).__name__} "
                "(give the options as keyword arguments, or LookupOptions(**...))"
            )
        return options.replace(**overrides) if overrides else options

    def replace(self, **changes: Unpack[LookupOptionsKwargs]) -> LookupOptions:
        """A copy with ``changes``, checked like a new one."""
        return type(self)(**{**self.as_kwargs(), **changes})

    def as_kwargs(self) -> dict[str, Any]:
        """The options as keyword arguments (``LookupOptions(**o.as_kwargs()) == o``)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def query(self, *, with_properties: bool = True) -> list[tuple[str, str]]:
        """The query parameters other than ``utk`` (and the credential).

        Examples
        --------
        >>> LookupOptions(properties=("email",)).query()[:2]
        [('property', 'email'), ('propertyMode', 'value_only')]
        """
        params = [("property", p) for p in (self.properties or ()) if with_properties]
        params += [
            ("propertyMode", self.property_mode),
            ("formSubmissionMode", self.form_submission_mode),
            ("showListMemberships", str(self.show_list_memberships).lower()),
            ("includeDeletes", str(self.include_deletes).lower()),
        ]
        return params

    def trim(self, record: Any) -> Any:
        """``record`` with only the requested properties (for a filter applied locally).

        Examples
        --------
        >>> opts = LookupOptions(properties=("email",))
        >>> opts.trim({"vid": 1, "properties": {"email": "a@b.c", "city": "Oslo"}})
        {'vid': 1, 'properties': {'email': 'a@b.c'}}
        """
        if self.properties is None or not isinstance(record, dict):
            return record
        props = record.get("properties") or {}
        return {**record, "properties": {k: v for k, v in props.items() if k in self.properties}}

    def fingerprint(self) -> dict[str, Any]:
        """What must match for a stored answer to serve this lookup (the endpoint aside)."""
        return {
            "properties": sorted(self.properties) if self.properties is not None else None,
            "property_mode": self.property_mode,
            "form_submission_mode": self.form_submission_mode,
            "show_list_memberships": self.show_list_memberships,
            "include_deletes": self.include_deletes,
        }


# -- the controls of one call ---------------------------------------------------------------

CONTROL_DOCS = {
    "progress": (
        "bool or callable, optional",
        "Counts utks: those sent to HubSpot (not those the record store or the dataset "
        "already had). ``None``: a progress bar when more than one request is needed; "
        "``True`` / ``False``: always / never a bar; or a callable ``progress(done, total)`` "
        "(no bar), called from the calling thread with ``(0, total)`` first, then after each "
        "batch (with ``out``: each chunk written), ending at ``done == total``. An exception "
        "it raises stops the lookup and propagates as itself.",
    ),
    "refresh": (
        "bool, default False",
        "Ignore both caches and fetch again (the answers fetched are stored again). Not "
        "with ``out``: a dataset reads no cache.",
    ),
}
"""``name -> (type, description)`` of the per-call controls ``progress`` and ``refresh``."""


def check_controls(*, progress: Any = None, refresh: Any = False) -> None:
    """Refuse a ``progress`` or ``refresh`` that is not valid (before any request).

    Examples
    --------
    >>> check_controls(progress=print, refresh=True)
    >>> check_controls(progress="auto")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hubutk_pandas.errors.InvalidOptionError: progress='auto' is not valid; use None, True, ...
    """
    if not (progress is None or isinstance(progress, bool) or callable(progress)):
        raise InvalidOptionError.for_value(
            "progress", progress, "use None, True, False or a callable progress(done, total)"
        )
    _flag("refresh", refresh)


# -- signatures and docs derived from the options -------------------------------------------


@dataclass(frozen=True)
class OptionSpec:
    """One option as the CLI and the docs need it."""

    name: str
    default: Any
    choices: tuple[Any, ...] | None
    kind: str
    doc: str


def _documented(doc: str) -> dict[str, tuple[str, str]]:
    """``name -> (type, description)`` from a numpydoc Parameters section."""
    lines = inspect.cleandoc(doc).splitlines()
    start = lines.index("Parameters") + 2
    entries: dict[str, tuple[str, str]] = {}
    name = ""
    for line in lines[start:]:
        if not line.strip():
            break
        if not line.startswith(" "):
            name, _, kind = line.partition(" : ")
            entries[name] = (kind, "")
        else:
            kind, text = entries[name]
            entries[name] = (kind, f"{text} {line.strip()}".strip())
    return entries


def option_specs() -> list[OptionSpec]:
    """Every option, in order: name, default, valid choices, type text and description.

    The type text and description are the option's entry in :class:`LookupOptions`'
    docstring.

    Examples
    --------
    >>> [(s.name, s.choices) for s in option_specs()][1]
    ('property_mode', ('value_only', 'value_and_history'))
    >>> option_specs()[4].doc
    'Also return deleted contacts.'
    """
    documented = _documented(LookupOptions.__doc__ or "")
    return [
        OptionSpec(f.name, f.default, f.metadata["choices"], *documented[f.name])
        for f in fields(LookupOptions)
    ]


_MARKER = "<lookup options>"
_F = TypeVar("_F", bound=Callable[..., Any])


def _render_docs(indent: str, *, controls: bool) -> str:
    rows = [(s.name, s.kind, s.doc) for s in option_specs()]
    if controls:
        rows += [(name, kind, doc) for name, (kind, doc) in CONTROL_DOCS.items()]
    lines = []
    for name, kind, doc in rows:
        lines.append(f"{indent}{name} : {kind}")
        lines.append(
            textwrap.fill(
                doc, 88, initial_indent=indent + "    ", subsequent_indent=indent + "    "
            )
        )
    return "\n".join(lines)


def takes_lookup_options(func: _F) -> _F:
    """Give ``func(..., **options)`` a signature and docs that list every lookup option.

    The ``**`` parameter is replaced, in ``inspect.signature`` (hence ``help()``, Jupyter's
    Shift-Tab), by one keyword-only parameter per option with its default and type. A line
    ``<lookup options>`` in the docstring becomes the options' numpydoc entries, followed by
    ``progress`` and ``refresh`` when ``func`` takes them. Type checkers read the same
    keywords from ``**options: Unpack[LookupOptionsKwargs]``.

    Examples
    --------
    >>> @takes_lookup_options
    ... def look(utks, *, options=None, **kwargs):
    ...     '''Look.
    ...
    ...     Parameters
    ...     ----------
    ...     <lookup options>
    ...     '''
    >>> list(inspect.signature(look).parameters)  # doctest: +NORMALIZE_WHITESPACE
    ['utks', 'options', 'properties', 'property_mode', 'form_submission_mode',
     'show_list_memberships', 'include_deletes', 'endpoint']
    >>> inspect.signature(look).parameters["endpoint"]
    <Parameter "endpoint: Literal['byUtk', 'utks'] = 'byUtk'">
    >>> "form_submission_mode : {'newest', 'all', 'none', 'oldest'}" in look.__doc__
    True
    """
    signature = inspect.signature(func)
    hints = typing.get_type_hints(LookupOptionsKwargs)
    params = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    params += [
        inspect.Parameter(
            s.name, inspect.Parameter.KEYWORD_ONLY, default=s.default, annotation=hints[s.name]
        )
        for s in option_specs()
    ]
    func.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    doc = func.__doc__ or ""
    takes_controls = {"progress", "refresh"} <= set(signature.parameters)
    for line in doc.splitlines():
        if line.strip() == _MARKER:
            indent = line[: len(line) - len(line.lstrip())]
            doc = doc.replace(line, _render_docs(indent, controls=takes_controls))
    func.__doc__ = doc
    return func
