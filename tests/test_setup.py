"""The newcomer's two commands: the README's test command does all the set-up (scripts/setup.sh), CI
runs that very line, the script installs each part the tests need and only what is missing, and a test
that needs a missing part fails at once saying how to install it."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import PARTS, PROJECT_ROOT, require

README = (PROJECT_ROOT / "README.md").read_text()
SETUP = PROJECT_ROOT / "scripts" / "setup.sh"
BLOCKS = re.findall(r"```sh\n(.*?)\n```", README, re.DOTALL)
TEST_COMMAND = next(block for block in BLOCKS if "pytest" in block)


def test_the_readme_test_command_sets_up_then_tests_and_ci_runs_it_verbatim():
    assert TEST_COMMAND == "bash scripts/setup.sh && .venv/bin/python -m pytest"
    ci = (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()
    assert TEST_COMMAND in ci, "`.ci/run` runs the README's test command, as one line of its own"
    assert ci.index(TEST_COMMAND) < ci.index(".venv/bin/alliance-kg check")


def test_the_readme_serves_with_what_the_set_up_made():
    assert ".venv/bin/alliance-kg serve" in BLOCKS[BLOCKS.index(TEST_COMMAND) + 1]


def test_the_set_up_script_installs_each_part_quietly():
    script = SETUP.read_text()
    assert "set -euo pipefail" in script
    for package in ("default-jdk-headless", "chromium", "fonts-dejavu-core", "virtuoso-opensource"):
        assert f"missing+=({package})" in script, package
    assert "npm ci --prefix \"$static\"" in script and "static=service/web/static" in script
    assert ".venv/bin/pip install -q -e '.[test]'" in script
    assert "service virtuoso-opensource-7 stop" in script
    assert all("-qq" in line for line in script.splitlines() if line.strip().startswith("apt-get"))
    for part, (_, _, command) in PARTS.items():  # what a failing test tells a person to run is what the script runs
        packages = command.split("install ")[-1].split() if command.startswith("apt-get") else []
        assert all(f"missing+=({p})" in script for p in packages), part


def fake_machine(tmp_path: Path, present: bool) -> tuple[Path, dict]:
    """A copy of the project's set-up files and a PATH of stand-ins that log each call: with every part
    `present`, or with none of them."""
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(SETUP, root / "scripts")
    static = root / "service/web/static"
    static.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(PROJECT_ROOT / "service/web/static" / name, static)
    (root / "pyproject.toml").write_text("")
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    for tool in ("bash", "basename", "dirname", "grep", "touch", "mkdir", "chmod", "cp", "node"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    logging = f'#!/bin/sh\necho "$(basename "$0") $*" >> {log}\n'
    for tool in ("service", "npm") if present else ("service",):
        (bin_dir / tool).write_text(logging)
    # what apt-get installs appears on the PATH (npm, which the script then runs)
    (bin_dir / "apt-get").write_text(logging + f'[ "$1" = install ] && cp {bin_dir}/service {bin_dir}/npm\nexit 0\n')
    (bin_dir / "dpkg-query").write_text("#!/bin/sh\n" + ("echo 'install ok installed'\n" if present else "exit 1\n"))
    # python3 -m venv .venv makes a .venv whose pip logs
    (bin_dir / "python3").write_text(logging + 'if [ "$1" = -m ]; then mkdir -p .venv/bin; '
                                     f'printf \'#!/bin/sh\\necho "pip $*" >> {log}\\n\' > .venv/bin/pip; '
                                     'printf \'#!/bin/sh\\nexit 1\\n\' > .venv/bin/python; chmod +x .venv/bin/*; exit 0; fi\n'
                                     + ("" if present else "exit 1\n"))
    if present:
        for tool in ("java", "javac", "chromium", "virtuoso-t", "isql-vt"):
            (bin_dir / tool).write_text("#!/bin/sh\n")
        yasgui = static / "node_modules/@zazuko/yasgui"
        (yasgui / "build").mkdir(parents=True)
        (yasgui / "build/yasgui.min.js").write_text("")
        (yasgui / "package.json").write_text('{"version": "4.6.2"}')
        (root / ".venv/bin").mkdir(parents=True)
        (root / ".venv/bin/python").write_text("#!/bin/sh\n")
        (root / ".venv/.setup-done").write_text("")
        os.utime(root / "pyproject.toml", (0, 0))
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    for stub in (root / ".venv/bin").glob("*"):
        stub.chmod(0o755)
    return root, {"PATH": str(bin_dir), "LOG": str(log)}


def run_setup(root: Path, env: dict) -> tuple[subprocess.CompletedProcess, list[str]]:
    run = subprocess.run([shutil.which("bash"), str(root / "scripts/setup.sh")], env={"PATH": env["PATH"]},
                         capture_output=True, text=True, timeout=60)
    log = Path(env["LOG"])
    return run, log.read_text().splitlines() if log.exists() else []


def test_on_a_bare_machine_the_script_installs_every_part(tmp_path):
    root, env = fake_machine(tmp_path, present=False)
    run, calls = run_setup(root, env)
    assert run.returncode == 0, run.stderr
    install = next(call for call in calls if call.startswith("apt-get install"))
    for package in ("default-jdk-headless", "chromium", "fonts-dejavu-core", "virtuoso-opensource", "npm",
                    "python3-venv"):
        assert package in install.split(), package
    assert "service virtuoso-opensource-7 stop" in calls
    assert "npm ci --prefix service/web/static --no-audit --no-fund --loglevel=error" in calls
    assert "pip install -q -e .[test]" in calls


def test_where_everything_is_present_the_script_installs_nothing_and_is_quick(tmp_path):
    root, env = fake_machine(tmp_path, present=True)
    started = time.perf_counter()
    run, calls = run_setup(root, env)
    assert run.returncode == 0, run.stderr
    assert time.perf_counter() - started < 5
    assert [call for call in calls if not call.startswith("python3 -c")] == []
    assert run.stdout.strip().endswith("are in place")


@pytest.mark.parametrize("part", sorted(PARTS))
def test_a_test_that_needs_a_missing_part_fails_at_once_saying_how_to_install_it(part, monkeypatch):
    present, why, command = PARTS[part]
    monkeypatch.setitem(PARTS, part, (lambda: False, why, command))
    with pytest.raises(pytest.fail.Exception) as failure:
        require(part)
    message = str(failure.value)
    assert message.startswith(f"{part} is missing") and command in message and "bash scripts/setup.sh" in message
