"""Answering queries within a time limit that holds for every query.

Oxigraph cannot be interrupted from Python and a thread cannot be killed, so queries run in worker
processes, each kept and fed through a pipe of its own (ProcessExecutor): a query still running at the
limit has its process killed and replaced, and the other workers go on serving. The workers answer from
memory: the fork server copies the store's current generation (on_disk.py) into an in-memory store
before it forks the first worker, and every worker forked from it shares those pages; a worker that
finds CURRENT naming another generation copies that one for itself before it answers, so a write is seen
by every query after it.

The worker also serialises the answer (answers.py), so what crosses the process boundary is bytes: a
small answer in one message, a large one (answers.Streamed) in parts, which the request thread hands
on to the response as they come (_Stream): neither process holds it whole. The worker stays the
request's until the last part is read; a stream closed before (the client gone) or still running at
the time limit has its worker killed, like a query that overruns.
"""
from __future__ import annotations

import ctypes
import dataclasses
import multiprocessing
import os
import queue
import signal
import sys
import tempfile
import threading
import time
from multiprocessing import reduction
from pathlib import Path

import pyoxigraph as ox

from service.store import lifeline
from service.store.answers import Answer, QueryRequest, Streamed, answer, error as _error
from service.store.errors import QueryAborted, QueryBusy, QueryTimeout, over_memory_message, why_it_died

__all__ = ["Answer", "QueryRequest", "answer", "InProcessExecutor", "ProcessExecutor", "QueryAborted"]


class InProcessExecutor:
    """Answers in the calling thread: for stores that enforce their own limits (an external endpoint)."""

    def __init__(self, store):
        self.store = store

    def run(self, request: QueryRequest) -> Answer:
        return answer(self.store, dataclasses.replace(request, stream_above=None))

    def close(self) -> None:
        pass


# --- the worker side: the current generation copied into memory, reloaded when CURRENT names another
# (directory, generation name) -> the in-memory copy; the fork server fills it before it forks a worker
_worker_store: tuple[tuple[str, str], object] | None = None
STORE_VARIABLE = "ALLIANCEKG_PRELOAD_STORE"  # the store folder the fork server copies into memory


def load_generation(path: Path):
    """A generation copied into an in-memory store: Oxigraph answers from memory about three times as
    fast as from RocksDB. From its QUADS file (on_disk.py) where it has one, else from RocksDB (ten
    times slower). One thread only (`extend`, not the parallel bulk loader): the fork server forks
    right after, and a fork must not find a lock held by another thread."""
    from service.store.on_disk import QUADS, read_quads
    from service.store.oxigraph import OxigraphStore
    try:
        return _in_memory(read_quads(path / QUADS))
    except FileNotFoundError:
        pass
    store = OxigraphStore()
    on_disk = ox.Store.read_only(str(path))
    store._store.extend(on_disk.quads_for_pattern(None, None, None, None))
    for graph in on_disk.named_graphs():
        store._store.add_graph(graph)
    return store


SNAPSHOT_VARIABLE = "ALLIANCEKG_PRELOAD_SNAPSHOT"  # the QUADS file of the generation the first start commits


def preload() -> None:
    """In the fork server, before its first fork: copy the current generation into memory, so that the
    workers forked from it share those pages (copy on write) and start with the graph in place.
    Anything wrong is left for the worker to meet and report on its first query."""
    global _worker_store
    from service.store.on_disk import current_generation, read_quads
    directory = os.environ.get(STORE_VARIABLE)
    snapshot = os.environ.get(SNAPSHOT_VARIABLE)
    try:
        if directory and snapshot:  # the first start: the generation the server is committing (PersistentStore.prepare)
            while not Path(snapshot).exists():  # the server is building the graph (the file appears whole)
                time.sleep(0.01)
            _worker_store = ((directory, Path(snapshot).parent.name), _in_memory(read_quads(Path(snapshot))))
            return
        generation = current_generation(Path(directory)) if directory else None
        if generation is not None:
            _worker_store = ((directory, generation), _load_through_a_child(Path(directory) / generation))
    except Exception:  # noqa: BLE001 -- the fork server must come up whatever the store holds
        _worker_store = None


def _load_through_a_child(path: Path):
    """load_generation for the fork server, which must never open RocksDB itself: RocksDB starts
    background threads that stay, and a worker forked beside them hung on a lock at its first open
    of a later generation. A generation without its QUADS file (made by a write) gets one first, from
    a child that reads RocksDB: the next start reads the file, ten times as fast."""
    from service.store.on_disk import QUADS, read_quads, write_quads
    if not (path / QUADS).exists():
        child = os.fork()
        if child == 0:  # pragma: no cover -- the child, which ends here
            code = 1
            try:
                lifeline.die_with_parent(lifeline.fork_server_pid)
                on_disk = ox.Store.read_only(str(path))
                graphs = [graph.value for graph in on_disk.named_graphs() if isinstance(graph, ox.NamedNode)]
                write_quads(path / QUADS, graphs, lambda out: on_disk.dump(out, ox.RdfFormat.N_QUADS))
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(child, 0)
        if status != 0:
            raise OSError(f"reading the generation {path} failed (status {status})")
    return _in_memory(read_quads(path / QUADS))


def _in_memory(raw: ox.Store):
    from service.store.oxigraph import OxigraphStore
    store = OxigraphStore()
    store._store = raw
    return store


def _holds_the_first_generation(directory: str) -> bool:
    """Whether this worker's copy is of the store `directory`, which has no current generation yet: then
    the copy is the first generation, which the server is writing to disk (preload's snapshot)."""
    return _worker_store is not None and _worker_store[0][0] == directory


def _worker_answer(directory: str, request: QueryRequest) -> Answer | Streamed:
    global _worker_store
    from service.store.on_disk import current_generation
    for attempt in range(2):
        generation = current_generation(Path(directory))
        while generation is None and not _holds_the_first_generation(directory):
            # a first start whose generation this worker has no copy of (its fork server was started for
            # another store): until the server has written it, within the query's time limit
            time.sleep(0.02)
            generation = current_generation(Path(directory))
        generation = generation or _worker_store[0][1]
        try:
            if _worker_store is None or _worker_store[0] != (directory, generation):
                _worker_store = None  # the old copy goes before the new one comes
                _worker_store = ((directory, generation), load_generation(Path(directory) / generation))
            if _memory_mb and not _capped:
                _cap_memory()
            return answer(_worker_store[1], request)
        except MemoryError:  # the cap below, met in Python code; in the engine it ends the process
            return _error(503, over_memory_message(_memory_mb))
        except PermissionError as denied:  # the sandbox at work: the query tried to open a socket
            return _error(400, "Query refused: it tried to open a network connection, which this endpoint "
                               f"never does ({denied}).")
        except OSError as failure:
            if _worker_store is not None and (current_generation(Path(directory)) or generation) == generation:
                # not the store (in memory, still current): a SERVICE endpoint that failed
                return _error(502, f"A SERVICE endpoint could not be queried: {failure}")
            _worker_store = None  # the generation went away while it was copied: read the next one
            if attempt:
                return _error(503, "The store could not be read; try again.")
    raise AssertionError("unreachable")


_memory_mb: int | None = None  # the cap on what a query adds to the worker's address space
_capped = False


def _worker_start(network: bool, memory_mb: int | None = None) -> None:
    """A worker's first acts: die with its parent (lifeline.py); keep freed memory; ready its memory
    cap (`_cap_memory`, set once its copy of the graph is in place); without an allowed SERVICE
    endpoint, give up the network (sandbox.py)."""
    global _memory_mb
    lifeline.in_worker()
    libc = ctypes.CDLL(None)
    # glibc hands what a query frees back to the kernel, and the next query's pages are zeroed anew: at 1M
    # a 250 ms query took 450-770 ms after larger ones, half of it clearing pages. Keep up to 256 MB of
    # it, and take blocks of up to 32 MB from it rather than from mmap.
    libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
    libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
    if memory_mb:
        _memory_mb = memory_mb
        # glibc gives each new thread its own malloc arena, 64 MB of address space each: the engine's
        # threads opening a generation would spend the cap on reservations, then fail to start one
        # more thread, which aborts the process. Two arenas cost little speed in a one-query process.
        libc.mallopt(-8, 2)  # M_ARENA_MAX
    if not network:
        from service.store.sandbox import deny_network_in_this_thread
        deny_network_in_this_thread()


def _cap_memory() -> None:
    """Cap what a query can add to the worker's address space, so that one query cannot take the
    machine's memory (the engine aborts the process on a failed allocation). The cap is set over the
    worker's size once its copy of the graph is in place: that copy is shared with the fork server
    and every other worker (550-600 MB at 1M triples), and counting it would leave a query the less
    room the larger the graph, and none at all beyond a few million triples."""
    global _capped
    import resource
    with open("/proc/self/statm") as statm:
        size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = size + (_memory_mb << 20)
    _capped = True
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))


# Oxigraph's reads write into the store's pages (copy on write from the fork server: about 400 MB at 1M
# triples, 0.3-0.6 s on a worker's first query); a replacement does that before it takes a query, with
# a scan of every graph. The first workers do not, which would double the start-up's memory peak.
WARM_UP = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _worker_main(connection, directory: str, network: bool, memory_mb: int | None, warm_up: bool) -> None:
    """A worker's life: copy the current generation (in the fork server's copy, nothing to do), say
    so, then answer each request sent through its own pipe until the server closes it or kills it.
    SIGINT is the server's to act on (ctrl-c reaches the whole process group): the worker goes when
    the server kills it, or with the fork server (lifeline.py)."""
    from service.store.on_disk import current_generation
    _worker_start(network, memory_mb)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _holds_the_first_generation(directory) or current_generation(Path(directory)) is not None:
        _worker_answer(directory, QueryRequest(WARM_UP if warm_up else "ASK {}"))  # the first is the slowest
    # The engine's last words before it aborts the process (a failed allocation, a panic) go to the
    # standard error: into a file without a name, whose handle the server keeps, to say which it was.
    last_words = tempfile.TemporaryFile(prefix="alliance-kg-worker-")
    os.dup2(last_words.fileno(), 2)
    reduction.send_handle(connection, last_words.fileno(), os.getppid())
    connection.send(os.getpid())
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        try:
            result = _worker_answer(directory, request)
        except Exception as failure:  # noqa: BLE001 -- answered, so that the worker serves on
            result = _error(500, f"The query could not be answered: {type(failure).__name__}")
        if isinstance(result, Streamed):
            _send_parts(connection, result)
        else:
            connection.send(result)


def _send_parts(connection, streamed: Streamed) -> None:
    """A streamed answer through the pipe: its header (an Answer whose body is None), the parts, an empty
    part, then what went wrong on the way (None if nothing did). A stream the server stops reading has
    this worker killed, so the pipe never holds the rest of an answer when the next request comes."""
    connection.send(Answer(200, streamed.media_type, None))
    failure = None
    try:
        streamed.write(connection.send_bytes)
    except MemoryError:
        failure = over_memory_message(_memory_mb)
    except Exception as stopped:  # noqa: BLE001 -- over a limit the second time (RAND(), NOW()), or the engine
        failure = f"The answer was stopped part way: {type(stopped).__name__} {stopped}".rstrip()
    connection.send_bytes(b"")
    connection.send(failure)


class _Worker:
    """A live worker process, the server's end of its pipe, and the file its standard error goes to."""

    def __init__(self, process, connection):
        self.process, self.connection = process, connection
        self.last_words = None

    def read_last_words(self) -> str:
        """What the worker wrote to its standard error (the end of it), passed on to the server's."""
        if self.last_words is None:
            return ""
        try:
            size = os.fstat(self.last_words.fileno()).st_size
            words = os.pread(self.last_words.fileno(), 16384, max(0, size - 16384)).decode(errors="replace")
        except (OSError, ValueError):
            return ""
        if words:
            sys.stderr.write(words)
        return words

    def kill(self) -> None:
        """SIGKILL: the worker holds only a read-only copy of the graph, so nothing is lost, and a
        query in Oxigraph's Rust code stops at once (it would never see a Python signal handler)."""
        try:
            self.process.kill()
        except (OSError, ValueError, AttributeError):
            pass
        self.connection.close()
        if self.last_words is not None:
            self.last_words.close()


# the fork server the last call of start_fork_server started to wait for its `snapshot`: only that one
# may be stopped (an earlier one serves the workers of another executor of this process)
_waiting_for_snapshot: int | None = None


def start_fork_server(directory: Path, snapshot: Path | None = None):
    """The query workers' fork server for the store in `directory`, started unless it runs already (in
    a process, one fork server serves every executor); its multiprocessing context. `snapshot`: the
    QUADS file of the generation about to be committed (PersistentStore.prepare), for the first start of
    a store: the fork server copies it, once it is there, instead of waiting for the generation to be
    written. Started by the thread that will build the executor: the fork server's lifeline follows the
    thread that started it (the main thread in `alliance-kg serve`)."""
    # Not fork: the server process holds threads and an open RocksDB store. A fork server is a clean
    # process started once with this module imported; each worker (and each replacement for a killed
    # one) is forked from it in milliseconds, where spawn takes a second or more.
    global _waiting_for_snapshot
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["service.store.fork_server", __name__])
    os.environ[STORE_VARIABLE] = str(directory)  # read by the fork server as it starts (fork_server.py)
    os.environ.pop(SNAPSHOT_VARIABLE, None)
    if snapshot:
        os.environ[SNAPSHOT_VARIABLE] = str(snapshot)
    os.environ[lifeline.PARENT_VARIABLE] = str(os.getpid())
    from multiprocessing import forkserver

    from service.store import temporary
    temporary.for_multiprocessing()  # where the fork server listens: removed even after a SIGKILL
    running = forkserver._forkserver._forkserver_pid  # noqa: SLF001 -- multiprocessing has no public way
    try:
        forkserver.ensure_running()
    finally:
        os.environ.pop(SNAPSHOT_VARIABLE, None)  # for this fork server only
    started = forkserver._forkserver._forkserver_pid  # noqa: SLF001
    _waiting_for_snapshot = started if snapshot and started != running else None
    return context


def stop_fork_server_waiting_for_snapshot() -> None:
    """The first start's graph could not be built, so its QUADS file will never appear: stop the fork
    server started to wait for it. Left waiting, it would hold a process until this one ends, and every
    executor made later in this process (a library caller trying again, a test) would get no worker.
    multiprocessing starts a new fork server when next asked."""
    global _waiting_for_snapshot
    from multiprocessing import forkserver
    server = forkserver._forkserver  # noqa: SLF001 -- multiprocessing has no public way to stop it
    if _waiting_for_snapshot is None or server._forkserver_pid != _waiting_for_snapshot:  # noqa: SLF001
        return
    _waiting_for_snapshot = None
    try:
        os.kill(server._forkserver_pid, signal.SIGKILL)  # noqa: SLF001 -- it polls for the file in its preload
    except ProcessLookupError:
        pass
    try:
        server._stop()  # noqa: SLF001 -- reaps it, forgets its address: the next ensure_running starts anew
    except OSError:  # its socket file already gone with the temporary folder: what failed the start matters
        server._forkserver_address = None  # noqa: SLF001


class ProcessExecutor:
    """Killable worker processes answering from an in-memory copy of an on-disk store.

    Each worker is forked from the fork server once and kept: it serves one request at a time over
    its own pipe, the request thread writing the query and reading the answer itself (no manager
    thread in between: each hand-over between threads costs a scheduling delay on a busy machine).
    A worker still working at the time limit is killed, and a replacement forked in the background."""

    def __init__(self, directory: Path, workers: int = 2, timeout: float = 30.0, network: bool = False,
                 slots: int | None = None, memory_mb: int | None = None, snapshot: Path | None = None):
        """`snapshot`: as for start_fork_server (read only if this call starts the fork server)."""
        # A request waiting here holds one of waitress's threads; were all of them waiting, /health and
        # every other route would queue behind the queries. Beyond `slots` a query is refused at once.
        self.slots = slots or workers * 4
        self._slots = threading.BoundedSemaphore(self.slots)
        self.directory, self.workers, self.timeout = str(directory), workers, timeout
        self.network, self.memory_mb = network, memory_mb
        self._context = start_fork_server(directory, snapshot)
        self.timeouts = 0
        self._idle: queue.LifoQueue = queue.LifoQueue()  # the most recently used worker first: its caches are warm
        self._live: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closing = False
        self._ready = threading.Event()  # every first worker is up
        self._any_ready = False
        self._first_ready = threading.Event()  # one worker is up
        # start the workers now, without waiting: the server listens at once, and a query that comes
        # before a worker is up waits for one (within its time limit). A fork waits for the fork server
        # to copy the graph into memory: so in a thread.
        threading.Thread(target=self._start_all, name="query-workers-start", daemon=True).start()

    def _start_all(self) -> None:
        try:
            for _ in range(self.workers):
                self._add_worker()
        finally:
            self._first_ready.set()
            self._ready.set()

    def _add_worker(self, warm_up: bool = False) -> None:
        """Fork a worker and hand it to the idle queue once it has its copy of the graph; retried while
        the executor is open (a fork can fail when the machine is short of memory). `warm_up`: WARM_UP."""
        while not self._closing:
            ours, theirs = self._context.Pipe()
            process = self._context.Process(target=_worker_main, name="alliance-kg-query-worker", daemon=True,
                                            args=(theirs, self.directory, self.network, self.memory_mb, warm_up))
            worker = _Worker(process, ours)
            try:
                with self._lock:
                    if self._closing:
                        return
                    process.start()
                    self._live.add(worker)
                theirs.close()
                worker.last_words = os.fdopen(reduction.recv_handle(ours), "rb")
                ours.recv()  # the worker's pid, sent once its copy of the graph is in place
            except (OSError, EOFError, ValueError, RuntimeError):  # RuntimeError: no handle came
                self._drop(worker)
                time.sleep(1)
                continue
            with self._lock:
                if self._closing:
                    return
                self._any_ready = True
                self._idle.put(worker)
            self._first_ready.set()
            return

    def _drop(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._live.discard(worker)
        worker.process.join(5) if worker.process.pid is not None else None

    def _replace(self, worker: _Worker) -> None:
        """Kill the worker now; in the background, reap it and fork its replacement."""
        worker.kill()

        def replace():
            self._drop(worker)
            self._add_worker(warm_up=True)
        threading.Thread(target=replace, name="query-worker-replace", daemon=True).start()

    def wait_ready(self, timeout: float = 60) -> float:
        """Block until every worker has its copy of the store; the seconds waited."""
        started = time.perf_counter()
        if not self._ready.wait(timeout):
            raise TimeoutError("the query workers did not start")
        return time.perf_counter() - started

    def wait_first(self, timeout: float = 60) -> bool:
        """Block until a worker can answer (or the executor gave up starting them); False after `timeout`."""
        return self._first_ready.wait(timeout)

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [worker.process.pid for worker in self._live if worker.process.pid is not None]

    def run(self, request: QueryRequest) -> Answer:
        if not self._slots.acquire(blocking=False):
            raise QueryBusy(f"The server is answering {self.slots} queries, its limit; try again in a moment.")
        try:
            result = self._run(request)
        except BaseException:
            self._slots.release()
            raise
        if not isinstance(result.body, _Stream):
            self._slots.release()
        return result  # a stream releases the slot, and its worker, when it ends

    def _over_time(self) -> QueryTimeout:
        self.timeouts += 1
        if not self._any_ready:
            return QueryTimeout(f"The query workers were still starting after {self.timeout:g} s, this endpoint's "
                                "limit for a query; try again in a moment.")
        return QueryTimeout(f"The query did not finish within {self.timeout:g} s, this endpoint's limit, "
                            "and was stopped. Narrow it (LIMIT, more specific patterns) and try again.")

    def _run(self, request: QueryRequest) -> Answer:
        # the limit counts from the request's arrival: time spent waiting for a free worker is in it
        deadline = time.monotonic() + self.timeout
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise self._over_time() from None
        if worker is None:  # close() below: pass the word on to the next waiting request
            self._idle.put(None)
            raise QueryAborted("The server is stopping; try again in a moment.")
        try:
            worker.connection.send(request)
            if not worker.connection.poll(max(0.0, deadline - time.monotonic())):
                self._replace(worker)
                raise self._over_time()
            result = worker.connection.recv()
        except (EOFError, OSError):  # the worker died under the query (or close() killed it)
            raise self._died(worker) from None
        if result.body is None:  # the parts follow
            return Answer(result.status, result.media_type, _Stream(self, worker, deadline))
        self._idle.put(worker)
        return result

    def _died(self, worker: _Worker) -> QueryAborted:
        if self._closing:
            return QueryAborted("The server is stopping; try again in a moment.")
        worker.process.join(1)
        exitcode, last_words = worker.process.exitcode, worker.read_last_words()
        self._replace(worker)
        return why_it_died(exitcode, last_words, self.memory_mb)

    def close(self) -> None:
        """Kill every worker: a request thread waiting on one answers now (503), not at the time limit.
        A fork still under way when this runs is killed as it comes up; the fork server, and with it
        anything forked from it, dies with this process (lifeline.py)."""
        with self._lock:
            self._closing = True
            workers = list(self._live)
            self._live.clear()
        for worker in workers:
            worker.kill()
        self._idle.put(None)
        for worker in workers:
            worker.process.join(5)


class _Stream:
    """The parts of a streamed answer as they come through its worker's pipe, for the response to send
    on one by one. The worker and the query slot are the stream's until the last part is read. Closed
    before that (a client gone mid-answer), or at the time limit (a timer: the request thread may be
    blocked on a slow client, not reading), the stream has its worker killed, which frees the CPU at
    once. A failure after the first part (the limit, a worker gone) is raised from the iteration: the
    response is then cut short, never completed (HTTP: the last chunk missing)."""

    def __init__(self, executor: ProcessExecutor, worker: _Worker, deadline: float):
        self._executor, self._worker, self._deadline = executor, worker, deadline
        self._lock = threading.Lock()
        self._expired = False
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        worker = self._worker
        if worker is None:
            if self._expired:
                raise self._executor._over_time()
            raise StopIteration
        try:
            if not worker.connection.poll(max(0.0, self._deadline - time.monotonic())):
                self._expire()
                raise self._executor._over_time()
            part = worker.connection.recv_bytes()
            if part:
                return part
            failure = worker.connection.recv()
        except (EOFError, OSError):
            if not self._release(worker):  # the timer (or close) killed it
                raise self._executor._over_time() from None
            raise self._executor._died(worker) from None
        self._end(kill=False)
        if failure:
            raise QueryAborted(failure)
        raise StopIteration

    def _release(self, worker: _Worker | None = None) -> _Worker | None:
        """Take the worker from the stream (once: the timer and the request thread may both try) and give
        back the query slot; the worker taken, or None if it was taken before."""
        with self._lock:
            taken, self._worker = self._worker, None
            if taken is None or (worker is not None and taken is not worker):
                return None
        self._timer.cancel()
        self._executor._slots.release()
        return taken

    def _end(self, kill: bool) -> None:
        worker = self._release()
        if worker is None:
            return
        if kill:
            self._executor._replace(worker)
        else:
            self._executor._idle.put(worker)

    def _expire(self) -> None:
        self._expired = True
        self._end(kill=True)

    def close(self) -> None:
        """Stop reading: a worker still sending is killed (and replaced)."""
        self._end(kill=True)

    __del__ = close
