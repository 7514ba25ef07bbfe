"""Answering queries within a time limit that holds for every query.

Oxigraph cannot be interrupted from Python and a thread cannot be killed, so queries run in worker
processes (a pebble process pool): a query still running at the limit has its process killed and
replaced, and the other workers go on serving. The workers answer from memory: the fork server copies
the store's current generation (on_disk.py) into an in-memory store before it forks the first worker,
and every worker forked from it shares those pages; a worker that finds CURRENT naming another
generation copies that one for itself before it answers, so a write is seen by every query after it.

The worker also serialises the answer, so what crosses the process boundary is bytes. A result
larger than the row limit is refused (never silently truncated): the rows are first written as
TSV / N-Triples (one line per row or triple) through a writer that stops at the limit, then turned
into the requested format.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import CancelledError, TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from service.store import lifeline, negotiation
from service.store.oxigraph import GRAPH_FORMATS, RESULT_FORMATS, QueryResult
from service.store.syntax_errors import explain


@dataclass(frozen=True)
class QueryRequest:
    query: str
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    base_iri: str | None = None
    accept: str = ""
    format_name: str | None = None
    max_rows: int = 100_000
    max_bytes: int | None = None  # the answer's size in bytes, in its final format


@dataclass(frozen=True)
class Answer:
    status: int
    media_type: str
    body: bytes


class QueryAborted(Exception):
    """The query was stopped before it answered (503)."""


class QueryBusy(QueryAborted):
    """Every query slot is taken: refused at once rather than holding a request thread (503)."""


class QueryTimeout(QueryAborted):
    """The query ran past the limit; its worker process was killed."""


class _TooManyRows(Exception):
    pass


class _TooLarge(Exception):
    pass


class _LineLimitedWriter:
    """A file-like sink that refuses more than `limit` lines (rows) after the header lines."""

    def __init__(self, limit: int, header_lines: int, max_bytes: int | None = None):
        self.limit, self.lines, self.parts = limit + header_lines, 0, []
        self.max_bytes, self.size = max_bytes, 0

    def write(self, data) -> int:
        self.lines += bytes(data).count(b"\n")
        if self.lines > self.limit:
            raise _TooManyRows()
        self.size += len(data)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise _TooLarge()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def value(self) -> bytes:
        return b"".join(self.parts)


def _error(status: int, message: str) -> Answer:
    return Answer(status, "text/plain", (message.rstrip() + "\n").encode())


def answer(store, request: QueryRequest) -> Answer:
    """Evaluate, negotiate the format, enforce the row limit, serialise. Errors become 4xx answers."""
    try:
        result = store.query(request.query, default_graphs=request.default_graphs,
                             named_graphs=request.named_graphs, base_iri=request.base_iri)
    except SyntaxError as syntax:
        return _error(400, f"Malformed query: {explain(request.query, str(syntax))}")
    except (ValueError, RuntimeError, TypeError) as failure:  # e.g. an unknown function
        return _error(400, f"Query could not be evaluated: {failure}")
    graph = result.kind == "graph"
    offered = list(GRAPH_FORMATS if graph else RESULT_FORMATS)
    if result.kind == "boolean":
        offered = offered[:2]  # CSV and TSV have no boolean form
    accept = parse_accept_header(request.accept, MIMEAccept) if request.accept else MIMEAccept()
    media_type = negotiation.choose(offered, accept, request.format_name, graph)
    if media_type is None:
        return _error(406, f"None of the requested media types can be produced; offered: {', '.join(offered)}.")
    if result.kind == "boolean":
        return Answer(200, media_type, result.serialize(media_type))
    try:
        body = _serialise_limited(result, media_type, request.max_rows, request.max_bytes)
        if request.max_bytes is not None and len(body) > request.max_bytes:
            raise _TooLarge()
    except _TooLarge:
        return _error(422, f"The answer is larger than {request.max_bytes} bytes, this endpoint's limit "
                           "(ALLIANCE_KG_MAX_RESULT_BYTES): add LIMIT (and OFFSET to page through it), or select "
                           "fewer or shorter values.")
    except _TooManyRows:
        unit = "triples" if graph else "rows"
        return _error(422, f"The answer has more than {request.max_rows} {unit}, this endpoint's limit: "
                           f"add LIMIT (and OFFSET to page through it) or narrow the query.")
    except (ValueError, RuntimeError, TypeError) as failure:
        return _error(400, f"Query could not be evaluated: {failure}")
    return Answer(200, media_type, body)


def _serialise_limited(result: QueryResult, media_type: str, max_rows: int, max_bytes: int | None) -> bytes:
    raw = result._raw
    if result.kind == "graph":
        writer = _LineLimitedWriter(max_rows, 0, max_bytes)
        raw.serialize(writer, ox.RdfFormat.N_TRIPLES)
        lines = writer.value()
        if media_type == "application/n-triples":
            return lines
        return ox.serialize(ox.parse(lines, format=ox.RdfFormat.N_TRIPLES), format=GRAPH_FORMATS[media_type])
    writer = _LineLimitedWriter(max_rows, 1, max_bytes)
    raw.serialize(writer, ox.QueryResultsFormat.TSV)
    table = writer.value()
    if media_type == "text/tab-separated-values":
        return table
    return ox.parse_query_results(table, ox.QueryResultsFormat.TSV).serialize(format=RESULT_FORMATS[media_type])


class InProcessExecutor:
    """Answers in the calling thread: for stores that enforce their own limits (an external endpoint)."""

    def __init__(self, store):
        self.store = store

    def run(self, request: QueryRequest) -> Answer:
        return answer(self.store, request)

    def close(self) -> None:
        pass


# --- the worker side: the current generation copied into memory, reloaded when CURRENT names another
# (directory, generation name) -> the in-memory copy; the fork server fills it before it forks a worker
_worker_store: tuple[tuple[str, str], object] | None = None
STORE_VARIABLE = "ALLIANCEKG_PRELOAD_STORE"  # the store folder the fork server copies into memory


def load_generation(path: Path):
    """A generation copied into an in-memory store: Oxigraph answers from memory about three times as
    fast as from RocksDB. One thread only (`extend`, not the parallel bulk loader): the fork server
    forks right after, and a fork must not find a lock held by another thread."""
    from service.store.oxigraph import OxigraphStore
    on_disk = ox.Store.read_only(str(path))
    store = OxigraphStore()
    store._store.extend(on_disk.quads_for_pattern(None, None, None, None))
    for graph in on_disk.named_graphs():
        store._store.add_graph(graph)
    return store


def preload() -> None:
    """In the fork server, before its first fork: copy the current generation into memory, so that the
    workers forked from it share those pages (copy on write) and start with the graph in place.
    Anything wrong is left for the worker to meet and report on its first query."""
    global _worker_store
    from service.store.on_disk import current_generation
    directory = os.environ.get(STORE_VARIABLE)
    generation = current_generation(Path(directory)) if directory else None
    if generation is None:
        return
    try:
        _worker_store = ((directory, generation), _load_through_a_child(Path(directory) / generation))
    except Exception:  # noqa: BLE001 -- the fork server must come up whatever the store holds
        _worker_store = None


def _load_through_a_child(path: Path):
    """load_generation for the fork server, which must never open RocksDB itself: RocksDB starts
    background threads that stay, and a worker forked beside them hung on a lock at its first open
    of a later generation. A child reads the generation and sends it as N-Quads (then the names of
    the named graphs, which may be empty) through two pipes; the fork server stays one thread."""
    from service.store.oxigraph import OxigraphStore
    quads_read, quads_write = os.pipe()
    names_read, names_write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover -- the child, which ends here
        code = 1
        try:
            lifeline.die_with_parent(lifeline.fork_server_pid)
            os.close(quads_read)
            os.close(names_read)
            on_disk = ox.Store.read_only(str(path))
            with open(quads_write, "wb") as out:
                on_disk.dump(out, ox.RdfFormat.N_QUADS)
            with open(names_write, "w") as out:
                out.writelines(f"{graph.value}\n" for graph in on_disk.named_graphs() if isinstance(graph, ox.NamedNode))
            code = 0
        finally:
            os._exit(code)
    os.close(quads_write)
    os.close(names_write)
    store = OxigraphStore()
    try:
        with open(quads_read, "rb") as quads:
            store._store.load(quads, ox.RdfFormat.N_QUADS)
        with open(names_read) as names:
            for name in names:
                store._store.add_graph(ox.NamedNode(name.strip()))
    finally:
        _, status = os.waitpid(child, 0)
    if status != 0:
        raise OSError(f"reading the generation {path} failed (status {status})")
    return store


def _worker_answer(directory: str, request: QueryRequest) -> Answer:
    global _worker_store
    from service.store.on_disk import current_generation
    for attempt in range(2):
        generation = current_generation(Path(directory))
        if generation is None:
            return _error(503, "The store is not ready yet.")
        try:
            if _worker_store is None or _worker_store[0] != (directory, generation):
                _worker_store = None  # the old copy goes before the new one comes
                _worker_store = ((directory, generation), load_generation(Path(directory) / generation))
            return answer(_worker_store[1], request)
        except MemoryError:  # the cap below, met in Python code; in the engine it ends the process
            return _error(503, _over_memory_message(_memory_mb))
        except PermissionError as denied:  # the sandbox at work: the query tried to open a socket
            return _error(400, "Query refused: it tried to open a network connection, which this endpoint "
                               f"never does ({denied}).")
        except OSError as failure:
            if _worker_store is not None and current_generation(Path(directory)) == generation:
                # not the store (in memory, still current): a SERVICE endpoint that failed
                return _error(502, f"A SERVICE endpoint could not be queried: {failure}")
            _worker_store = None  # the generation went away while it was copied: read the next one
            if attempt:
                return _error(503, "The store could not be read; try again.")
    raise AssertionError("unreachable")


_memory_mb: int | None = None


def _over_memory_message(memory_mb: int | None) -> str:
    return (f"The query needed more than {memory_mb} MB, a query worker's memory cap "
            "(ALLIANCE_KG_WORKER_MEMORY_MB), and was stopped; narrow it (LIMIT, shorter values) and try again.")


def _worker_start(network: bool, memory_mb: int | None = None) -> None:
    """A worker's first acts: die with its parent (lifeline.py); cap its address space, so that one
    query cannot take the machine's memory (the engine aborts the process on a failed allocation);
    without an allowed SERVICE endpoint, give up the network (sandbox.py)."""
    global _memory_mb
    lifeline.in_worker()
    if memory_mb:
        import resource
        _memory_mb = memory_mb
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = memory_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    if not network:
        from service.store.sandbox import deny_network_in_this_thread
        deny_network_in_this_thread()


def _worker_ready(directory: str) -> int:
    _worker_answer(directory, QueryRequest("ASK {}"))
    return multiprocessing.current_process().pid


class ProcessExecutor:
    """A pool of killable worker processes answering from an in-memory copy of an on-disk store."""

    def __init__(self, directory: Path, workers: int = 2, timeout: float = 30.0, network: bool = False,
                 slots: int | None = None, memory_mb: int | None = None):
        import pebble
        # A request waiting here holds one of waitress's threads; were all of them waiting, /health and
        # every other route would queue behind the queries. Beyond `slots` a query is refused at once.
        self.slots = slots or workers * 4
        self._slots = threading.BoundedSemaphore(self.slots)
        self.directory, self.workers, self.timeout = str(directory), workers, timeout
        # Not fork: the server process holds threads and an open RocksDB store. A fork server is a
        # clean process started once with this module imported; each worker (and each replacement
        # for a killed one) is forked from it in milliseconds, where spawn takes a second or more.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["service.store.fork_server", __name__])
        os.environ[STORE_VARIABLE] = self.directory  # read by the fork server as it starts (fork_server.py)
        # started here, not by pebble's manager thread, so that the fork server's lifeline (which
        # follows the thread that started it) is this thread: the main thread in `alliance-kg serve`
        os.environ[lifeline.PARENT_VARIABLE] = str(os.getpid())
        from multiprocessing import forkserver
        forkserver.ensure_running()
        # the second wall against fetching: without an allowed SERVICE endpoint, no worker has a network
        self._pool = pebble.ProcessPool(max_workers=workers, context=context,
                                        initializer=_worker_start, initargs=(network, memory_mb))
        self.memory_mb = memory_mb
        self.timeouts = 0
        self._pending: set = set()
        # start the workers now, without waiting: the server listens at once, and a query that comes
        # before a worker is up waits for it (within its time limit). Starting the pool blocks until
        # the fork server forks, i.e. until it has copied the graph into memory: so in a thread.
        self._warming: list = []
        self._started = threading.Event()
        threading.Thread(target=self._start, name="query-workers-start", daemon=True).start()

    def _start(self) -> None:
        try:
            self._warming = [self._pool.schedule(_worker_ready, args=(self.directory,)) for _ in range(self.workers)]
        except RuntimeError:  # closed before it started
            pass
        finally:
            self._started.set()

    def wait_ready(self, timeout: float = 60) -> float:
        """Block until every worker has copied the store; the seconds waited."""
        started = time.perf_counter()
        if not self._started.wait(timeout):
            raise TimeoutError("the query workers did not start")
        for future in self._warming:
            future.result(timeout=timeout)
        return time.perf_counter() - started

    def run(self, request: QueryRequest) -> Answer:
        if not self._slots.acquire(blocking=False):
            raise QueryBusy(f"The server is answering {self.slots} queries, its limit; try again in a moment.")
        try:
            return self._run(request)
        finally:
            self._slots.release()

    def _run(self, request: QueryRequest) -> Answer:
        import pebble
        # pebble's own timeout counts from the moment a worker takes the task; the wait below also
        # bounds time spent queued behind other queries, so the limit holds for the whole request.
        began = time.monotonic()
        if not self._started.wait(self.timeout):
            self.timeouts += 1
            raise QueryTimeout(f"The query workers were still starting after {self.timeout:g} s, this endpoint's "
                               "limit for a query; try again in a moment.")
        future = self._pool.schedule(_worker_answer, args=(self.directory, request), timeout=self.timeout)
        self._pending.add(future)
        try:
            return future.result(timeout=max(0.0, self.timeout - (time.monotonic() - began)))
        except CancelledError:  # close() below
            raise QueryAborted("The server is stopping; try again in a moment.") from None
        except (FutureTimeout, TimeoutError):
            future.cancel()  # a running task's worker process is terminated and replaced
            self.timeouts += 1
            raise QueryTimeout(f"The query did not finish within {self.timeout:g} s, this endpoint's limit, "
                               "and was stopped. Narrow it (LIMIT, more specific patterns) and try again.") from None
        except pebble.ProcessExpired as expired:
            if self.memory_mb and expired.exitcode == -signal.SIGABRT:  # how the engine meets the cap
                raise QueryAborted(_over_memory_message(self.memory_mb)) from None
            raise QueryAborted("The process answering the query stopped (out of memory?); "
                               "narrow the query and try again.") from None
        finally:
            self._pending.discard(future)

    def close(self) -> None:
        # cancelled first: a request thread waiting on a query answers now, not at the time limit
        for future in list(self._pending):
            future.cancel()
        if not self._started.is_set():
            # still starting (the fork server copying the graph): stopping the pool would wait for it.
            # The fork server, its children and the workers die with this process (lifeline.py).
            return
        self._pool.stop()
        self._pool.join(timeout=10)
