"""One command, every engine side by side on the same synthetic graph and the same queries.

    python -m benchmarks.run --sizes 10k 100k 1M            # tables on stdout, JSON + Markdown in --workdir

Engines: `oxigraph` (pyoxigraph in this process: the limit), `rdflib` (rdflib's in-memory store and
engine: the baseline; each query capped, "> cap" when it is not done), `endpoint` (rdflib-endpoint
over HTTP, when installed), `service` (`alliance-kg serve` over HTTP on a loopback port, against
the generated data), `virtuoso` (this service's external-store backend in front of a throwaway
Virtuoso, when installed; off unless named). All answer over the same dataset: ontology, shipped
data, synthetic data and the entailments (rdflib and rdflib-endpoint get the union as N-Triples,
entailments included, so that they need no reasoner of their own).

Figures: load time, entailment time (service.reasoning.entailment.materialise), p50 and p99 of each query,
queries per second at 1, 4 and 16 concurrent clients, resident memory, and the ratios to pyoxigraph.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import ctypes
import gc
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests

from service.store import bulk_load, loader
from service.reasoning import entailment
from service.config import PROJECT_ROOT
from service.store.oxigraph import OxigraphStore

from benchmarks.generate import generate, parse_size
from benchmarks.measure import percentile, rss_of

QUERY_DIRS = [PROJECT_ROOT / "queries", Path(__file__).resolve().parent / "queries"]
ENGINES = ("oxigraph", "rdflib", "endpoint", "service")
JSON_RESULTS = "application/sparql-results+json"


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)
    capped: bool = False
    error: str | None = None
    rows: int | None = None

    @property
    def p50(self):
        return percentile(self.samples, 50) if self.samples else None

    @property
    def p99(self):
        return percentile(self.samples, 99) if self.samples else None


@dataclass
class EngineReport:
    name: str
    load_seconds: float | None = None
    entailment_seconds: float | None = None
    rss_mb: float | None = None
    queries: dict[str, Timing] = field(default_factory=dict)
    throughput: dict[int, float] = field(default_factory=dict)
    note: str = ""


def queries(only: str | None = None) -> dict[str, str]:
    """The queries/ suite and the heavier benchmarks/queries/, by name (those matching `only`, a regex)."""
    found = {}
    for folder in QUERY_DIRS:
        for path in sorted(folder.glob("*.rq")):
            if only is None or re.search(only, path.stem):
                found[path.stem] = path.read_text(encoding="utf-8")
    return found


# -- timing ---------------------------------------------------------------------------------------

def time_query(run, budget: float, repeat: int, cap: float | None = None) -> Timing:
    """One warm-up run, then up to `repeat` timed runs while the budget lasts (at least one)."""
    timing = Timing()
    try:
        started = time.perf_counter()
        timing.rows = run(cap)
        first = time.perf_counter() - started
        if cap is not None and first >= cap:
            timing.capped, timing.samples = True, [first]
            return timing
        if first > budget / 2:  # too slow to repeat: the warm-up is the one sample
            timing.samples = [first]
            return timing
        for _ in range(repeat):
            started = time.perf_counter()
            run(cap)
            timing.samples.append(time.perf_counter() - started)
            if sum(timing.samples) > budget:
                break
    except QueryCapped:
        timing.capped = True
        timing.samples = [cap]
    except Exception as error:  # noqa: BLE001 - a failing engine is a result, not a crash
        timing.error = f"{type(error).__name__}: {str(error)[:200]}"
    return timing


class QueryCapped(Exception):
    pass


def run_capped(function, cap: float):
    """Run pure-Python `function` in a thread; past `cap` seconds, raise QueryCapped inside it and here.

    rdflib evaluates in Python, so an asynchronous exception stops it at its next bytecode; no second
    process (and no second copy of a 1M-triple graph) is needed to give it a time limit."""
    outcome = {}

    def target():
        try:
            outcome["value"] = function()
        except BaseException as error:  # noqa: BLE001
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(cap)
    if thread.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(QueryCapped))
        thread.join(30)
        raise QueryCapped()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def throughput(run_one, texts: list[str], clients: int, seconds: float) -> float:
    """Queries answered per second by `clients` concurrent callers cycling through `texts` (0 if none)."""
    if not texts:
        return 0.0
    stop = time.perf_counter() + seconds
    counts = [0] * clients

    def client(i):
        n = i
        while time.perf_counter() < stop:
            run_one(texts[n % len(texts)])
            n += 1
            counts[i] += 1

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return sum(counts) / (time.perf_counter() - started)


# -- HTTP engines ---------------------------------------------------------------------------------

def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CLIENTS = ("http.client", "requests")


class HttpEngine:
    """A SPARQL endpoint in a child process (this service, or rdflib-endpoint), asked through one
    kept-alive connection per calling thread. `client`: the standard library's `http.client` (the default), or `requests`,
    which spends about 0.65 ms of its own on each request here (benchmarks/request_path.py): the
    client's time, not the endpoint's, but what a `requests` user waits."""

    def __init__(self, command: list[str], env: dict, ready_url: str, sparql_url: str, log: Path,
                 cwd: Path | None = None, client: str = "http.client"):
        if client not in CLIENTS:
            raise ValueError(f"client {client!r}: one of {', '.join(CLIENTS)}")
        self.command, self.env, self.ready_url, self.sparql_url, self.log = command, env, ready_url, sparql_url, log
        self.cwd, self.client = cwd, client
        self.session = requests.Session()
        self._local = threading.local()  # .connection: this thread's http.client connection
        self.process = None

    @classmethod
    def local(cls, port: int, command: list[str], env: dict | None, log: Path, **options) -> HttpEngine:
        """An endpoint shaped as this service (ready when /health answers, queried at /sparql) on 127.0.0.1:`port`."""
        base = f"http://127.0.0.1:{port}"
        return cls(command, env, f"{base}/health", f"{base}/sparql", log, **options)

    def start(self, timeout: float) -> float:
        """Seconds until the endpoint answers `ready_url`; if it does not (it exits, the time runs out, or
        the wait is interrupted), its process is stopped before the error is raised: none outlives a run."""
        started = time.perf_counter()
        self.process = subprocess.Popen(self.command, env=self.env, stdout=self.log.open("wb"),
                                        stderr=subprocess.STDOUT, cwd=self.cwd)
        try:
            while time.perf_counter() - started < timeout:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.command[0]} exited: {self.log.read_text(errors='replace')[-800:]}")
                try:
                    # /health counts the store, which an external store may take seconds to answer
                    if requests.get(self.ready_url, timeout=60).status_code < 500:
                        return time.perf_counter() - started
                except requests.RequestException:
                    time.sleep(0.2)
            raise RuntimeError(f"{self.command[0]} not ready within {timeout} s")
        except BaseException:
            self.stop()
            raise

    def query(self, text: str, cap: float | None = None, results: str = JSON_RESULTS) -> int:
        """The answer's size in bytes (solutions in the media type `results`); an HTTP error status raised
        as requests.HTTPError."""
        return len(self.answer(text, cap, results)[1])

    def answer(self, text: str, cap: float | None = None, results: str = JSON_RESULTS) -> tuple[str, bytes]:
        """The answer's media type and body, as `query` asks for it."""
        accept = f"{results}, {JSON_RESULTS};q=0.8, text/turtle;q=0.5"  # JSON for a boolean, which CSV has not
        if self.client == "requests":
            response = self.session.post(self.sparql_url, data={"query": text}, timeout=cap,
                                         headers={"Accept": accept})
            response.raise_for_status()
            return response.headers.get("Content-Type", ""), response.content
        address = urllib.parse.urlsplit(self.sparql_url)
        body = urllib.parse.urlencode({"query": text})
        headers = {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"}
        for attempt in (1, 2):
            connection = getattr(self._local, "connection", None)
            if connection is None:
                connection = self._local.connection = http.client.HTTPConnection(address.hostname, address.port)
            connection.timeout = cap
            if connection.sock is not None:
                connection.sock.settimeout(cap)
            try:
                connection.request("POST", address.path, body, headers)
                response = connection.getresponse()
                content = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                connection.close()  # the server closed the kept-alive connection: open another, once
                self._local.connection = None
                if attempt == 2:
                    raise
                continue
            except BaseException:
                connection.close()  # a timeout mid-answer leaves the connection unusable
                self._local.connection = None
                raise
            if response.status >= 400:
                raise requests.HTTPError(f"{response.status} {response.reason}: {content[:300]!r}")
            return response.getheader("Content-Type", ""), content
        raise AssertionError("unreachable")

    def rss_mb(self) -> float:
        return rss_of(self.process.pid) / 2**20

    def stop(self):
        if getattr(self._local, "connection", None) is not None:
            self._local.connection.close()
            self._local.connection = None
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# -- one size -------------------------------------------------------------------------------------

@dataclass
class Settings:
    engines: tuple[str, ...]
    repeat: int
    budget: float
    cap: float
    throughput_seconds: float
    clients: tuple[int, ...]
    workdir: Path
    seed: int
    owlrl: bool
    only: str | None = None


def bench_size(label: str, settings: Settings, out=print) -> dict:
    size = parse_size(label)
    folder = settings.workdir / label
    data_dir = folder / "data"
    if folder.exists():
        shutil.rmtree(folder)
    started = time.perf_counter()
    synthetic = generate(size, settings.seed, data_dir)
    out(f"\n== {label}: {synthetic} synthetic triples generated in {time.perf_counter() - started:.1f} s")
    texts = queries(settings.only)
    reports: dict[str, EngineReport] = {}

    # pyoxigraph in process: the limit -----------------------------------------------------------
    gc.collect()
    rss_before = rss_of()
    ox_report = EngineReport("oxigraph")
    started = time.perf_counter()
    files = loader.source_files(PROJECT_ROOT / "ontology", data_dir)
    store = OxigraphStore()
    bulk_load.stream_files(store, files)  # as knowledge_graph.build does: each file parsed by the engine
    ox_report.load_seconds = time.perf_counter() - started
    asserted = len(store)
    entailed = entailment.materialise(store)
    ox_report.entailment_seconds = entailed.seconds
    ox_report.rss_mb = (rss_of() - rss_before) / 2**20
    out(f"   oxigraph: {asserted} asserted + {entailed.triples} entailed triples; load {ox_report.load_seconds:.2f} s, "
        f"entailment {entailed.seconds:.2f} s, +{ox_report.rss_mb:.0f} MB")

    def ox_run(text):
        def run(_cap=None):
            result = store.query(text)
            if result.kind == "bindings":
                return sum(1 for _ in result.rows())
            if result.kind == "boolean":
                return int(bool(result))
            return sum(1 for _ in result.triples())
        return run

    for name, text in texts.items():
        ox_report.queries[name] = time_query(ox_run(text), settings.budget, settings.repeat)
    fast = [texts[n] for n, t in ox_report.queries.items() if t.p50 is not None and t.p50 < 0.05]
    for clients in settings.clients:
        ox_report.throughput[clients] = throughput(lambda q: ox_run(q)(), fast, clients, settings.throughput_seconds)
    reports["oxigraph"] = ox_report

    union_file = folder / "union.nt"
    union_file.write_bytes(store.dump("application/n-triples"))
    total_triples = sum(1 for _ in union_file.open("rb"))
    del store
    gc.collect()

    # rdflib in process: the baseline ---------------------------------------------------------------
    if "rdflib" in settings.engines:
        import rdflib
        rss_before = rss_of()
        report = EngineReport("rdflib", note=f"each query capped at {settings.cap:g} s")
        started = time.perf_counter()
        graph = rdflib.Graph()
        graph.parse(union_file, format="nt")
        report.load_seconds = time.perf_counter() - started
        report.rss_mb = (rss_of() - rss_before) / 2**20
        out(f"   rdflib: loaded in {report.load_seconds:.2f} s, +{report.rss_mb:.0f} MB")

        def rdflib_run(text):
            def run(cap=None):
                def evaluate():
                    result = graph.query(text)
                    return len(result) if result.type != "ASK" else int(bool(result.askAnswer))
                return run_capped(evaluate, cap) if cap else evaluate()
            return run

        for name, text in texts.items():
            report.queries[name] = time_query(rdflib_run(text), settings.budget, settings.repeat, settings.cap)
        rdflib_fast = [texts[n] for n, t in report.queries.items()
                       if t.p50 is not None and t.p50 < 1 and texts[n] in fast]
        for clients in settings.clients:
            if rdflib_fast:
                report.throughput[clients] = throughput(lambda q: rdflib_run(q)(), rdflib_fast, clients,
                                                        settings.throughput_seconds)
        reports["rdflib"] = report
        del graph
        gc.collect()

    # HTTP engines ------------------------------------------------------------------------------------
    def bench_http(name: str, make, note: str = "") -> None:
        engine = make()
        report = EngineReport(name, note=note)
        try:
            report.load_seconds = engine.start(timeout=1800)
            report.rss_mb = engine.rss_mb()
            out(f"   {name}: ready in {report.load_seconds:.2f} s, {report.rss_mb:.0f} MB")
            for qname, text in texts.items():
                timing = time_query(lambda cap=None, t=text: engine.query(t, cap), settings.budget, settings.repeat,
                                    settings.cap)
                if timing.error and "timed out" in timing.error.lower():
                    timing.capped, timing.error = True, None
                report.queries[qname] = timing
                if timing.capped and name == "endpoint":  # it stays busy with the abandoned query
                    engine.stop()
                    engine = make()
                    engine.start(timeout=1800)
            fast_http = [texts[n] for n, t in report.queries.items() if t.p50 is not None and t.p50 < 0.05
                         and ox_report.queries[n].p50 is not None and ox_report.queries[n].p50 < 0.05]
            for clients in settings.clients:
                if fast_http:
                    report.throughput[clients] = throughput(engine.query, fast_http, clients,
                                                            settings.throughput_seconds)
            report.rss_mb = max(report.rss_mb, engine.rss_mb())
        except Exception as error:  # noqa: BLE001
            report.note = f"failed: {error}"
            out(f"   {name}: {report.note}")
        finally:
            engine.stop()
        reports[name] = report

    bin_dir = Path(sys.executable).parent
    # request threads for the most clients, as benchmarks.throughput sets them: with the default 8, a query
    # beyond the 6 slots is refused (503), and the service's run at 16 clients failed
    service_env = dict(os.environ, ALLIANCE_KG_DATA_DIR=str(data_dir),
                       ALLIANCE_KG_ONTOLOGY_DIR=str(PROJECT_ROOT / "ontology"),
                       ALLIANCE_KG_THREADS=str(max(settings.clients) + 4))
    if "service" in settings.engines:
        def make_service():
            port = free_port()
            return HttpEngine.local(port, [str(bin_dir / "alliance-kg"), "serve", "--port", str(port)], service_env,
                                    folder / "service.log")
        bench_http("service", make_service, "alliance-kg serve (waitress), start-up includes entailment")

    if "endpoint" in settings.engines:
        if shutil.which("rdflib-endpoint", path=str(bin_dir)) is None:
            reports["endpoint"] = EngineReport("endpoint", note="not installed (pip install 'rdflib-endpoint[cli]')")
        else:
            def make_endpoint():
                port = free_port()
                return HttpEngine([str(bin_dir / "rdflib-endpoint"), "serve", str(union_file), "--host", "127.0.0.1",
                                   "--port", str(port)], dict(os.environ),
                                  f"http://127.0.0.1:{port}/?query=ASK%7B%7D",
                                  f"http://127.0.0.1:{port}/", folder / "endpoint.log")
            bench_http("endpoint", make_endpoint, f"rdflib-endpoint over the union N-Triples; "
                                                   f"capped at {settings.cap:g} s, restarted after a capped query")

    if "virtuoso" in settings.engines:
        from benchmarks.virtuoso import Virtuoso, VirtuosoUnavailable
        if not Virtuoso.available():
            reports["virtuoso"] = EngineReport("virtuoso", note="not installed (apt-get install virtuoso-opensource)")
        else:
            virtuoso = Virtuoso(folder / "virtuoso", buffers=200_000).start()
            try:
                def make_virtuoso_service():
                    port = free_port()
                    env = dict(service_env, ALLIANCE_KG_STORE_BACKEND="sparql",
                               ALLIANCE_KG_STORE_QUERY_URL=virtuoso.sparql_url)
                    return HttpEngine.local(port, [str(bin_dir / "alliance-kg"), "serve", "--port", str(port)], env,
                                            folder / "service-virtuoso.log")
                bench_http("virtuoso", make_virtuoso_service,
                           "alliance-kg serve with STORE_BACKEND=sparql in front of Virtuoso 7.2")
                reports["virtuoso"].note += f"; Virtuoso RSS {virtuoso.rss_bytes() / 2**20:.0f} MB"
            except VirtuosoUnavailable as error:
                reports["virtuoso"] = EngineReport("virtuoso", note=f"failed: {error}")
            finally:
                virtuoso.stop()

    result = {"size": label, "synthetic_triples": synthetic, "asserted_triples": asserted,
              "entailed_triples": entailed.triples, "total_triples": total_triples,
              "engines": {name: _as_dict(r) for name, r in reports.items()}}
    if settings.owlrl:
        result["owlrl"] = bench_owlrl(folder, settings.cap * 4, out)
    return result


def bench_owlrl(folder: Path, cap: float, out) -> dict:
    """owlrl's OWL-RL closure over the asserted triples (no entailments), for the ratio with ours."""
    import owlrl
    import rdflib
    graph = rdflib.Graph()
    store = OxigraphStore()
    bulk_load.stream_files(store, loader.source_files(PROJECT_ROOT / "ontology", folder / "data"))
    graph.parse(data=store.dump("application/n-triples").decode(), format="nt")
    size = len(graph)
    started = time.perf_counter()
    try:
        run_capped(lambda: owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph), cap)
        seconds, capped = time.perf_counter() - started, False
    except QueryCapped:
        seconds, capped = cap, True
    out(f"   owlrl OWL-RL closure of {size} triples: {'> ' if capped else ''}{seconds:.1f} s")
    return {"triples": size, "seconds": seconds, "capped": capped}


def _as_dict(report: EngineReport) -> dict:
    body = asdict(report)
    body["queries"] = {n: {"p50": t.p50, "p99": t.p99, "runs": len(t.samples), "capped": t.capped, "error": t.error,
                           "rows": t.rows} for n, t in report.queries.items()}
    return body


# -- reporting ------------------------------------------------------------------------------------

def _ms(value, capped=False, cap=None):
    if capped:
        return f"> {cap:g} s"
    if value is None:
        return "-"
    return f"{value * 1000:.1f}" if value < 10 else f"{value:.1f} s"


def markdown(result: dict, cap: float) -> str:
    engines = result["engines"]
    names = [n for n in ("oxigraph", "service", "virtuoso", "rdflib", "endpoint") if n in engines]
    lines = [f"### {result['size']} synthetic triples ({result['total_triples']:,} in all with the shipped "
             f"graph and {result['entailed_triples']:,} entailed)", "",
             "| engine | load (s) | entailment (s) | RSS (MB) | " + " | ".join(
                 f"q/s at {c}" for c in sorted({c for n in names for c in engines[n]['throughput']}, key=int)) + " | note |",
             ]
    clients = sorted({int(c) for n in names for c in engines[n]["throughput"]})
    lines.append("|" + "---|" * (5 + len(clients)))
    for n in names:
        e = engines[n]
        tp = [f"{e['throughput'].get(c, e['throughput'].get(str(c), 0)):.0f}" if (c in e["throughput"] or str(c) in e["throughput"]) else "-"
              for c in clients]
        lines.append(f"| {n} | {_num(e['load_seconds'])} | {_num(e['entailment_seconds'])} | {_num(e['rss_mb'], 0)} | "
                     + " | ".join(tp) + f" | {e['note']} |")
    lines += ["", "p50 / p99 in ms (s where marked); ratio = service p50 / oxigraph p50; target: service p50 ≤ "
              "1.5 × oxigraph + 5 ms", "",
              "| query | " + " | ".join(names) + " | ratio | target |", "|---|" + "---|" * (len(names) + 2)]
    ox_q = engines["oxigraph"]["queries"]
    for q in ox_q:
        cells = []
        for n in names:
            t = engines[n]["queries"].get(q)
            if t is None:
                cells.append("-")
            elif t["error"]:
                cells.append("error")
            elif t["capped"]:
                cells.append(f"> {cap:g} s")
            else:
                cells.append(f"{_ms(t['p50'])} / {_ms(t['p99'])}")
        raw, http = ox_q[q]["p50"], engines.get("service", {}).get("queries", {}).get(q, {}).get("p50")
        ratio = f"{http / raw:.1f}" if raw and http else "-"
        met = "yes" if raw is not None and http is not None and http <= 1.5 * raw + 0.005 else ("no" if http else "-")
        lines.append(f"| {q} | " + " | ".join(cells) + f" | {ratio} | {met} |")
    if "owlrl" in result:
        o = result["owlrl"]
        ours = engines["oxigraph"]["entailment_seconds"]
        lines += ["", f"Entailment: ours {ours:.2f} s; owlrl OWL-RL closure of {o['triples']:,} triples "
                      f"{'> ' if o['capped'] else ''}{o['seconds']:.1f} s (ratio {o['seconds'] / ours:.0f}x)."]
    return "\n".join(lines) + "\n"


def _num(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark pyoxigraph, rdflib, rdflib-endpoint and this service.")
    parser.add_argument("--sizes", nargs="+", default=["10k", "100k", "1M"])
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES + ("virtuoso",))
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query after the warm-up")
    parser.add_argument("--budget", type=float, default=5.0, help="seconds of timed runs per query and engine")
    parser.add_argument("--cap", type=float, default=30.0, help="per-query limit for rdflib and HTTP engines")
    parser.add_argument("--throughput-seconds", type=float, default=5.0)
    parser.add_argument("--clients", nargs="+", type=int, default=[1, 4, 16])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/alliance-kg-bench"))
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--owlrl", action="store_true", help="also time owlrl's OWL-RL closure (slow: 100k at most)")
    parser.add_argument("--queries", dest="only", help="only the queries whose name matches this regex")
    args = parser.parse_args(argv)
    settings = Settings(tuple(args.engines), args.repeat, args.budget, args.cap, args.throughput_seconds,
                        tuple(args.clients), args.workdir, args.seed, args.owlrl, args.only)
    args.workdir.mkdir(parents=True, exist_ok=True)
    for label in args.sizes:
        result = bench_size(label, settings)
        (args.workdir / f"results-{label}.json").write_text(json.dumps(result, indent=1))
        table = markdown(result, args.cap)
        (args.workdir / f"results-{label}.md").write_text(table)
        print(table, flush=True)


if __name__ == "__main__":
    main()
