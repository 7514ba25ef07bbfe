"""The load run of benchmarks/ works and holds its bar, briefly: 4 clients for 3 seconds, zero errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_a_short_load_run_has_no_errors():
    run = subprocess.run([sys.executable, str(PROJECT_ROOT / "benchmarks" / "load.py"), "--seconds", "6",
                          "--clients", "4", "--json"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
    [phase] = json.loads(run.stdout.strip().splitlines()[-1])
    assert phase["clients"] == 4
    assert phase["errors"] == 0, phase["error_samples"]
    assert phase["requests"] >= 20 and phase["throughput"] > 0
    assert 0 < phase["p50_ms"] <= phase["p99_ms"]
    assert phase["rss_before_mb"] > 10 and phase["rss_after_mb"] > 10
