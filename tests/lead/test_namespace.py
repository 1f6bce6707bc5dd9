"""result.lead: the functions with the result bound, imported lazily."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from hubutk_pandas import lead
from hubutk_pandas.result import LookupResult


def test_namespace_matches_the_functions(hand_result: LookupResult) -> None:
    ns = hand_result.lead
    assert "funnel" in repr(ns)
    pd.testing.assert_frame_equal(ns.stages(), lead.stages(hand_result))
    pd.testing.assert_frame_equal(ns.funnel(kind="all"), lead.funnel(hand_result, kind="all"))
    pd.testing.assert_frame_equal(
        ns.time_to_stage("lead", "customer"), lead.time_to_stage(hand_result, "lead", "customer")
    )
    pd.testing.assert_frame_equal(
        ns.time_to_stage_summary("lead", "customer", by="hs_analytics_source"),
        lead.time_to_stage_summary(hand_result, "lead", "customer", by="hs_analytics_source"),
    )
    pd.testing.assert_frame_equal(ns.attribution(), lead.attribution(hand_result))
    pd.testing.assert_frame_equal(ns.cohorts("Q"), lead.cohorts(hand_result, "Q"))
    visits = pd.DataFrame({"utk": ["u1"], "t": ["2024-01-01"], "p": ["/"]})
    pd.testing.assert_frame_equal(
        ns.touchpoints(visits, at="t", page="p").contacts,
        lead.touchpoints(visits, hand_result, at="t", page="p").contacts,
    )


def test_importing_the_package_does_not_import_the_lead_analytics() -> None:
    code = "import sys, hubutk_pandas; print('hubutk_pandas.lead' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
