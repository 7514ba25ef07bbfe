"""The command line: a thin layer over the library. `alliance-kg --help` lists the commands."""
from __future__ import annotations

import sys
from pathlib import Path

import click
import pyoxigraph as ox

from service import iris
from service.config import PROJECT_ROOT, load_config
from service.store.loader import LoadError

EXPORT_FORMATS = {
    "trig": "application/trig", "nquads": "application/n-quads", "turtle": "text/turtle",
    "ntriples": "application/n-triples", "jsonld": "application/ld+json", "rdfxml": "application/rdf+xml",
}
QUERY_FORMATS = {
    "table": None, "json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
    "csv": "text/csv", "tsv": "text/tab-separated-values", "turtle": "text/turtle",
    "jsonld": "application/ld+json", "ntriples": "application/n-triples", "rdfxml": "application/rdf+xml",
}


def _build(asserted_only: bool = False):
    from service.graph import knowledge_graph
    try:
        return knowledge_graph.build(load_config())
    except LoadError as error:
        raise click.ClickException(f"cannot load the graph: {error}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="alliance-kg")
def main():
    """alliance-kg: a knowledge graph of military alliances (after Schmitt 2025), served over SPARQL.

    \b
    Examples:
      alliance-kg serve                      # http://127.0.0.1:8000/sparql
      alliance-kg query queries/alliances-classified-by-reasoner.rq
      alliance-kg query 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' --format csv
      alliance-kg check                      # HermiT + SHACL; exit 1 on any violation
      alliance-kg export --format trig -o alliance-kg.trig
      alliance-kg export --format graphml -o states.graphml   # for Gephi, NetworkX
      alliance-kg plot map --on 2024-07-01 -o map.png
      alliance-kg docs                       # ontology documentation into docs/ontology/ (git-ignored)
      alliance-kg load events.nt --store /var/lib/alliance-kg   # bulk load, streaming
    """


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to listen on (default 8000).")
@click.option("--threads", default=None, type=int, help="Request threads (default 8).")
@click.option("--store", "store_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Keep the store in this folder: the first start loads ontology/ and data/ into it, a restart "
                   "reopens it with everything written since. Default: a temporary folder removed at exit.")
@click.option("--write-key-file", default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File holding the key that writes (SPARQL Update, Graph Store PUT/POST/DELETE) must send as "
                   "'Authorization: Bearer KEY'. Without a key (or ALLIANCE_KG_WRITE_KEY) writes are off.")
@click.option("--no-write-guard", is_flag=True, default=None,
              help="Commit writes without the HermiT + SHACL check (entailments are still brought up to date).")
@click.option("--query-timeout", default=None, type=float, help="Seconds a query may run (default 30).")
@click.option("--query-workers", default=None, type=int, help="Processes answering queries (default 2).")
@click.option("--max-body-bytes", default=None, type=int, help="Largest request body (default 10000000).")
@click.option("--max-result-rows", default=None, type=int, help="Largest answer in rows or triples (default 100000).")
@click.option("--allow-service", multiple=True, help="A SERVICE endpoint queries may call. Repeatable; none by default.")
def serve(host, port, threads, store_dir, write_key_file, no_write_guard, query_timeout, query_workers,
          max_body_bytes, max_result_rows, allow_service):
    """Serve SPARQL 1.1 at /sparql and the Graph Store Protocol at /rdf-graphs (waitress)."""
    import time

    from service.app import create_app
    from service.config import ConfigError
    from service.store.on_disk import StoreDamaged, StoreInUse
    started = time.perf_counter()
    stopping = [lambda: None]  # what a stop must close: nothing yet, then the app's close
    failed = []  # a failure after the server began to answer: the stop it causes exits with status 1
    _stop_on_signals(lambda: stopping[0](), failed)  # from the start: a stop while loading removes a temporary store
    try:
        config = load_config({"HOST": host, "PORT": port, "THREADS": threads, "STORE_DIR": store_dir,
                              "WRITE_KEY_FILE": write_key_file, "WRITE_GUARD": False if no_write_guard else None,
                              "QUERY_TIMEOUT": query_timeout, "QUERY_WORKERS": query_workers,
                              "MAX_BODY_BYTES": max_body_bytes, "MAX_RESULT_ROWS": max_result_rows,
                              "ALLOWED_SERVICES": allow_service or None})
        _check_address(config["HOST"], config["PORT"])  # before the half minute of loading, not after it
        app = create_app(config)
        stopping[0] = app.extensions["alliance_kg.close"]
    except (LoadError, ConfigError, StoreInUse, StoreDamaged) as error:
        raise click.ClickException(f"cannot start: {error}") from None
    from service.graph.knowledge_graph import return_freed_memory
    return_freed_memory()  # the in-memory graph copied to disk is gone: its pages go back to the system
    report = app.extensions["alliance_kg.load_report"]
    store = app.extensions["alliance_kg.store"]
    _stop_if_the_first_commit_fails(store, failed)
    where = config["STORE_DIR"] or "a temporary folder"
    if report is not None:
        click.echo(f"alliance-kg: {report.asserted_triples} asserted + {report.entailed_triples} entailed triples "
                   f"from {report.files} files in {report.seconds:.2f} s, stored in {where}", err=True)
    else:
        click.echo(f"alliance-kg: reopened the store in {where}: {len(store)} quads", err=True)
    try:  # the port may have been taken while the graph loaded
        from service.web.serving import create_server
        server = create_server(app, config)
    except OSError as error:
        app.extensions["alliance_kg.close"]()
        raise click.ClickException(_address_error(config["HOST"], config["PORT"], error)) from None
    writes = "on (bearer key)" if config["WRITE_KEY"] else "off (no write key)"
    click.echo(f"alliance-kg: ready in {time.perf_counter() - started:.2f} s; writes {writes}; query limit "
               f"{config['QUERY_TIMEOUT']:g} s", err=True)
    base = f"http://{config['HOST']}:{config['PORT']}"
    click.echo(f"alliance-kg: SPARQL endpoint at {base}/sparql, query UI at {base}/", err=True)
    server.run()  # returns at a stop (waitress takes the SystemExit of the signal handler)
    if failed:
        raise SystemExit(1)


def _stop_on_signals(close, failed: list) -> None:
    """SIGTERM and SIGINT: stop the query workers first (a request waiting on one then answers 503 at
    once, so waitress's shutdown need not wait for it), remove a temporary store, then leave the loop."""
    import signal

    def stop(signum, _frame):
        click.echo(f"alliance-kg: {signal.Signals(signum).name}: stopping", err=True)
        close()
        raise SystemExit(1 if failed else 0)  # waitress's loop ends on it

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _stop_if_the_first_commit_fails(store, failed: list) -> None:
    """A first start answers before its store is written to disk (PersistentStore.commit_in_background):
    should writing it fail, the server says why and stops, with exit status 1, as a failure before it
    answered would have stopped it."""
    import os
    import signal
    import threading

    from service.store.on_disk import PersistentStore, StoreStopped
    if not isinstance(store, PersistentStore) or not store.committed_in_background:
        return  # a store reopened, or an external one: nothing is being written

    def watch():
        failure = store.wait_committed()
        if failure is not None and not isinstance(failure, StoreStopped):
            click.echo(f"alliance-kg: cannot go on: the store in {store.directory} could not be written "
                       f"({type(failure).__name__}: {failure})", err=True)
            failed.append(failure)
            os.kill(os.getpid(), signal.SIGTERM)  # the stop handler runs in the main thread, as for a user's stop
    threading.Thread(target=watch, name="first-commit-watch", daemon=True).start()


def _check_address(host: str, port: int) -> None:
    """Bind the address the server will listen on, and let it go: a port in use is a line, not a traceback."""
    import socket
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress does: TIME_WAIT is no obstacle
            probe.bind(address)
    except OSError as error:
        raise click.ClickException(_address_error(host, port, error)) from None


def _address_error(host: str, port: int, error: OSError) -> str:
    import errno
    if error.errno == errno.EADDRINUSE:
        return (f"cannot start: {host}:{port} is already in use (another alliance-kg serve?); "
                f"stop it or choose another port with --port")
    return f"cannot start: cannot listen on {host}:{port}: {error.strerror or error}"


@main.command()
@click.argument("query_or_file")
@click.option("--format", "fmt", type=click.Choice(sorted(QUERY_FORMATS)), default="table", show_default=True)
@click.option("--asserted", is_flag=True, help="Answer over asserted triples only, without the entailments.")
def query(query_or_file, fmt, asserted):
    """Run a SPARQL query (text, or a .rq file) against the graph and print the answer."""
    text = Path(query_or_file).read_text() if query_or_file.endswith(".rq") or Path(query_or_file).is_file() else query_or_file
    store, _ = _build()
    graphs = [g for g in store.graphs() if g != iris.ENTAILMENTS_GRAPH] if asserted else None
    try:
        result = store.query(text, default_graphs=graphs)
    except SyntaxError as error:
        from service.store.syntax_errors import explain
        raise click.ClickException(f"malformed query: {explain(text, str(error))}") from None
    if fmt == "table":
        click.echo(_table(result), nl=False)
        return
    media_type = QUERY_FORMATS[fmt]
    if media_type not in result.media_types:
        raise click.ClickException(f"--format {fmt} does not fit a {result.kind} result; "
                                   f"use one of {', '.join(k for k, v in QUERY_FORMATS.items() if v in result.media_types)}")
    sys.stdout.buffer.write(result.serialize(media_type))


def _table(result) -> str:
    if result.kind == "boolean":
        return f"{bool(result)}\n"
    if result.kind == "graph":
        return result.serialize("text/turtle").decode()
    names = result.variables
    rows = [[_plain(row.get(n)) for n in names] for row in result.rows()]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = [line(names), line(["-" * w for w in widths])] + [line(r) for r in rows]
    return "\n".join(out) + f"\n({len(rows)} rows)\n"


def _plain(term) -> str:
    if term is None:
        return ""
    return iris.compact(term.value) if isinstance(term, ox.NamedNode) else term.value


@main.command()
@click.option("--data", "extra", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Also check this file with the graph (it is not loaded into the service). Repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-explain", is_flag=True, help="Do not cut an inconsistency down to the clashing statements.")
def check(extra, as_json, no_explain):
    """Prove the graph consistent (HermiT) and the data within the rules (SHACL); exit 1 if not."""
    from service.reasoning.check import run_check
    from service.reasoning.consistency import ReasonerUnavailable
    def stage_done(lines: list[str]) -> None:  # each stage as it finishes: the whole check takes half a minute
        click.echo("\n".join(lines))

    try:
        report = run_check(load_config(), list(extra), explain=not no_explain,
                           **({} if as_json else {"progress": stage_done}))
    except ReasonerUnavailable as error:
        raise click.ClickException(str(error)) from None
    click.echo(report.as_json() if as_json else ("PASS" if report.ok else "FAIL"), nl=not as_json)
    sys.exit(0 if report.ok else 1)


@main.command()
@click.option("--format", "fmt", type=click.Choice(sorted(EXPORT_FORMATS) + ["graphml"]), default="trig",
              show_default=True,
              help="trig and nquads keep the named graphs (ontology, data files, entailments); graphml is the "
                   "state network for Gephi and NetworkX.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default stdout).")
@click.option("--on", "on_date", metavar="YYYY-MM-DD", help="graphml only: memberships in force on this date.")
@click.option("--alliances-only", is_flag=True, help="graphml only: links through alliances alone.")
def export(fmt, output, on_date, alliances_only):
    """Write the whole graph, entailments included, in one RDF format; or the state network as GraphML.

    \b
    Examples:
      alliance-kg export --format trig -o alliance-kg.trig
      alliance-kg export --format graphml --on 2024-07-01 -o states-2024.graphml
    """
    if fmt != "graphml" and (on_date or alliances_only):
        raise click.UsageError("--on and --alliances-only apply to --format graphml only")
    with _stages(["load and reason", "export"]) as stage:
        store, _ = _build()
        next(stage)
        if fmt == "graphml":
            from service.graph import exports
            import io
            try:
                network = exports.state_network(store, exports.parse_date(on_date), alliances_only)
            except exports.ExportError as error:
                raise click.ClickException(str(error)) from None
            buffer = io.BytesIO()
            exports.write_graphml(network, buffer)
            body = buffer.getvalue()
        else:
            body = store.dump(EXPORT_FORMATS[fmt])
        next(stage)
    if output:
        tmp = output.with_name(output.name + ".part")
        tmp.write_bytes(body)
        tmp.replace(output)
        click.echo(f"wrote {len(body)} bytes to {output}", err=True)
    else:
        sys.stdout.buffer.write(body)


@main.command()
@click.argument("picture", type=click.Choice(["network", "map"]))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write: .png or .svg.")
@click.option("--on", "on_date", metavar="YYYY-MM-DD",
              help="Memberships in force on this date (default: the graph's akg:curatedUntil, else today).")
@click.option("--alliances-only", is_flag=True,
              help="Only partnerships the reasoner classifies as alliances (the map's default).")
@click.option("--all-partnerships", is_flag=True,
              help="Map: every security partnership, not only alliances (alliances still come first).")
def plot(picture, output, on_date, alliances_only, all_partnerships):
    """Draw the state network or the world map of partnership membership, for reports.

    The map colours each state by its alliance in force (alliances first, confirmed before presumed,
    then the larger), hatches and lightens presumed ones, and its title states the data horizon.

    \b
    Examples:
      alliance-kg plot network -o network.svg --alliances-only
      alliance-kg plot map --on 2024-07-01 -o map-2024.png
      alliance-kg plot map --all-partnerships -o partnerships.png
    """
    import datetime as dt

    from service.graph import exports
    try:
        exports.check_picture_file(output)
        day = exports.parse_date(on_date)
        if picture == "map":
            if alliances_only and all_partnerships:
                raise exports.ExportError("--alliances-only and --all-partnerships exclude each other")
            alliances_only = not all_partnerships
        with _stages(["load and reason", "select", "draw and write"]) as stage:
            store, _ = _build()
            curated = exports.curated_until(store)
            day = day or curated or dt.date.today()
            next(stage)
            what = "alliances" if alliances_only else "security partnerships"
            title = f"{what.capitalize()} on {day.isoformat()} (alliance-kg)"
            if picture == "network":
                network = exports.state_network(store, day, alliances_only)
                next(stage)
                exports.plot_network(network, output, title)
            else:
                records = exports.memberships(store, day, alliances_only)
                title = exports.map_title(day, curated, alliances_only, records)
                next(stage)
                exports.plot_map(records, output, title)
            next(stage)
    except exports.ExportError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"wrote {output}", err=True)


class _stages:
    """A progress bar over named stages on stderr (click shows it only on a terminal)."""

    def __init__(self, names):
        self.names = names

    def __enter__(self):
        if not sys.stderr.isatty():  # a log file gets no bar, only the final "wrote ..." line
            return iter(lambda: None, 0)
        self.bar = click.progressbar(length=len(self.names), label=self.names[0], file=sys.stderr)
        self.bar.__enter__()
        self.done = 0

        def advance():
            while True:
                self.done += 1
                self.bar.label = self.names[min(self.done, len(self.names) - 1)]
                self.bar.update(1)
                yield

        return advance()

    def __exit__(self, *exc):
        return self.bar.__exit__(*exc) if hasattr(self, "bar") else None


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="HTML file to write (default docs/ontology/index.html).")
def docs(output):
    """Generate the ontology documentation (pyLODE) with examples from the data.

    \b
    Examples:
      alliance-kg docs                         # docs/ontology/index.html (git-ignored; /docs/ontology/ makes its own)
      alliance-kg docs -o /tmp/ontology.html
    """
    import logging

    from service.web import ontology_docs
    logging.getLogger().setLevel(logging.WARNING)  # pyLODE logs each step at INFO on the root logger
    try:
        ontology_docs.pylode()  # before the half minute of loading, not after it
    except ontology_docs.DocsError as error:
        raise click.ClickException(str(error)) from None
    with _stages(["load and reason", "render"]) as stage:
        store, _ = _build()
        next(stage)
        try:
            written = ontology_docs.build(load_config()["ONTOLOGY_DIR"], output or ontology_docs.DEFAULT_OUTPUT, store)
        except ontology_docs.DocsError as error:
            raise click.ClickException(str(error)) from None
        next(stage)
    click.echo(f"wrote {written}", err=True)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of a persistent Oxigraph store (created if absent). Without it, the store of "
                   "ALLIANCE_KG_STORE_BACKEND (e.g. an external SPARQL store).")
@click.option("--graph", help="Named graph for the files' triples (default: .../graph/data/{file stem}).")
@click.option("--reason/--no-reason", default=True, show_default=True,
              help="Recompute the entailments afterwards (when the store holds the ontology).")
def load(files, store_dir, graph, reason):
    """Load RDF files (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML) into a store, streaming.

    Every file is checked first: a syntax error is reported with its line and nothing is loaded."""
    from service.graph.knowledge_graph import run_load
    try:
        run_load(list(files), store_dir, graph, reason, echo=lambda text: click.echo(text, err=True),
                 progressbar=click.progressbar)
    except (LoadError, ValueError) as error:
        raise click.ClickException(str(error)) from None


@main.command("build-data")
@click.option("--raw", type=click.Path(file_okay=False, path_type=Path),
              default=PROJECT_ROOT.parent / "shared" / "data" / "raw", show_default=True,
              help="Folder of the public raw data sets (../shared/data/raw).")
def build_data(raw):
    """Regenerate data/states.ttl and data/atop/ from the raw public data sets (deterministic)."""
    import time

    from service.datasets import atop, states
    started = time.perf_counter()
    say = lambda message: click.echo(f"[{time.perf_counter() - started:5.1f}s] {message}", err=True)  # noqa: E731
    try:
        out = PROJECT_ROOT / "data" / "states.ttl"
        states.write_states(raw, out)
        say(f"wrote {out}")
        atop.write_atop(raw, PROJECT_ROOT / "data" / "atop", progress=say)
    except states.RawDataError as error:
        raise click.ClickException(str(error)) from None
    say("done")


if __name__ == "__main__":
    main()


def _report(build, fmt: str) -> None:
    from service.graph.assessments import AssessmentError
    from service.web.briefings import render
    try:
        report = build()
    except AssessmentError as error:
        raise click.BadParameter(str(error), param_hint=f"'{error.field}'") from None
    click.echo(render(report, fmt), nl=False)


@main.command()
@click.argument("states", nargs=-1, required=True, metavar="ISO3...")
@click.option("--on", "on_date", metavar="YYYY-MM-DD",
              help="Date of the assessment (default: the graph's akg:curatedUntil, else today).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html", "json"]), default="text",
              show_default=True, help="html is a printable A4 briefing; json follows docs/assess.schema.json.")
def assess(states, on_date, fmt):
    """The paper's framework filled in for a set of states on a date: partnerships among them (alliance
    or not, and why; status), diffusion, observations of each indicator, what to monitor next.

    \b
    Example: alliance-kg assess RUS CHN IRN PRK --on 2025-01-01 --format markdown
    """
    from service.graph import assessments
    store, _ = _build()
    _report(lambda: assessments.assess(assessments.store_runner(store), states, on_date), fmt)


@main.command()
@click.option("--from", "date_from", required=True, metavar="YYYY-MM-DD", help="First day (included).")
@click.option("--to", "date_to", required=True, metavar="YYYY-MM-DD", help="Last day (included).")
@click.option("--states", multiple=True, metavar="ISO3",
              help="Only changes concerning these states (repeatable, or comma-separated). Default: all.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html", "json"]), default="text",
              show_default=True, help="json follows docs/changes.schema.json.")
def changes(date_from, date_to, states, fmt):
    """What changed between two dates: partnerships formed and ended, members joined and left, scope
    conditions declared, observations and diffusion recorded; each dated and sourced.

    \b
    Example: alliance-kg changes --from 2022-01-01 --to 2025-01-01 --states FIN,SWE
    """
    from service.graph import assessments
    store, _ = _build()
    _report(lambda: assessments.changes(assessments.store_runner(store), date_from, date_to, states), fmt)


@main.command()
@click.argument("subject", metavar="S")
@click.argument("predicate", metavar="P")
@click.argument("object_", metavar="O")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON (the shape GET /why answers).")
def why(subject, predicate, object_, as_json):
    """Why the graph holds a statement: asserted (in which graphs, from which sources) or concluded by the
    reasoner (the rule, and its premises explained the same way down to asserted statements).
    Terms are full IRIs or prefix:name (akg:, partnership:, state:, ...); the object may be a literal
    ("2"^^xsd:integer, or 2). Exit 1 when the graph neither asserts nor entails the statement.

    \b
    Examples:
      alliance-kg why partnership:nato a akg:Alliance
      alliance-kg why partnership:nato akg:memberCount 32
      alliance-kg why state:USA akg:memberOf partnership:nato --json
    """
    import json

    from service.graph import explanations
    try:
        statement = explanations.parse_statement(subject, predicate, object_)
    except explanations.StatementError as error:
        raise click.BadParameter(str(error).split(": ", 1)[1], param_hint=f"'{error.parameter.upper()}'") from None
    store, _ = _build()
    report = explanations.why(store, *statement)
    if report is None:
        raise click.ClickException(f"the graph neither asserts nor entails {' '.join(str(t) for t in statement)}")
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        click.echo(report["summary"] + "\n\n" + explanations.as_text(report))
