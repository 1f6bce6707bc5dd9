"""df.hubspot and series.hubspot against the sandbox over loopback."""

from __future__ import annotations

import pydoc
import warnings

import pandas as pd
import pandas.testing as pdt
import pytest

import hubutk_pandas
from hubutk_pandas import HubSpotClient, InvalidOptionError, LookupResult
from hubutk_pandas.sandbox import SandboxPortal


def visitors(portal: SandboxPortal) -> pd.DataFrame:
    """A messy visitors frame: known utks (one padded, one repeated), an unknown one, blanks."""
    known = portal.sample_utks(4)
    unknown = portal.unknown_utks(1)[0]
    return pd.DataFrame(
        {
            "page": ["/", "/pricing", "/blog", "/", "/demo", "/", "/docs", "/x"],
            "utk": [known[0], f"  {known[1]} ", known[2], None, unknown, known[0], "", known[3]],
        },
        index=pd.Index([10, 11, 12, 13, 14, 15, 16, 17], name="row"),
    )


def test_lookup_utks_cleans_the_column_and_does_not_mutate(
    portal: SandboxPortal, client: HubSpotClient
) -> None:
    df = visitors(portal)
    before = df.copy(deep=True)
    result = df.hubspot.lookup_utks("utk", client=client, progress=False)
    pdt.assert_frame_equal(df, before)
    assert isinstance(result, LookupResult)
    assert result.contacts["utk"].tolist() == [
        df["utk"].iloc[0],
        df["utk"].iloc[1].strip(),
        df["utk"].iloc[2],
        df["utk"].iloc[7],
    ]
    assert result.missing.to_dict("records") == [{"utk": df["utk"].iloc[4], "reason": "not_found"}]
    assert str(result.contacts["vid"].dtype) == "Int64"


def test_missing_column_names_it_and_the_existing_ones(
    portal: SandboxPortal, client: HubSpotClient
) -> None:
    portal.reset_stats()
    with pytest.raises(KeyError, match=r"'visitor_token'.*'page', 'utk'"):
        visitors(portal).hubspot.lookup_utks("visitor_token", client=client)
    assert portal.stats.requests == 0


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("property_mode", "everything"),
        ("form_submission_mode", "latest"),
        ("endpoint", "byVid"),
        ("include_deletes", "yes"),
        ("properties", [""]),
    ],
)
def test_invalid_option_raises_value_error_before_any_request(
    portal: SandboxPortal, option: str, value: object
) -> None:
    portal.reset_stats()
    with pytest.raises(ValueError, match=option):
        # No client and no credentials: the option check still comes first.
        visitors(portal).hubspot.lookup_utks("utk", **{option: value})
    assert portal.stats.requests == 0


def test_client_none_builds_one_from_the_environment(portal_env: SandboxPortal) -> None:
    utks = portal_env.sample_utks(3)
    result = pd.DataFrame({"utk": utks}).hubspot.lookup_utks(progress=False)
    assert result.contacts["utk"].tolist() == utks


def test_client_none_without_credentials_says_how_to_set_them(portal: SandboxPortal) -> None:
    with pytest.raises(hubutk_pandas.CredentialsError, match="HUBSPOT_ACCESS_TOKEN"):
        visitors(portal).hubspot.lookup_utks("utk")


def test_client_of_the_wrong_type_is_an_invalid_option(portal: SandboxPortal) -> None:
    with pytest.raises(InvalidOptionError, match="HubSpotClient"):
        visitors(portal).hubspot.lookup_utks("utk", client="pat-na1-xyz")  # type: ignore[arg-type]


def test_series_accessor(portal: SandboxPortal, client: HubSpotClient) -> None:
    utks = portal.sample_utks(2)
    result = pd.Series([utks[0], None, utks[1], "  "]).hubspot.lookup_utks(
        client=client, property_mode="value_and_history", progress=False
    )
    assert result.contacts["utk"].tolist() == utks
    assert not result.history.empty
    assert set(result.history["vid"]) <= set(result.contacts["vid"])


def test_enrich_keeps_rows_index_and_columns_and_adds_typed_properties(
    portal: SandboxPortal, client: HubSpotClient
) -> None:
    df = visitors(portal)
    before = df.copy(deep=True)
    enriched = df.hubspot.enrich(
        "utk", properties=["email", "lifecyclestage", "hubspotscore"], client=client, progress=False
    )
    pdt.assert_frame_equal(df, before)
    assert enriched.index.equals(df.index)
    assert list(enriched.columns) == [
        "page",
        "utk",
        "vid",
        "email",
        "lifecyclestage",
        "hubspotscore",
    ]
    pdt.assert_frame_equal(enriched[["page", "utk"]], df)
    assert isinstance(enriched["lifecyclestage"].dtype, pd.CategoricalDtype)
    assert list(enriched["lifecyclestage"].cat.categories[:3]) == [
        "subscriber",
        "lead",
        "marketingqualifiedlead",
    ]
    assert str(enriched["hubspotscore"].dtype) == "Float64"
    assert str(enriched["email"].dtype).startswith("string")
    known = enriched["utk"].str.strip().isin(portal.sample_utks(4))
    assert enriched.loc[known, "vid"].notna().all()
    # Blank, None and unknown utks keep their rows, with missing values beside them.
    assert enriched.loc[~known, "vid"].isna().all()
    # A padded utk joins like its clean form; repeat visits get the same contact.
    assert (
        enriched.loc[11, "vid"]
        == client.lookup_utks([df.loc[11, "utk"].strip()]).contacts["vid"].iloc[0]
    )
    assert enriched.loc[10, "email"] == enriched.loc[15, "email"]


def test_enrich_suffixes_clashing_names_and_chains(
    portal: SandboxPortal, client: HubSpotClient
) -> None:
    df = visitors(portal).assign(email="from-my-crm@example.com")
    enriched = (
        df.dropna(subset=["utk"])
        .hubspot.enrich("utk", properties=["email"], client=client, progress=False)
        .assign(same=lambda d: d["email"] == d["email_hubspot"])
    )
    assert {"email", "email_hubspot", "same"} <= set(enriched.columns)
    assert (enriched["email"] == "from-my-crm@example.com").all()
    assert enriched["email_hubspot"].str.contains("@").sum() == 5  # 4 utks, one seen twice


def test_vid_keyed_endpoint_fills_utk_only_where_certain(
    portal: SandboxPortal, client: HubSpotClient
) -> None:
    utks = portal.sample_utks(3)
    many = pd.DataFrame({"utk": utks}).hubspot.lookup_utks(
        client=client, endpoint="utks", progress=False
    )
    assert many.contacts["utk"].isna().all()
    assert set(many.contacts["vid"]) == set(client.lookup_utks(utks).contacts["vid"])
    one = pd.DataFrame({"utk": utks[:1]}).hubspot.lookup_utks(
        client=client, endpoint="utks", progress=False
    )
    assert one.contacts["utk"].tolist() == utks[:1]


def test_help_lists_the_methods() -> None:
    text = pydoc.render_doc(pd.DataFrame().hubspot, renderer=pydoc.plaintext)
    assert "lookup_utks" in text
    assert "enrich" in text
    assert "does not mutate" in text


def test_import_registers_one_namespace_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert hasattr(pd.DataFrame, "hubspot")
        assert hasattr(pd.Series, "hubspot")
    assert set(hubutk_pandas.__all__) <= set(dir(hubutk_pandas))
    for name in hubutk_pandas.__all__:
        assert getattr(hubutk_pandas, name) is not None
