"""HubSpot's Contacts v1 wire format: paths, parameter names, choices and encodings.

The one place they are written down for the client side: the client sends requests built
from here and the proxy serves and checks requests by the same names. Pure and at the
bottom of the package: it imports nothing of it. (The sandbox keeps its own copy on
purpose: it is the independent model the client is tested against.)

Examples
--------
>>> ENDPOINT_PATHS["byUtk"]
'/contacts/v1/contact/byUtk/batch/'
>>> batch_params(properties=("email",), property_mode="value_only",
...              form_submission_mode="newest", show_list_memberships=False,
...              include_deletes=True)  # doctest: +NORMALIZE_WHITESPACE
[('property', 'email'), ('propertyMode', 'value_only'), ('formSubmissionMode', 'newest'),
 ('showListMemberships', 'false'), ('includeDeletes', 'true')]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

__all__ = [
    "ACCOUNT_DETAILS_PATH",
    "API_KEY",
    "BOOLEANS",
    "BY_UTK_PATH",
    "CHOICES",
    "DEFAULTS",
    "DEFAULT_BASE_URL",
    "ENDPOINTS",
    "ENDPOINT_PATHS",
    "FORM_SUBMISSION_MODE",
    "FORM_SUBMISSION_MODES",
    "INCLUDE_DELETES",
    "LISTS_ROOT",
    "MAX_UTKS",
    "PROPERTIES_PATH",
    "PROPERTY",
    "PROPERTY_MODE",
    "PROPERTY_MODES",
    "SHOW_LIST_MEMBERSHIPS",
    "UTK",
    "UTKS_PATH",
    "Endpoint",
    "FormSubmissionMode",
    "PropertyMode",
    "batch_params",
    "decode_bool",
    "encode_bool",
]

DEFAULT_BASE_URL = "https://api.hubapi.com"
"""HubSpot's API root."""

# -- paths ----------------------------------------------------------------------------------

BY_UTK_PATH = "/contacts/v1/contact/byUtk/batch/"
"""Contacts by utk, keyed by utk (``GET``, repeated ``utk=``)."""
UTKS_PATH = "/contacts/v1/contact/utks/batch/"
"""The older batch endpoint: the same contacts, keyed by contact id (vid)."""
PROPERTIES_PATH = "/properties/v1/contacts/properties"
"""The portal's contact property definitions."""
ACCOUNT_DETAILS_PATH = "/account-info/v3/details"
"""The account's details: its ``portalId`` (a dataset records the portal that made it)."""
LISTS_ROOT = "/crm/lists/2026-09"
"""The Lists API (list memberships since 2026-04-30): the date-versioned 2026-09 paths.

Chosen over ``/crm/v3/lists`` (same requests and answers): HubSpot advises moving straight
to the date-based versions; v3 goes unsupported in September 2027, 2026-09 (GA in September
2026) 18 months after its release, about March 2028; and from 2026-03 on the spec makes the
membership timestamps required. Its batch read reports records not found in ``errors`` of a
200 where v3 answers 207; the client takes both.
"""

Endpoint = Literal["byUtk", "utks"]
ENDPOINTS: tuple[Endpoint, ...] = get_args(Endpoint)
ENDPOINT_PATHS: dict[Endpoint, str] = {"byUtk": BY_UTK_PATH, "utks": UTKS_PATH}
"""The batch path of each endpoint."""

MAX_UTKS = 100
"""HubSpot's limit of utks per batch request."""

# -- query parameters -----------------------------------------------------------------------

UTK = "utk"
PROPERTY = "property"
PROPERTY_MODE = "propertyMode"
FORM_SUBMISSION_MODE = "formSubmissionMode"
SHOW_LIST_MEMBERSHIPS = "showListMemberships"
INCLUDE_DELETES = "includeDeletes"
API_KEY = "hapikey"
"""The legacy API key's query parameter (HubSpot has refused API keys since 2022-11-30)."""

PropertyMode = Literal["value_only", "value_and_history"]
FormSubmissionMode = Literal["newest", "all", "none", "oldest"]
PROPERTY_MODES: tuple[PropertyMode, ...] = get_args(PropertyMode)
FORM_SUBMISSION_MODES: tuple[FormSubmissionMode, ...] = get_args(FormSubmissionMode)
BOOLEANS = ("true", "false")
"""How a flag is written in a query."""

CHOICES: dict[str, tuple[str, ...]] = {
    PROPERTY_MODE: PROPERTY_MODES,
    FORM_SUBMISSION_MODE: FORM_SUBMISSION_MODES,
    SHOW_LIST_MEMBERSHIPS: BOOLEANS,
    INCLUDE_DELETES: BOOLEANS,
}
"""The values each batch parameter takes (``property`` and ``utk`` are free names)."""

DEFAULTS: dict[str, str] = {
    PROPERTY_MODE: "value_only",
    FORM_SUBMISSION_MODE: "newest",
    SHOW_LIST_MEMBERSHIPS: "false",
    INCLUDE_DELETES: "false",
}
"""What HubSpot assumes when a batch parameter is left out."""


def encode_bool(value: bool) -> str:
    """A flag as a query writes it.

    Examples
    --------
    >>> encode_bool(True), encode_bool(False)
    ('true', 'false')
    """
    return "true" if value else "false"


def decode_bool(text: str) -> bool | None:
    """A flag from a query (any case), or ``None`` if the text is not one.

    Examples
    --------
    >>> decode_bool("TRUE"), decode_bool("false"), decode_bool("1")
    (True, False, None)
    """
    lowered = text.lower()
    return None if lowered not in BOOLEANS else lowered == "true"


def batch_params(
    *,
    properties: Iterable[str] | None,
    property_mode: str,
    form_submission_mode: str,
    show_list_memberships: bool,
    include_deletes: bool,
) -> list[tuple[str, str]]:
    """A batch request's query parameters other than ``utk`` and the credential, in order.

    ``properties=None`` sends no ``property`` parameter: every valued property comes back.
    The order is fixed (cached answers are keyed by the URL).
    """
    params = [(PROPERTY, p) for p in properties or ()]
    params += [
        (PROPERTY_MODE, property_mode),
        (FORM_SUBMISSION_MODE, form_submission_mode),
        (SHOW_LIST_MEMBERSHIPS, encode_bool(show_list_memberships)),
        (INCLUDE_DELETES, encode_bool(include_deletes)),
    ]
    return params
