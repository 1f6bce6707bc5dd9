"""widgets: LookupForm and ContactExplorer driven like a user would, against the sandbox."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.sandbox import SandboxPortal
from hubutk_pandas.widgets import ContactExplorer, LookupForm, split_utks

FRAME_TABS = (
    "contacts",
    "properties",
    "history",
    "form_submissions",
    "list_memberships",
    "identities",
    "merge_audits",
    "companies",
    "missing",
)


def _status(form) -> str:
    return form.status.value


def test_split_utks_cleans_pasted_text():
    text = " a1b2, c3d4\n\n e5f6;a1b2\t'g7h8'\r\n"
    assert split_utks(text) == ["a1b2", "c3d4", "e5f6", "g7h8"]
    assert split_utks("") == []


#: Every exploration module: importing any of them must not import matplotlib or ipywidgets.
EXPLORATION_MODULES = (
    "hubutk_pandas",
    "hubutk_pandas.widgets",
    "hubutk_pandas.explore.explorer",
    "hubutk_pandas.explore._widget_helpers",
    "hubutk_pandas.plotting",
    "hubutk_pandas.plotting.time_plots",
    "hubutk_pandas.plotting.count_plots",
    "hubutk_pandas.plotting._helpers",
    "hubutk_pandas._optional",
)


def test_import_is_light():
    code = (
        "import importlib, sys\n"
        f"for module in {EXPLORATION_MODULES!r}:\n"
        "    importlib.import_module(module)\n"
        "    heavy = [m for m in ('matplotlib', 'ipywidgets') if m in sys.modules]\n"
        "    assert not heavy, (module, heavy)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_ipywidgets_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(ImportError, match="pip install ipywidgets"):
        LookupForm()


def test_explorer_is_importable_from_widgets_and_from_its_module():
    from hubutk_pandas import widgets
    from hubutk_pandas.explore import explorer

    assert widgets.ContactExplorer is explorer.ContactExplorer is ContactExplorer
    assert {"ContactExplorer", "LookupForm", "split_utks"} <= set(widgets.__all__)


def test_missing_matplotlib_in_the_explorer_names_the_package(monkeypatch):
    from hubutk_pandas.result import LookupResult

    record = {"vid": 7, "properties": {"email": {"value": "ada@example.com"}}}
    result = LookupResult.from_records([("u1", record)])
    explorer = ContactExplorer(result)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="widgets needs matplotlib: pip install matplotlib"):
        explorer.select("u1")  # draws the contact's timeline


def test_form_from_frame_runs_on_click(client, portal):
    import ipywidgets

    utks = portal.sample_utks(25)
    visits = pd.DataFrame({"page": range(27), "hubspotutk": [*utks, None, "  "]})
    before = visits.copy()
    form = LookupForm(client, frame=visits)
    assert isinstance(form.widget, ipywidgets.VBox)
    assert form.utk_text is None
    assert form.column.value == "hubspotutk"  # the utk column is guessed
    assert "properties loaded" in _status(form)
    assert len(form.properties.options) > 5

    steps: list[float] = []
    form.progress.observe(lambda change: steps.append(change["new"]), names="value")
    disabled: list[bool] = []
    form.run_button.observe(lambda change: disabled.append(change["new"]), names="disabled")

    form.run_button.click()

    # The bar moves through each step, and through the batches (25 utks: one batch) in between.
    assert steps == [1, 2, 3, 4, 5]
    assert sorted(steps) == steps
    assert disabled == [True, False]  # no double run while busy
    assert form.result is not None
    assert list(form.result.contacts["utk"]) == utks
    assert form.tabs.titles == ("wide", *FRAME_TABS, "plots")
    assert len(form.tabs.children) == len(form.tabs.titles)
    assert "25 of 25 utks matched" in _status(form)
    assert form.progress.value == form.progress.max
    assert form.progress.bar_style == "success"
    assert "<td>contacts</td><td>25</td>" in form.summary.value
    contacts_tab = form.tabs.children[1].value
    assert utks[0] in contacts_tab and "25 rows" in contacts_tab
    plots = form.tabs.children[-1].children
    assert plots and all(bytes(p.value).startswith(b"\x89PNG") for p in plots)
    pd.testing.assert_frame_equal(visits, before)


def test_pasted_utks_and_options_reach_the_lookup(client, portal):
    utks = portal.sample_utks(6)
    form = LookupForm(client)
    assert form.column is None
    form.utk_text.value = f"{utks[0]}, {utks[1]}\n{utks[2]} {utks[3]};{utks[4]}\n\n{utks[5]}\n"
    form.property_mode.value = "value_only"
    form.form_submission_mode.value = "none"
    form.properties.value = ("lifecyclestage",)
    result = form.run()
    assert result is form.result
    assert list(result.contacts["utk"]) == utks
    assert set(result.properties["property"]) <= {"lifecyclestage"}
    assert result.history.empty  # value_only
    assert result.form_submissions.empty  # formSubmissionMode=none
    assert list(result.wide().columns) == ["utk", "vid", "lifecyclestage"]


def test_save_writes_every_table_of_the_result(client, portal, tmp_path):
    form = LookupForm(client)
    assert form.save() == [] and "run a lookup first" in _status(form)
    form.utk_text.value = "\n".join(portal.sample_utks(4))
    form.include_deletes.value = True
    assert form.options().include_deletes is True  # the controls build one LookupOptions
    form.run()
    form.save_folder.value = str(tmp_path / "out")
    form.save_format.value = "csv"
    form.save_button.click()
    written = sorted(p.stem for p in (tmp_path / "out").iterdir())
    assert written == sorted(form.result.tables())  # wide() and every frame
    assert "Saved 10 files" in _status(form)
    contacts = pd.read_csv(tmp_path / "out" / "contacts.csv")
    assert contacts["utk"].tolist() == form.result.contacts["utk"].tolist()
    (tmp_path / "a-file").write_text("not a folder")
    form.save_folder.value = str(tmp_path / "a-file")
    assert form.save() == [] and "Could not save" in _status(form)


def test_property_filter_narrows_and_keeps_selections(client):
    form = LookupForm(client)
    everything = len(form.properties.options)
    form.property_filter.value = "LIFECYCLE"  # the stage and its date properties, any case
    matched = form.properties.options
    assert "lifecyclestage" in [v for _, v in matched] and len(matched) < everything
    assert all("lifecycle" in f"{label} {v}".lower() for label, v in matched)
    form.properties.value = ("lifecyclestage",)
    form.property_filter.value = "email"
    names = [v for _, v in form.properties.options]
    assert "lifecyclestage" in names and "email" in names
    assert 2 <= len(names) < everything
    assert form.properties.value == ("lifecyclestage",)  # still selected while filtered
    form.properties.value = ("lifecyclestage", "email")
    form.property_filter.value = "zzz-no-such-property"
    assert sorted(form.selected_properties) == ["email", "lifecyclestage"]
    form.property_filter.value = ""
    assert len(form.properties.options) == everything
    assert sorted(form.properties.value) == ["email", "lifecyclestage"]


def test_ticking_list_memberships_shows_them_with_names(client, portal):
    form = LookupForm(client)
    form.utk_text.value = "\n".join(portal.sample_utks(20))
    form.list_memberships.value = True
    assert form.options().show_list_memberships is True
    result = form.run()
    frame = result.list_memberships
    assert len(frame) > 0 and frame["source"].eq("lists_api").all()
    assert frame["list_name"].notna().all()
    tab = form.tabs.children[form.tabs.titles.index("list_memberships")].value
    assert frame["list_name"].iloc[0] in tab and "lists_api" in tab


def test_a_contacts_only_credential_is_told_which_scope_lists_need(portal):
    account = portal.add_account(seed=0, contacts=100, scopes=["crm.objects.contacts.read"])
    with HubSpotClient(account.access_token, base_url=portal.base_url, cache=False) as limited:
        form = LookupForm(limited)
        form.utk_text.value = "\n".join(portal.sample_utks(3))
        form.list_memberships.value = True
        form.run_button.click()
    status = _status(form)
    assert "The credential lacks crm.lists.read" in status and "Development &gt; Keys" in status
    assert account.access_token not in status and form.result is None
    assert form.progress.bar_style == "danger"


def test_bad_token_shows_authentication_message(portal):
    with HubSpotClient("not-a-valid-token", base_url=portal.base_url, cache=False) as bad:
        form = LookupForm(bad)
        assert "Authentication failed" in _status(form)  # loading the properties failed
        form.utk_text.value = "\n".join(portal.sample_utks(3))
        form.run_button.click()
    assert form.result is None
    assert "Authentication failed" in _status(form)
    assert "Traceback" not in _status(form)
    assert "not-a-valid-token" not in _status(form)
    assert form.progress.bar_style == "danger"
    assert form.tabs.children == ()


def test_daily_limit_keeps_and_shows_partial_data():
    with SandboxPortal(contacts=600, seed=3, daily_limit=3) as small:
        c = HubSpotClient(small.access_token, base_url=small.base_url, cache=False)
        form = LookupForm(c)  # request 1: the property definitions
        form.utk_text.value = "\n".join(small.sample_utks(250))  # three batches
        form.run()
        c.close()
    status = _status(form)
    assert "Daily API limit reached" in status
    assert form.result is not None  # the partial result is kept
    kept = len(form.result.contacts)
    assert 0 < kept < 250
    assert f"partial data kept ({kept:,} matched utks" in status
    assert "not fetched" in status
    assert form.tabs.titles[-1] == "plots"


def test_daily_limit_of_one_request():
    with SandboxPortal(contacts=50, seed=1, daily_limit=1) as tiny:
        c = HubSpotClient(tiny.access_token, base_url=tiny.base_url, cache=False)
        form = LookupForm(c)  # the one request: the property definitions
        form.utk_text.value = tiny.sample_utks(1)[0]
        form.run()
        c.close()
    assert "Daily API limit reached" in _status(form)
    assert "0 matched utks" in _status(form)


def test_nothing_found_and_invalid_input(client, portal):
    form = LookupForm(client)
    form.utk_text.value = "\n".join([*portal.unknown_utks(3), "café-not-a-utk"])
    result = form.run()
    assert result is not None and result.contacts.empty
    status = _status(form)
    assert "Nothing found" in status
    assert "not found" in status and "invalid" in status

    form.utk_text.value = " ,\n "
    assert form.run() is None
    assert "Nothing to look up" in _status(form)


def test_client_from_environment_is_built_at_run_time(monkeypatch, portal, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # the default cache, kept out of ~
    for name in ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_API_KEY", "HUBSPOT_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    form = LookupForm()
    form.utk_text.value = portal.sample_utks(1)[0]
    assert form.run() is None
    assert "No credentials" in _status(form)

    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", portal.access_token)
    monkeypatch.setenv("HUBSPOT_BASE_URL", portal.base_url)
    form.client = None
    result = form.run()
    assert result is not None and len(result.contacts) == 1
    assert isinstance(form.client, HubSpotClient)
    assert form.client.settings.base_url == portal.base_url
    assert len(form.properties.options) > 5  # filled once a client exists
    form.client.close()
    assert (tmp_path / "hubutk-pandas").is_dir()


@pytest.mark.filterwarnings("ignore:wide\\(\\)")
def test_contact_explorer_search_select_and_views(sandbox_result):
    result = sandbox_result
    explorer = ContactExplorer(result)
    vids = set(result.contacts["vid"])
    assert {v for _, v in explorer.contact.options} == vids
    assert explorer.tabs.titles == ("properties", "stage journey", "history", "form submissions")

    wide = result.wide()
    row = wide.iloc[3]
    explorer.search.value = str(row["email"]).upper()
    assert [v for _, v in explorer.contact.options] == [row["vid"]]
    explorer.search.value = str(row["firstname"])
    assert row["vid"] in {v for _, v in explorer.contact.options}

    utk = str(result.contacts["utk"].iloc[5])
    vid = explorer.select(utk)
    assert vid == result.contacts["vid"].iloc[5] == explorer.selected_vid
    assert explorer.search.value == ""
    person = wide[wide["vid"] == vid].iloc[0]
    assert str(person["email"]) in explorer.properties_table.value
    assert bytes(explorer.timeline.value).startswith(b"\x89PNG")
    n_forms = int((result.form_submissions["vid"] == vid).sum())
    assert f"{n_forms} rows" in explorer.form_table.value
    journey = result.lead.stages().query("vid == @vid")
    html = explorer.journey_table.value
    assert f"{len(journey)} rows" in html and "from the history" in html
    assert all(f"<td>{stage}</td>" in html for stage in journey["stage"].astype(str))
    assert ("current" in html) == bool(journey["exited_at"].isna().iloc[-1])

    before = explorer.timeline.value
    other = next(p for p in explorer.property.options if p != explorer.property.value)
    explorer.property.value = other
    assert explorer.timeline.value != before

    assert explorer.select(int(result.contacts["vid"].iloc[0])) == result.contacts["vid"].iloc[0]
    with pytest.raises(InvalidOptionError, match="no contact in this result"):
        explorer.select("ffffffffffffffffffffffffffffffff")


def test_column_picker_handles_non_string_column_names(client, portal):
    utks = portal.sample_utks(3)
    frame = pd.DataFrame({0: [10, 11, 12], 1: utks})
    form = LookupForm(client, frame=frame)
    assert form.column.value == 0  # no column named like a utk: the first is preselected
    assert [label for label, _ in form.column.options] == ["0", "1"]
    form.column.value = 1
    result = form.run()
    assert result is not None and list(result.contacts["utk"]) == utks


def test_progress_moves_per_batch_and_counts_distinct_utks(client, portal):
    utks = portal.sample_utks(250)  # three batches of at most 100
    visits = pd.DataFrame({"utk": [*utks, *utks[:50], f" {utks[0]} ", 7.0]})
    form = LookupForm(client, frame=visits)
    values: list[float] = []
    labels: list[str] = []
    form.progress.observe(lambda change: values.append(change["new"]), names="value")
    form.progress.observe(lambda change: labels.append(change["new"]), names="description")
    form.run()
    within_lookup = [v for v in values if 2 < v < 3]
    assert len(within_lookup) == 2  # after batch 1 and batch 2 of 3
    assert values == sorted(values)
    assert "251/251 utks" in labels  # progress counts the distinct utks sent
    assert labels[-1] == "done"
    # Repeat visits and a padded copy count once; the float cell 7.0 is the utk "7".
    assert "250 of 251 utks matched" in _status(form)


def test_contact_explorer_journey_from_the_became_dates_of_a_value_only_lookup():
    from tests.lead.handmade import hand

    explorer = ContactExplorer(hand(history=False))
    explorer.select("u2")
    html = explorer.journey_table.value
    assert "5 rows" in html and "from the Became-a dates" in html
    assert html.index("<td>lead</td>") < html.index("<td>customer</td>") and "current" in html
    explorer.select("u5")  # the anonymous visitor: no stage
    assert "No lifecycle stage" in explorer.journey_table.value
