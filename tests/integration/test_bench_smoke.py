"""`make bench` keeps working: a tiny run of the real benchmark (not a timing test — the
figures are only printed, never asserted)."""

from __future__ import annotations

import re

import pytest

from tests.bench.__main__ import main


def test_a_tiny_benchmark_run_measures_every_page(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--scale", "0.005", "--requests", "3", "--warmup", "1", "--budget", "5"]) == 0
    out = capsys.readouterr().out
    lines = re.findall(r"^bench (\S+) p50_ms=", out, re.M)
    assert re.search(r"^bench metrics_release towns=1741 seconds=[0-9.]+$", out, re.M)
    imported = r"^bench caseload_import rows=\d+ upload_s=.* total_s=[0-9.]+ cases="
    assert re.search(imported, out, re.M)
    assert set(lines) >= {
        "case_list",
        "case_list_filtered",
        "case_page",
        "fy_report",
        "fy_report_cold",
    }
