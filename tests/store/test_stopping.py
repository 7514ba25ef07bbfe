"""Stopping the server ends everything it started: SIGTERM, SIGINT and SIGKILL of `alliance-kg serve`
while a query burns a core leave no worker, fork server or resource tracker behind within 5 s; a clean
stop removes the temporary store, and one killed with SIGKILL is removed by the next start. The time
limit frees the CPU too: a second after a query's 503, no process works on it."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import requests

from service.store import temporary
from service.store.on_disk import PersistentStore

from ..conftest import serve
from .test_persistence import free_port

PROJECT = Path(__file__).resolve().parents[2]
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 10^12 combinations


def launch(tmp: Path, *extra: str, **variables: str) -> tuple[subprocess.Popen, int]:
    """`alliance-kg serve` of this checkout (not another one installed in the environment), with `tmp` as
    its temporary folder and `variables` in its environment, in a session of its own: (process, port)."""
    port = free_port()
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=str(PROJECT), **variables)
    process = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port), *extra],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    return process, port


def start_server(tmp: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    process, port = launch(tmp, *extra)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            assert process.poll() is None, process.stderr.read().decode()
            try:
                if requests.get(f"{url}/sparql", params={"query": "ASK {}"}, timeout=5).status_code == 200:
                    return process, url
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or the workers still starting
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
    except BaseException:
        process.kill()  # a server that failed to start is not left running (it and its family: lifeline.py)
        raise


def busy_descendants(pid: int) -> list[psutil.Process]:
    """The server's descendants once one of them burns a core on the heavy query."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        family = psutil.Process(pid).children(recursive=True)
        if any(p.cpu_percent(0.2) > 30 for p in family):
            return family
    pytest.fail("no worker took the heavy query")


def in_session(session: int) -> list[psutil.Process]:
    """Every process of the server's session (it starts one): also those started after a look at its
    children, such as a worker replacing a killed one."""
    found = []
    for p in psutil.process_iter():
        try:
            if os.getsid(p.pid) == session and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
        except (psutil.NoSuchProcess, ProcessLookupError):
            pass
    return found


def alive(processes: list[psutil.Process]) -> list[str]:
    found = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                found.append(f"{p.pid} {' '.join(p.cmdline())[:80]}")
        except psutil.NoSuchProcess:
            pass
    return found


def send_heavy(url: str) -> None:
    def call():
        try:
            requests.get(f"{url}/sparql", params={"query": HEAVY}, timeout=60)
        except requests.RequestException:
            pass  # the server went away under it: what the test does
    threading.Thread(target=call, daemon=True).start()


@pytest.mark.parametrize("sig, to_group", [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGKILL, False),
                                           (signal.SIGINT, True)],
                         ids=["SIGTERM", "SIGINT", "SIGKILL", "ctrl-c to the process group"])
def test_stopping_the_server_ends_every_process_it_started(tmp_path, sig, to_group):
    process, url = start_server(tmp_path)
    stores = list(tmp_path.glob(temporary.PREFIX + "*"))
    assert len(stores) == 1
    family: list[psutil.Process] = []
    try:
        send_heavy(url)
        family = busy_descendants(process.pid)
        kinds = " ".join(" ".join(p.cmdline()) for p in family)
        assert "forkserver" in kinds and "resource_tracker" in kinds  # the processes the issue saw left behind
        os.killpg(process.pid, sig) if to_group else process.send_signal(sig)
        started = time.monotonic()
        process.wait(timeout=10)
        while (alive(family) or in_session(process.pid)) and time.monotonic() - started < 5:
            time.sleep(0.05)
        seconds = time.monotonic() - started
        assert not alive(family), f"still running 5 s after {sig.name}: {alive(family)}"
        assert not alive(in_session(process.pid)), f"started later, still running: {alive(in_session(process.pid))}"
        print(f"{sig.name}: {len(family)} processes gone in {seconds:.2f} s")
    finally:
        for leftover in family + [psutil.Process(process.pid)] if process.poll() is None else family:
            try:
                leftover.kill()  # a failed test leaves nothing burning the machine
            except psutil.NoSuchProcess:
                pass
    if sig == signal.SIGKILL:
        assert stores[0].exists()  # nobody was left to remove it ...
        runs = list(tmp_path.glob(temporary.RUN_PREFIX + "*"))
        assert len(runs) == 1 and not list(tmp_path.glob("pymp-*"))  # ... nor the fork server's folder
        past = time.time() - temporary.GRACE_SECONDS - 1
        for folder in (stores[0], runs[0]):
            os.utime(folder / "LOCK", (past, past))
        process, _url = start_server(tmp_path)  # ... so the next start does
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    assert not stores[0].exists()
    assert not list(tmp_path.iterdir())  # nor the fork server's folder (multiprocessing's pymp-*, before)


@pytest.mark.parametrize("sig, moment", [(signal.SIGTERM, "loading"), (signal.SIGINT, "loading"),
                                        (signal.SIGTERM, "first answer"), (signal.SIGINT, "first answer")],
                         ids=lambda value: getattr(value, "name", value))
def test_a_stop_during_start_up_leaves_nothing_behind(tmp_path, sig, moment):
    """Stopped while it loads the graph, before it listens; or at its first answer, while RocksDB is
    written in the background (PersistentStore.commit_in_background): no process, no folder, status 0."""
    process, port = launch(tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(temporary.PREFIX + "*")):  # the store folder is made before the graph loads
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read().decode()
            time.sleep(0.01)
        if moment == "first answer":
            while True:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr.read().decode()
                try:
                    if requests.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK {}"}, timeout=30).ok:
                        break
                except requests.ConnectionError:
                    time.sleep(0.01)
        assert_stopped_leaving_nothing(process, sig, tmp_path)
    finally:
        for leftover in in_session(process.pid):
            leftover.kill()


@pytest.mark.parametrize("prefix", [temporary.PREFIX, temporary.RUN_PREFIX], ids=["store folder", "run folder"])
def test_a_stop_the_moment_a_temporary_folder_is_made_leaves_nothing_behind(tmp_path, prefix):
    """SIGINT sent as soon as the folder appears can land between its making and the line that handed it
    to its cleanup (5 Dec, before temporary.create recorded it first: 17 of 30 such starts left the run
    folder, 1 of 30 the store folder; CI met the first, once, in the test above). Four tries per folder."""
    for attempt in range(4):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        process, _port = launch(folder)
        try:
            deadline = time.monotonic() + 60
            while not any(name.startswith(prefix) for name in os.listdir(folder)):  # no sleep: the window is short
                assert process.poll() is None and time.monotonic() < deadline, process.stderr.read().decode()
            assert_stopped_leaving_nothing(process, signal.SIGINT, folder)
        finally:
            for leftover in in_session(process.pid):
                leftover.kill()


def assert_stopped_leaving_nothing(process: subprocess.Popen, sig: signal.Signals, tmp: Path) -> None:
    process.send_signal(sig)
    started = time.monotonic()
    process.wait(timeout=10)
    errors = process.stderr.read().decode()
    assert process.returncode == 0 and "Traceback" not in errors, errors[-2000:]
    while in_session(process.pid) and time.monotonic() - started < 5:
        time.sleep(0.05)
    assert not alive(in_session(process.pid))
    assert not list(tmp.iterdir()), errors[-2000:]


def test_a_temporary_folder_is_recorded_before_it_is_made(tmp_path, monkeypatch):
    """A stop raised right after the folder's mkdir (the SystemExit of the signal handler) finds it in the
    caller's record already; the record's cleanup removes it."""
    monkeypatch.setattr(temporary.tempfile, "tempdir", str(tmp_path))
    made_folder = Path.mkdir

    def mkdir_then_stop(self, *args, **kwargs):
        made_folder(self, *args, **kwargs)
        raise SystemExit(0)
    monkeypatch.setattr(Path, "mkdir", mkdir_then_stop)
    made: list[Path] = []
    with pytest.raises(SystemExit):
        temporary.create(made)
    monkeypatch.undo()
    assert len(made) == 1 and made[0].parent == tmp_path and made[0].name.startswith(temporary.PREFIX)
    assert made[0].is_dir()
    temporary.remove(made)
    assert not list(tmp_path.iterdir())


def test_a_store_that_cannot_be_written_at_the_first_start_stops_the_server(tmp_path):
    """A first start answers before RocksDB is written (PersistentStore.commit_in_background): a failure to
    write it (here made by the test, as a full disk would) stops the server with status 1, naming it."""
    process, _port = launch(tmp_path, ALLIANCE_KG_TEST_FAIL_AT="generation-begun")
    try:
        _, said = process.communicate(timeout=60)
        assert process.returncode == 1
        assert re.search(r"cannot go on: the store in \S+alliance-kg-store-\S+ could not be written \(OSError: a "
                         r"failure made by a test at generation-begun\)", said.decode()), said.decode()[-2000:]
        started = time.monotonic()
        while in_session(process.pid) and time.monotonic() - started < 5:
            time.sleep(0.05)
        assert not alive(in_session(process.pid))
        assert not list(tmp_path.iterdir())
    finally:
        for leftover in in_session(process.pid):
            leftover.kill()


def test_stale_temporary_stores_are_removed_only_when_their_server_is_dead(tmp_path):
    live = tmp_path / (temporary.PREFIX + "live")
    dead = tmp_path / (temporary.PREFIX + "dead")
    never_locked = tmp_path / (temporary.PREFIX + "empty")
    never_locked.mkdir()
    PersistentStore(dead).close()
    holder = PersistentStore(live)
    try:
        assert temporary.remove_stale(tmp_path, grace=3600) == []  # too young to judge
        assert temporary.remove_stale(tmp_path, grace=0) == [dead]
        assert live.exists() and never_locked.exists()
    finally:
        holder.close()


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_the_time_limit_frees_the_cpu_within_a_second(shipped):
    from service import create_app
    app = create_app({"TESTING": True, "QUERY_TIMEOUT": 2, "QUERY_WORKERS": 1}, store=shipped[0])
    url, server = serve(app, threads=2)
    try:
        executor = app.extensions["alliance_kg.executor"]
        executor.wait_ready()
        workers = set(executor.worker_pids())
        # the processes that could be working on the query: the worker it goes to, and every other one
        # there is now (the fork server, ...). A worker forked after the limit to replace the killed one is
        # not working on it, and its start-up is no part of this question (under load it overlapped the window)
        present = {p.pid for p in psutil.Process().children(recursive=True)}
        started = time.monotonic()
        response = requests.get(f"{url}/sparql", params={"query": HEAVY}, timeout=30)
        assert response.status_code == 503 and "2 s" in response.text
        assert time.monotonic() - started < 4
        time.sleep(1)
        family = [p for p in psutil.Process().children(recursive=True) if p.pid in present]
        killed = workers - set(executor.worker_pids())
        assert killed, "the worker that ran the query was replaced"
        assert not [p for p in family if p.pid in killed and _running(p)], "the killed worker is gone"
        before = {p.pid: sum(p.cpu_times()[:2]) for p in family if p.pid not in killed}
        time.sleep(0.5)
        used = {p.pid: sum(p.cpu_times()[:2]) - before[p.pid] for p in family if p.pid in before and p.is_running()}
        assert max(used.values()) < 0.1, f"CPU seconds used 1 s after the limit, by process: {used}"
    finally:
        server.close()
        app.extensions["alliance_kg.close"]()
