"""Test only: stop a process at a named moment of a write, so a test can kill it there with SIGKILL.

    ALLIANCE_KG_TEST_PAUSE_AT=MOMENT:FOLDER

At MOMENT, once the test has made the file FOLDER/armed, the process writes FOLDER/reached and sleeps
until it is killed. Unset (always, outside tests/store/test_kill_during_write.py) it costs one lookup.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

VARIABLE = "ALLIANCE_KG_TEST_PAUSE_AT"


def pause_at(moment: str) -> None:
    wanted = os.environ.get(VARIABLE)
    if not wanted:
        return
    name, _, folder = wanted.partition(":")
    if name == moment and (Path(folder) / "armed").exists():
        (Path(folder) / "reached").write_text(moment)
        while True:
            time.sleep(60)
