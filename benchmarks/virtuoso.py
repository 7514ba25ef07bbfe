"""A throwaway Virtuoso Open Source 7 on loopback, from Debian's `virtuoso-opensource` package.

Used by the integration test (tests/store/test_external_store.py) and the benchmarks. Recipe from
../shared/FINDINGS.md: copy the packaged virtuoso.ini, give [Database] and [TempDatabase] distinct
files in a private folder, bind both ports to 127.0.0.1, and grant SPARQL_UPDATE to the anonymous
SPARQL user through isql. Three defaults of the packaged ini would change answers silently and are
lifted here: ResultSetMaxRows (10,000: longer results are cut), MaxQueryExecutionTime (60 s: an
"anytime" query returns partial results) and MaxQueryCostEstimationTime (refuses costly queries).
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

# the package's postinst copies the second to the first; either will do
PACKAGED_INIS = (Path("/etc/virtuoso-opensource-7/virtuoso.ini"), Path("/usr/share/virtuoso-opensource-7/virtuoso.ini"))
SERVER = "virtuoso-t"
ISQL = "isql-vt"


class VirtuosoUnavailable(RuntimeError):
    pass


def _packaged_ini() -> Path | None:
    return next((path for path in PACKAGED_INIS if path.exists()), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def configure(ini: str, settings: dict[str, dict[str, str]]) -> str:
    """The ini text with `settings` (section -> key -> value) replacing or adding lines."""
    out, section, pending = [], None, {s: dict(v) for s, v in settings.items()}

    def flush(name):
        for key, value in pending.pop(name, {}).items():
            out.append(f"{key} = {value}")

    for line in ini.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            flush(section)
            section = stripped[1:-1]
            out.append(line)
            continue
        key = stripped.split("=", 1)[0].strip() if "=" in stripped and not stripped.startswith(";") else None
        if section in pending and key in pending[section]:
            out.append(f"{key} = {pending[section].pop(key)}")
        elif section in settings and key in settings[section]:
            continue  # a duplicate of a key already set
        else:
            out.append(line)
    flush(section)
    for name in list(pending):
        out.append(f"[{name}]")
        flush(name)
    return "\n".join(out) + "\n"


@dataclass
class Virtuoso:
    folder: Path
    buffers: int = 10_000  # 8 kB pages; 170,000 (1.3 GB) suits a few million triples
    query_limit: int = 0  # MaxQueryExecutionTime in seconds, 0 for none: the server's own backstop
    http_port: int = field(default_factory=free_port)
    sql_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def sparql_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @staticmethod
    def available() -> bool:
        return shutil.which(SERVER) is not None and shutil.which(ISQL) is not None and _packaged_ini() is not None

    def start(self, timeout: float = 180) -> "Virtuoso":
        if not self.available():
            raise VirtuosoUnavailable(
                "Virtuoso Open Source 7 is not installed: run .ci/run (it installs Debian's "
                "virtuoso-opensource), or `apt-get install virtuoso-opensource` as root")
        self.folder.mkdir(parents=True, exist_ok=True)
        db = self.folder
        ini = configure(_packaged_ini().read_text(), {
            "Database": {"DatabaseFile": db / "virtuoso.db", "ErrorLogFile": db / "virtuoso.log",
                         "LockFile": db / "virtuoso.lck", "TransactionFile": db / "virtuoso.trx",
                         "xa_persistent_file": db / "virtuoso.pxa"},
            "TempDatabase": {"DatabaseFile": db / "virtuoso-temp.db", "TransactionFile": db / "virtuoso-temp.trx"},
            "Parameters": {"ServerPort": f"127.0.0.1:{self.sql_port}", "DirsAllowed": f"., {db}",
                           "NumberOfBuffers": self.buffers, "MaxDirtyBuffers": self.buffers * 3 // 4},
            "HTTPServer": {"ServerPort": f"127.0.0.1:{self.http_port}", "ServerRoot": db},
            "SPARQL": {"ResultSetMaxRows": 100_000_000, "MaxQueryExecutionTime": self.query_limit,
                       "MaxQueryCostEstimationTime": 0, "MaxSortedTopRows": 100_000_000},
        })
        (db / "virtuoso.ini").write_text(ini)
        self.log = (db / "stdout.log").open("wb")
        self.process = subprocess.Popen([SERVER, "+configfile", str(db / "virtuoso.ini"), "+foreground"],
                                        cwd=db, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise VirtuosoUnavailable(f"virtuoso-t exited with {self.process.returncode}: "
                                          + (db / "stdout.log").read_text(errors="replace")[-2000:])
            try:
                if requests.get(self.sparql_url, params={"query": "ASK {}"}, timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.3)
        else:
            self.stop()
            raise VirtuosoUnavailable(f"Virtuoso did not answer on {self.sparql_url} within {timeout} s")
        self.isql('GRANT SPARQL_UPDATE TO "SPARQL";')
        return self

    def isql(self, statement: str) -> str:
        done = subprocess.run([ISQL, str(self.sql_port), "dba", "dba", f"exec={statement}"],
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0 or "Error" in done.stdout:
            raise VirtuosoUnavailable(f"isql {statement!r} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def rss_bytes(self) -> int:
        from benchmarks.measure import rss_of
        return rss_of(self.process.pid) if self.process else 0

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
