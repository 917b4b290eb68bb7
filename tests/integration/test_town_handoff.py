"""The handoff after payment and the prices a town reads before it signs up.

Given a town that signed up in this browser, the page Checkout returns to repeats the
administrator's invitation and the next three steps; another browser sees the steps but no
invitation. The landing and signup pages state each plan's price with and without tax and
the trial's terms, from the plans billing charges.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from kasane.tenants.municipalities import all_municipalities
from kasane.tenants.plans import PLANS
from tests.conftest import Env, _make_sqlite_env, csrf_of, tenant_client

CODE = next(c for c, m in sorted(all_municipalities().items()) if m.name == "多度津町")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return _make_sqlite_env(tmp_path_factory.mktemp("handoff"))


@pytest.fixture
def operator(env: Env) -> Iterator[TestClient]:
    with tenant_client(env, None) as c:
        yield c


def test_the_page_after_payment_repeats_the_invitation_and_the_next_steps(
    env: Env, operator: TestClient
) -> None:
    page = operator.get("/signup")
    done = operator.post(
        "/signup",
        data={
            "municipality_code": CODE,
            "population": "22000",
            "admin_name": "多度津 次郎",
            "admin_email": "jiro@tadotsu.example.jp",
            "slug": "tadotsu",
            "plan": "small",
            "_csrf_token": csrf_of(page.text),
        },
    )
    assert done.status_code == 201
    link = re.search(r'id="invitation-link">([^<]+)<', done.text)
    assert link
    # the signup page speaks of 自治体 when the code is taken again
    again = operator.post(
        "/signup",
        data={
            "municipality_code": CODE,
            "population": "22000",
            "admin_name": "x",
            "admin_email": "x@example.jp",
            "slug": "tadotsu-2",
            "plan": "small",
            "_csrf_token": csrf_of(operator.get("/signup").text),
        },
    )
    assert again.status_code == 422 and "テナント" not in again.text
    assert "この団体コードの自治体はすでに登録されています" in again.text
    # when Checkout returns (paid or not), the same invitation and three next steps
    result = operator.get("/signup/result?tenant=tadotsu&paid=1")
    assert result.status_code == 200
    repeated = re.search(r'id="invitation-link"[^>]*>([^<]+)<', result.text)
    assert repeated and repeated.group(1) == link.group(1)
    steps = re.search(r'<ol id="next-steps".*?</ol>', result.text, re.S)
    assert steps and steps.group(0).count("<li>") == 3
    assert "QR" in steps.group(0)
    # another browser learns nothing of the invitation
    with tenant_client(env, None) as stranger:
        other = stranger.get("/signup/result?tenant=tadotsu")
    assert other.status_code == 200 and "invitation" not in other.text.split("next-steps")[0]
    assert "token=" not in other.text


def test_prices_with_tax_and_the_trial_terms_are_stated(operator: TestClient) -> None:
    landing = operator.get("/").text
    signup = operator.get("/signup").text
    for plan in PLANS:
        excluding, including = f"{plan.monthly_yen:,}", f"{plan.monthly_yen_with_tax:,}"
        assert excluding in landing and including in landing
        assert excluding in signup and including in signup
    assert PLANS[0].monthly_yen_with_tax == 33_000
    assert "無料" in landing and 'id="trial-terms"' in signup
