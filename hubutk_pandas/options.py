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
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from hubutk_pandas import _numpydoc, wire
from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.wire import (
    ENDPOINTS,
    FORM_SUBMISSION_MODES,
    PROPERTY_MODES,
    Endpoint,
    FormSubmissionMode,
    PropertyMode,
)

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
    "OptionSpec",
    "Progress",
    "ProgressCallback",
    "PropertyMode",
    "check_controls",
    "control_specs",
    "option_specs",
    "takes_lookup_options",
]

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


_FLAG = (True, False)
_flag = _one_of(_FLAG)


# -- the declarations -----------------------------------------------------------------------


@dataclass(frozen=True)
class OptionSpec:
    """One option (or call control) as declared: what the signatures, docs and CLI show.

    ``kind`` and ``doc`` are its numpydoc entry (Python words); ``shell`` is its
    command-line help (shell words, without the default, which the CLI adds).
    """

    name: str
    default: Any
    choices: tuple[Any, ...] | None
    kind: str
    doc: str
    shell: str = ""
    metavar: str | None = None


def _kind(default: Any, choices: tuple[Any, ...] | None) -> str:
    """The numpydoc type text of a field with choices: ``{'a', 'b'}, default 'a'``."""
    if choices == _FLAG:
        return f"bool, default {default!r}"
    return "{" + ", ".join(map(repr, choices or ())) + f"}}, default {default!r}"


def _option(
    *,
    doc: str,
    shell: str,
    choices: tuple[Any, ...] | None = None,
    check: Callable[[str, Any], Any] | None = None,
    kind: str | None = None,
    metavar: str | None = None,
) -> dict[str, Any]:
    """A :class:`LookupOptions` field's metadata: its check, choices, docs and CLI help.

    ``kind`` (the numpydoc type text) is written from the default and choices if not given.
    """
    if check is None and choices is None:
        raise TypeError("an option needs a check or its choices")
    return {
        "check": check or _one_of(choices or ()),
        "choices": choices,
        "kind": kind,
        "doc": doc,
        "shell": shell,
        "metavar": metavar,
    }


# -- the options ----------------------------------------------------------------------------

_MARKER = "<lookup options>"


@dataclass(frozen=True, init=False)
class LookupOptions:
    """What one lookup asks HubSpot; checked when built, immutable afterwards.

    Build it with keyword arguments only (any left out keeps its default); pass it as
    ``options=`` to :meth:`HubSpotClient.lookup_utks <hubutk_pandas.HubSpotClient.lookup_utks>`
    or ``df.hubspot.lookup_utks``, where keywords given beside it override its values.

    Parameters
    ----------
    <lookup options>

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

    # Each option is declared once, here: its Parameters entry above, the signatures of
    # takes_lookup_options and the CLI's flags are all written from these fields.
    properties: tuple[str, ...] | None = field(
        default=None,
        metadata=_option(
            check=_check_properties,
            kind="str or list of str, optional",
            doc="Only these properties (a name or a list of names); ``None`` fetches every "
            "valued property. A list too long for the URL is applied locally instead.",
            shell="only these properties, comma-separated, e.g. email,lifecyclestage "
            "(default: every property that has a value)",
            metavar="NAMES",
        ),
    )
    property_mode: PropertyMode = field(
        default="value_only",
        metadata=_option(
            choices=PROPERTY_MODES,
            doc=f'HubSpot\'s ``{wire.PROPERTY_MODE}``: ``"value_and_history"`` also fills '
            "``result.history``.",
            shell="value_and_history also fetches every past value of each property (the "
            "history table)",
        ),
    )
    form_submission_mode: FormSubmissionMode = field(
        default="newest",
        metadata=_option(
            choices=FORM_SUBMISSION_MODES,
            doc=f"HubSpot's ``{wire.FORM_SUBMISSION_MODE}``: which form submissions each "
            "contact carries.",
            shell="which form submissions each contact carries",
        ),
    )
    show_list_memberships: bool = field(
        default=False,
        metadata=_option(
            choices=_FLAG,
            doc="Fetch list memberships (HubSpot stopped returning them on 2026-04-30).",
            shell="also fetch list memberships (HubSpot stopped returning them on 2026-04-30)",
        ),
    )
    include_deletes: bool = field(
        default=False,
        metadata=_option(
            choices=_FLAG,
            doc="Also return deleted contacts.",
            shell="also return deleted contacts",
        ),
    )
    endpoint: Endpoint = field(
        default="byUtk",
        metadata=_option(
            choices=ENDPOINTS,
            doc='``"byUtk"`` (keyed by utk) or ``"utks"``, the older endpoint keyed by '
            "contact id. Its answer does not say which utk matched which contact, so "
            "``result.contacts.utk`` is filled (and a utk listed as ``not_found``) only for "
            "a batch of one utk; it also bypasses the per-utk record store.",
            shell="byUtk (answers keyed by utk) or utks, the older endpoint keyed by contact "
            "id, which cannot say which utk matched which contact",
        ),
    )

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

    @property
    def path(self) -> str:
        """The batch path of the chosen endpoint.

        Examples
        --------
        >>> LookupOptions(endpoint="utks").path
        '/contacts/v1/contact/utks/batch/'
        """
        return wire.ENDPOINT_PATHS[self.endpoint]

    def query(self, *, with_properties: bool = True) -> list[tuple[str, str]]:
        """The query parameters other than ``utk`` (and the credential).

        Examples
        --------
        >>> LookupOptions(properties=("email",)).query()[:2]
        [('property', 'email'), ('propertyMode', 'value_only')]
        """
        return wire.batch_params(
            properties=self.properties if with_properties else None,
            property_mode=self.property_mode,
            form_submission_mode=self.form_submission_mode,
            show_list_memberships=self.show_list_memberships,
            include_deletes=self.include_deletes,
        )

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


def option_specs() -> list[OptionSpec]:
    """Every option, in order: name, default, choices, type text, description, CLI help.

    Written from the fields of :class:`LookupOptions` (their metadata), not from a docstring.

    Examples
    --------
    >>> [(s.name, s.choices) for s in option_specs()][1]
    ('property_mode', ('value_only', 'value_and_history'))
    >>> option_specs()[4].doc
    'Also return deleted contacts.'
    """
    return [
        OptionSpec(
            f.name,
            f.default,
            f.metadata["choices"],
            f.metadata["kind"] or _kind(f.default, f.metadata["choices"]),
            f.metadata["doc"],
            f.metadata["shell"],
            f.metadata["metavar"],
        )
        for f in fields(LookupOptions)
    ]


LookupOptions.__doc__ = _numpydoc.fill(
    LookupOptions.__doc__, _MARKER, [(s.name, s.kind, s.doc) for s in option_specs()]
)


# -- the controls of one call ---------------------------------------------------------------

_CONTROLS = (
    OptionSpec(
        "progress",
        None,
        None,
        "bool or callable, optional",
        "Counts utks: those sent to HubSpot (not those the record store or the dataset "
        "already had). ``None``: a progress bar when more than one request is needed; "
        "``True`` / ``False``: always / never a bar; or a callable ``progress(done, total)`` "
        "(no bar), called from the calling thread with ``(0, total)`` first, then after each "
        "batch (with ``out``: each chunk written), ending at ``done == total``. An exception "
        "it raises stops the lookup and propagates as itself.",
    ),
    OptionSpec(
        "refresh",
        False,
        _FLAG,
        "bool, default False",
        "Ignore both caches and fetch again (the answers fetched are stored again). Not "
        "with ``out``: a dataset reads no cache.",
        "ignore the cached answers and fetch every utk again (the answers are cached again)",
    ),
)


def control_specs() -> list[OptionSpec]:
    """The per-call controls ``progress`` and ``refresh``, declared like the options.

    Examples
    --------
    >>> [s.name for s in control_specs()]
    ['progress', 'refresh']
    """
    return list(_CONTROLS)


CONTROL_DOCS = {s.name: (s.kind, s.doc) for s in _CONTROLS}
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


# -- signatures and docs written from the options -------------------------------------------

_F = TypeVar("_F", bound=Callable[..., Any])


def takes_lookup_options(func: _F) -> _F:
    """Give ``func(..., **options)`` a signature and docs that list every lookup option.

    The ``**`` parameter is replaced, in ``inspect.signature`` (hence ``help()``, Jupyter's
    Shift-Tab), by one keyword-only parameter per option with its default and type. A line
    ``<lookup options>`` in the docstring becomes the options' numpydoc entries, followed by
    ``progress`` and ``refresh`` when ``func`` takes them. Type checkers read the same
    keywords from ``**options: Unpack[LookupOptionsKwargs]``. Under ``python -OO`` there is
    no docstring to fill; the signature is set all the same.

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
    specs = option_specs()
    params = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    params += [
        inspect.Parameter(
            s.name, inspect.Parameter.KEYWORD_ONLY, default=s.default, annotation=hints[s.name]
        )
        for s in specs
    ]
    func.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    rows = [(s.name, s.kind, s.doc) for s in specs]
    if {"progress", "refresh"} <= set(signature.parameters):
        rows += [(s.name, s.kind, s.doc) for s in _CONTROLS]
    func.__doc__ = _numpydoc.fill(func.__doc__, _MARKER, rows)
    return func
