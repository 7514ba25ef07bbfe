"""Test only: stop a process at a named moment of a write, so a test can kill it there with SIGKILL,
or make the write fail there.

    ALLIANCE_KG_TEST_PAUSE_AT=MOMENT:FOLDER
    ALLIANCE_KG_TEST_FAIL_AT=MOMENT

At MOMENT, once the test has made the file FOLDER/armed, the process writes FOLDER/reached and sleeps
until it is killed; or it raises OSError, as a full disk would. Unset (always, outside tests) they cost
two lookups.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

VARIABLE = "ALLIANCE_KG_TEST_PAUSE_AT"
FAIL_VARIABLE = "ALLIANCE_KG_TEST_FAIL_AT"


def pause_at(moment: str) -> None:
    if os.environ.get(FAIL_VARIABLE) == moment:
        raise OSError(f"a failure made by a test at {moment}")
    wanted = os.environ.get(VARIABLE)
    if not wanted:
        return
    name, _, folder = wanted.partition(":")
    if name == moment and (Path(folder) / "armed").exists():
        (Path(folder) / "reached").write_text(moment)
        while True:
            time.sleep(60)
