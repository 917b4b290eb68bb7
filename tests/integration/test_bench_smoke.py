"""`make bench` keeps working: a tiny run of the real benchmark (not a timing test — the
figures are only printed, never asserted)."""

from __future__ import annotations

import re

import pytest

from tests.bench.__main__ import DEFAULT_PG, main, pg_reachable


def test_a_tiny_benchmark_run_measures_every_page(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--scale", "0.005", "--requests", "3", "--warmup", "1", "--budget", "5"]
    assert main([*args, "--seconds", "0.5", "--tenants", "20"]) == 0
    out = capsys.readouterr().out
    backends = ["sqlite", *(["postgresql"] if pg_reachable(DEFAULT_PG) else [])]
    for backend in backends:
        end = rf" backend={backend}$"
        lines = re.findall(rf"^bench (\S+) p50_ms=.* statements=\d+{end}", out, re.M)
        assert set(lines) >= {
            "case_list",
            "case_list_filtered",
            "case_page",
            "fy_report",
            "fy_report_cold",
        }
        assert re.search(rf"^bench metrics_release towns=1741 seconds=[0-9.]+{end}", out, re.M)
        if backend == "sqlite":  # a 50,000-row caseload import (a tenth here)
            imported = rf"^bench caseload_import rows=\d+ upload_s=.* total_s=[0-9.]+ cases=.*{end}"
            assert re.search(imported, out, re.M)
        assert re.search(
            rf"^bench concurrency8 kasane_scaling=[0-9.]+ baseline_scaling=[0-9.]+ "
            rf"lock_wait_share=(na|[0-9.]+){end}",
            out,
            re.M,
        )
        assert re.search(
            rf"^bench case_list_200k .*p50_ms=[0-9.]+ p50_5k_ms=[0-9.]+ growth=[0-9.]+{end}",
            out,
            re.M,
        )
        assert re.search(
            rf"^bench tenants1741 tenants=20 rss_mb=\d+ .*cold_p50_ms=.*{end}", out, re.M
        )
