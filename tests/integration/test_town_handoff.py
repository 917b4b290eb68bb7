"""The handoff after payment and the prices a town reads before it signs up.

Given a town that signed up in this browser, the page Checkout returns to repeats the
administrator's invitation and the next three steps; another browser sees the steps but no
invitation. The page says the invitation was mailed only when it was; outside the demo, when
no mail carried it, that browser gets the link itself. The landing and signup pages state
each plan's price with and without tax and the trial's terms, from the plans billing charges.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from litestar.testing import TestClient

from kasane.tenants.municipalities import all_municipalities
from kasane.tenants.plans import PLANS
from tests.conftest import Env, _make_sqlite_env, csrf_of, tenant_client
from tests.integration.test_billing import signup_form
from tests.integration.test_jobs import free_port, inbox  # noqa: F401  (the aiosmtpd fixture)


def code_of(name: str) -> str:
    return next(c for c, m in sorted(all_municipalities().items()) if m.name == name)


CODE = code_of("多度津町")
MAILED = "お申込み時のメールアドレスに、管理者への招待をお送りしました"
DEMO_NO_MAIL = "デモではメールは送信されません"


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


def sign_up_and_return(env: Env, town: str, slug: str, email: str) -> tuple[str, str]:
    """Sign ``town`` up in one browser and come back from Checkout unpaid: the page right
    after signing up and the result page (both say what became of the invitation)."""
    with tenant_client(env, None) as browser:
        done = signup_form(
            browser,
            municipality_code=code_of(town),
            population="9000",
            admin_email=email,
            slug=slug,
        )
        assert done.status_code == 201, done.text[-800:]
        result = browser.get(f"/signup/result?tenant={slug}")
    assert result.status_code == 200
    return done.text, result.text


def shown_link(page: str) -> str | None:
    found = re.search(r'id="invitation-link"[^>]*>([^<]+)<', page)
    return found.group(1) if found else None


def test_outside_the_demo_a_mailed_invitation_is_said_mailed_and_not_shown(
    env: Env,
    inbox: Any,  # noqa: F811
) -> None:
    box, smtp = inbox
    production = Env(replace(env.settings, demo=False, smtp_url=smtp), env.backend)
    pages = sign_up_and_return(production, "琴平町", "kotohira", "kanri@kotohira.example")
    # both pages say it was mailed, and the link is only in the mail
    for page in pages:
        assert MAILED in page and 'id="invitation-not-mailed"' not in page
        assert shown_link(page) is None and "token=" not in page
    [(to, _subject, body)] = box.mails
    assert to == ["kanri@kotohira.example"]
    assert re.search(r"http://kotohira\.kasane\.test/invitation\?token=\S+", body)


@pytest.mark.parametrize(
    ("smtp", "said"),
    [
        ("", "このサイトではまだメールを送信していないため、招待メールは送られていません"),
        ("closed port", "招待メールを送信できませんでした"),
    ],
    ids=["no mail configured", "mail fails"],
)
def test_outside_the_demo_an_unmailed_invitation_is_given_to_the_browser_that_signed_up(
    env: Env, smtp: str, said: str
) -> None:
    smtp_url = f"smtp://127.0.0.1:{free_port()}" if smtp else ""  # nothing listens there
    production = Env(replace(env.settings, demo=False, smtp_url=smtp_url), env.backend)
    slug = "manno" if smtp else "utazu"
    done, page = sign_up_and_return(
        production, "まんのう町" if smtp else "宇多津町", slug, "a@b.example"
    )
    # both pages say why no mail came, claim none, and give the link, which opens the invitation
    for shown in (done, page):
        assert said in shown and MAILED not in shown and DEMO_NO_MAIL not in shown
    link = shown_link(page)
    assert link == shown_link(done)
    assert link and link.startswith(f"http://{slug}.kasane.test/invitation?token=")
    with tenant_client(production, slug) as invitee:
        assert invitee.get(link.split("kasane.test", 1)[1]).status_code == 200
    # another browser learns nothing of it
    with tenant_client(production, None) as stranger:
        other = stranger.get(f"/signup/result?tenant={slug}").text
    assert "token=" not in other and said not in other


def test_in_the_demo_with_mail_the_page_says_mailed_and_shows_the_link_too(
    env: Env,
    inbox: Any,  # noqa: F811
) -> None:
    box, smtp = inbox
    demo = Env(replace(env.settings, smtp_url=smtp), env.backend)
    done, page = sign_up_and_return(demo, "三木町", "miki", "kanri@miki.example")
    assert MAILED in page and DEMO_NO_MAIL not in page
    assert MAILED in done and DEMO_NO_MAIL not in done
    link = shown_link(page)
    assert link == shown_link(done)
    [(to, _subject, body)] = box.mails
    assert to == ["kanri@miki.example"] and link and link in body
