"""Declared once: the lookup options and the client settings, the same at every door.

One LookupOptions: the same options, checks and docs at every door (client, accessors, CLI);
one ClientSettings: the client's settings, their checks, docs and flags; the credential
messages.
"""

from __future__ import annotations

import inspect
import pydoc
import typing
import warnings
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hubutk_pandas import CredentialsError, HubSpotClient, InvalidOptionError, LookupOptions, wire
from hubutk_pandas.accessor import HubSpotDataFrameAccessor, HubSpotSeriesAccessor
from hubutk_pandas.cli import main
from hubutk_pandas.credentials import missing_credential_message, resolve_credential
from hubutk_pandas.options import (
    ENDPOINTS,
    FORM_SUBMISSION_MODES,
    PROPERTY_MODES,
    LookupOptionsKwargs,
    option_specs,
)
from hubutk_pandas.sandbox import SandboxPortal
from hubutk_pandas.settings import (
    ClientSettings,
    ClientSettingsKwargs,
    build_settings,
    setting_specs,
    takes_client_settings,
)

CHOICES = {
    "property_mode": PROPERTY_MODES,
    "form_submission_mode": FORM_SUBMISSION_MODES,
    "endpoint": ENDPOINTS,
}
NAMES = [f.name for f in fields(LookupOptions)]


def doors(client: HubSpotClient) -> dict[str, Callable[..., Any]]:
    """Every public lookup that takes the options as keywords."""
    utks = ["a" * 32]
    return {
        "client": lambda **kw: client.lookup_utks(utks, **kw),
        "DataFrame": lambda **kw: pd.DataFrame({"utk": utks}).hubspot.lookup_utks(
            client=client, **kw
        ),
        "Series": lambda **kw: pd.Series(utks).hubspot.lookup_utks(client=client, **kw),
    }


def test_the_typed_keywords_are_the_fields_and_the_choices_their_literals() -> None:
    hints = typing.get_type_hints(LookupOptionsKwargs)
    assert list(hints) == NAMES
    for name, choices in CHOICES.items():
        assert typing.get_args(hints[name]) == choices
        spec = next(s for s in option_specs() if s.name == name)
        assert spec.choices == choices
        # The documented type says the same as the code: choices and default.
        assert spec.kind == "{" + ", ".join(map(repr, choices)) + f"}}, default {spec.default!r}"


@pytest.mark.parametrize("door", ["client", "DataFrame", "Series"])
def test_an_unknown_keyword_is_a_type_error_before_any_request(
    portal: SandboxPortal, client: HubSpotClient, door: str
) -> None:
    portal.reset_stats()
    with pytest.raises(TypeError, match=r"unknown lookup option 'property_modes'.*property_mode"):
        doors(client)[door](property_modes="value_only")
    assert portal.stats.requests == 0


@pytest.mark.parametrize("door", ["client", "DataFrame", "Series"])
@pytest.mark.parametrize(
    ("option", "value", "valid"),
    [
        ("property_mode", "history", "choose from 'value_only', 'value_and_history'"),
        ("form_submission_mode", "latest", "choose from 'newest', 'all', 'none', 'oldest'"),
        ("endpoint", "byVid", "choose from 'byUtk', 'utks'"),
        ("show_list_memberships", 1, "choose from True, False"),
        ("include_deletes", "yes", "choose from True, False"),
        ("properties", [""], "each property must be a non-empty name"),
    ],
)
def test_a_refused_value_names_the_argument_and_the_valid_values(
    portal: SandboxPortal, client: HubSpotClient, door: str, option: str, value: Any, valid: str
) -> None:
    portal.reset_stats()
    with pytest.raises(InvalidOptionError) as caught:
        doors(client)[door](**{option: value})
    assert str(caught.value).startswith(f"{option}=")
    assert valid in str(caught.value)
    assert portal.stats.requests == 0


def test_an_options_object_is_the_start_and_keywords_override_it(
    portal: SandboxPortal, client: HubSpotClient
) -> None:
    utks = portal.sample_utks(3)
    rich = LookupOptions(property_mode="value_and_history", properties=["lifecyclestage"])
    with_history = client.lookup_utks(utks, options=rich, progress=False)
    assert len(with_history.history) > 0
    assert set(with_history.properties["property"]) == {"lifecyclestage"}
    plain = pd.Series(utks).hubspot.lookup_utks(
        client=client, options=rich, property_mode="value_only", progress=False
    )
    assert len(plain.history) == 0
    assert set(plain.properties["property"]) == {"lifecyclestage"}  # kept from the object
    assert rich.property_mode == "value_and_history"  # frozen: the override made a copy
    with pytest.raises(InvalidOptionError, match="options must be a LookupOptions"):
        client.lookup_utks(utks, options={"property_mode": "value_only"})  # type: ignore[arg-type]


def test_options_are_keyword_only_frozen_and_normalised() -> None:
    with pytest.raises(TypeError):
        LookupOptions(None, "value_only")  # type: ignore[arg-type]
    opts = LookupOptions(properties=" email ")
    assert opts.properties == ("email",)
    with pytest.raises(AttributeError):
        opts.endpoint = "utks"  # type: ignore[misc]
    assert LookupOptions(**opts.as_kwargs()) == opts
    assert opts.replace(endpoint="utks") == LookupOptions(properties="email", endpoint="utks")


@pytest.mark.parametrize(
    "method",
    [
        HubSpotClient.lookup_utks,
        HubSpotDataFrameAccessor.lookup_utks,
        HubSpotSeriesAccessor.lookup_utks,
        LookupOptions,
    ],
)
def test_help_shows_every_option_with_its_choices(method: Callable[..., Any]) -> None:
    text = pydoc.render_doc(method, renderer=pydoc.plaintext)  # type: ignore[attr-defined]
    for name in NAMES:
        assert f"{name} : " in text  # documented
        if method is not LookupOptions:
            assert f"{name}: " in text  # in the signature, with its type
    for choices in CHOICES.values():
        assert "{" + ", ".join(map(repr, choices)) + "}" in text
    assert "<lookup options>" not in text


def test_the_cli_offers_every_option_with_the_same_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["lookup", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name in NAMES:
        assert "--" + name.replace("_", "-") in text
    for name, choices in CHOICES.items():
        assert f"--{name.replace('_', '-')} {{{','.join(choices)}}}" in text


def test_the_cli_passes_its_options_on(portal_env: SandboxPortal, tmp_path: Path) -> None:
    utks = portal_env.sample_utks(2)
    pd.DataFrame({"utk": utks}).to_csv(tmp_path / "v.csv", index=False)
    argv = ["lookup", str(tmp_path / "v.csv"), "--out", str(tmp_path / "o"), "--no-cache"]
    flags = ["--properties", "email, lifecyclestage", "--form-submission-mode", "none"]
    assert main([*argv, *flags, "--property-mode", "value_and_history"]) == 0
    properties = pd.read_csv(tmp_path / "o" / "properties.csv")
    assert set(properties["property"]) <= {"email", "lifecyclestage"}
    assert len(pd.read_csv(tmp_path / "o" / "history.csv")) > 0
    assert len(pd.read_csv(tmp_path / "o" / "form_submissions.csv")) == 0


# -- the options and the wire format --------------------------------------------------------


def test_the_options_speak_the_one_wire_format() -> None:
    opts = LookupOptions(properties=["email"], show_list_memberships=True, endpoint="utks")
    assert opts.path == wire.UTKS_PATH
    assert LookupOptions().path == wire.BY_UTK_PATH
    names = [name for name, _ in opts.query()]
    assert names == [wire.PROPERTY, *wire.CHOICES]
    sent = dict(opts.query()[1:])
    for name, value in sent.items():
        assert value in wire.CHOICES[name]
    defaults = dict(LookupOptions().query())
    assert defaults == wire.DEFAULTS  # our defaults are HubSpot's: leaving one out is the same


# -- the client settings, declared once -----------------------------------------------------

SETTINGS = [s.name for s in setting_specs()]


def test_the_typed_settings_keywords_are_the_declared_settings() -> None:
    assert list(typing.get_type_hints(ClientSettingsKwargs)) == SETTINGS
    declared = [f.name for f in fields(ClientSettings)]
    # derived by the client from other arguments or the environment, not arguments
    derived = ("credential_kind", "cache_dir", "rate_window")
    assert [n for n in declared if n not in derived] == SETTINGS


def test_the_clients_signature_has_the_declared_defaults() -> None:
    params = inspect.signature(HubSpotClient).parameters
    for spec in setting_specs():
        assert params[spec.name].default == spec.default, spec.name
        assert params[spec.name].kind is inspect.Parameter.KEYWORD_ONLY


def test_takes_client_settings_writes_a_signature_and_docs_and_refuses_drift() -> None:
    @takes_client_settings
    def make(token: str | None = None, *, cache: bool = True, **settings: object) -> None:
        """Make.

        Parameters
        ----------
        <client settings>
        """

    params = inspect.signature(make).parameters
    assert list(params) == ["token", "cache", *SETTINGS]
    assert params["base_url"].default is None  # read from the environment
    assert params["rate_limit"].default == (100, 10.0)
    text = pydoc.render_doc(make, renderer=pydoc.plaintext)  # type: ignore[attr-defined]
    for spec in setting_specs():
        assert f"{spec.name} : {spec.kind}" in text
    assert "<client settings>" not in text

    defaults = {p.name: p.default for p in params.values() if p.name in SETTINGS}
    drifted = {**defaults, "timeout": 60.0}
    with pytest.raises(TypeError, match=r"timeout=60.0 differs from the declared default 30.0"):
        exec_signature(drifted)
    exec_signature(defaults)  # written out with the declared defaults: accepted


def exec_signature(defaults: dict[str, Any]) -> None:
    """Decorate a function whose settings are written out with ``defaults``."""
    params = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d)
              for n, d in defaults.items()]  # fmt: skip

    def func(**_: Any) -> None: ...

    func.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    takes_client_settings(func)


def test_client_settings_are_checked_when_built_and_documented_from_their_fields() -> None:
    refused = [("max_workers", 0), ("timeout", float("nan")), ("rate_limit", (1, 0)),
               ("expire_after", -5), ("base_url", "ftp://x"), ("max_retries", True)]  # fmt: skip
    for name, value in refused:
        with pytest.raises(InvalidOptionError, match=rf"^{name}="):
            build_settings(credential_kind="access_token", cache_dir=None, **{name: value})
    with pytest.raises(InvalidOptionError, match="credential_kind='password'"):
        ClientSettings(credential_kind="password", cache_dir=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unknown client setting 'max_worker'"):
        build_settings(credential_kind="access_token", cache_dir=None, max_worker=2)
    doc = ClientSettings.__doc__ or ""
    for f in fields(ClientSettings):
        assert f"    {f.name} : {f.metadata['kind']}" in doc
    assert "<client settings>" not in doc


# -- the credential messages ----------------------------------------------------------------


def test_no_credential_says_service_keys_first_with_their_scopes() -> None:
    with pytest.raises(CredentialsError) as caught:
        resolve_credential(None, None)
    text = str(caught.value)
    assert text == missing_credential_message()
    assert text.startswith("No HubSpot credential. Create a Service Key in HubSpot (Development")
    assert text.index("Service Key") < text.index("private-app") < text.index("OAuth")
    assert "crm.objects.contacts.read (plus crm.lists.read for list memberships)" in text
    assert "access_token=..." in text and "HUBSPOT_ACCESS_TOKEN" in text
    assert "hubutk_pandas.connect()" in text
    shell = missing_credential_message(shell=True)
    assert shell.startswith(text[: text.index("and pass")])
    assert "connect(" not in shell and "access_token=" not in shell
    assert "hubutk demo" in shell and "hubutk sandbox" in shell


def test_an_api_key_is_sent_with_a_warning_that_says_it_is_refused_since_2022(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HUBSPOT_API_KEY", "legacy-key-123")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert resolve_credential(None, None) == ("api_key", "legacy-key-123")
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "has refused them since 2022-11-30" in text
    assert "Service Key (HubSpot: Development > Keys)" in text
    assert "legacy-key-123" not in text
