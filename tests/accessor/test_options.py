"""One LookupOptions: the same options, checks and docs at every door (client, accessors, CLI)."""

from __future__ import annotations

import pydoc
import typing
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hubutk_pandas import HubSpotClient, InvalidOptionError, LookupOptions
from hubutk_pandas.accessor import HubSpotDataFrameAccessor, HubSpotSeriesAccessor
from hubutk_pandas.cli import main
from hubutk_pandas.options import (
    ENDPOINTS,
    FORM_SUBMISSION_MODES,
    PROPERTY_MODES,
    LookupOptionsKwargs,
    option_specs,
)
from hubutk_pandas.sandbox import SandboxPortal

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
