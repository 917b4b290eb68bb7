"""Every printable is a tagged PDF (issue 17): a screen reader follows its headings, tables
and reading order. Each is rendered the way its user gets it — the プランシート, 評価シート
and 相談受付・申込票 (with and without consent) of a case, the papers of a 支援会議, a
見積書 and a 適格請求書 — and checked for the tags (``/MarkInfo /Marked true`` and a
structure tree), its language, A4 pages and real Japanese text; and, where poppler's
``pdfinfo`` is installed (the issue's own check), that it reports ``Tagged: yes``.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient
from pypdf import PdfReader

from kasane.core.japan_time import today_jst
from tests.conftest import Env, _make_sqlite_env, csrf_of, login, tenant_client
from tests.integration.test_case_printables import make_evaluated_case, pdf_text
from tests.integration.test_meeting_papers import build_meeting

# each printable → a word its first pages must hold (the document's own title)
EXPECTED = {
    "plan sheet": "プランシート",
    "evaluation sheet": "評価",
    "intake sheet with consent": "相談受付",
    "intake sheet without consent": "相談受付",
    "meeting papers": "支援会議",
    "quotation": "見積書",
    "invoice": "請求書",
}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]{4,}")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    """A database of this module's own: it starts a town's invoice contract."""
    return _make_sqlite_env(tmp_path_factory.mktemp("printables"))


@pytest.fixture(scope="module")
def printables(env: Env) -> dict[str, bytes]:
    case = make_evaluated_case(env, "usuki")
    meeting = build_meeting(env, "usuki", "shien_kaigi")
    with tenant_client(env, "usuki") as caseworker:
        assert login(caseworker, "caseworker").status_code == 302
        base = f"/cases/{case.case_id}"
        answers = {
            "plan sheet": caseworker.get(f"{base}/plan.pdf"),
            "evaluation sheet": caseworker.get(f"{base}/evaluation.pdf"),
            "intake sheet with consent": caseworker.get(f"{base}/intake.pdf?version=consent"),
            "intake sheet without consent": caseworker.get(f"{base}/intake.pdf?version=no-consent"),
            "meeting papers": caseworker.get(f"/meetings/{meeting.meeting_id}/papers.pdf"),
        }
    with tenant_client(env, None) as operator:
        answers["quotation"] = quotation(operator)
    with tenant_client(env, "marugame") as admin:
        assert login(admin, "admin").status_code == 302
        answers["invoice"] = first_invoice(admin)
    for name, r in answers.items():
        assert r.status_code == 200, (name, r.text[:300])
        assert r.headers["content-type"] == "application/pdf", name
    return {name: r.content for name, r in answers.items()}


def quotation(operator: TestClient) -> object:
    page = operator.get("/quote")
    return operator.post(
        "/quote",
        data={
            "municipality_code": "442062",  # 臼杵市
            "plan": "small",
            "start": f"{today_jst():%Y-%m}",
            "_csrf_token": csrf_of(page.text),
        },
    )


def first_invoice(admin: TestClient) -> object:
    """The tenant admin starts the fiscal-year contract and opens its first invoice."""
    page = admin.get("/billing")
    started = admin.post(
        "/billing/invoice",
        data={
            "plan": "small",
            "start": f"{today_jst():%Y-%m}",
            "payment_days": "30",
            "_csrf_token": csrf_of(page.text),
        },
    )
    link = re.search(r'href="(/billing/invoices/[0-9a-f-]+/pdf)"', started.text)
    assert started.status_code == 200 and link, started.text[:500]
    return admin.get(link.group(1))


@pytest.fixture(scope="module")
def pdfinfo() -> Iterator[str | None]:
    found = shutil.which("pdfinfo")
    # `make test` installs poppler-utils; in CI its absence is a set-up fault, not a pass
    assert found or os.environ.get("CI") != "true", "pdfinfo (poppler-utils) is missing"
    yield found


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_printable_is_a_tagged_a4_pdf_in_japanese(
    printables: dict[str, bytes], pdfinfo: str | None, name: str, tmp_path: Path
) -> None:
    content = printables[name]
    # a PDF tagged (marked, with a structure tree) in Japanese, its first page A4, and its
    # text without white space
    text = pdf_text(content)
    reader = PdfReader(io.BytesIO(content))
    # the structure tree is not empty
    assert reader.trailer["/Root"]["/StructTreeRoot"]["/K"], name
    # and says it is PDF/UA-1 (WeasyPrint's pdf/ua-1 variant) in its XMP metadata
    assert reader.xmp_metadata is not None, name
    assert b'pdfuaid:part="1"' in reader.xmp_metadata.stream.get_data(), name
    # every page A4 (595 × 842 points), not only the first
    boxes = (p.mediabox for p in reader.pages)
    sizes = {(round(float(box.width)), round(float(box.height))) for box in boxes}
    assert sizes == {(595, 842)}, (name, sizes)
    # real Japanese text (extractable glyphs, not tofu), the document's title among it
    assert EXPECTED[name] in text and JAPANESE.search(text), (name, text[:200])
    if pdfinfo is None:
        return
    # and poppler, as the issue checks it, agrees
    path = tmp_path / "printable.pdf"
    path.write_bytes(content)
    info = subprocess.run([pdfinfo, str(path)], capture_output=True, text=True, check=True)
    assert re.search(r"^Tagged:\s+yes$", info.stdout, re.M), (name, info.stdout)
    assert re.search(r"^Page size:.*\(A4\)$", info.stdout, re.M), (name, info.stdout)
