"""The W3C SPARQL 1.1 protocol test manifests (../shared/conformance/w3c-rdf-tests), read with rdflib.

Each test is a list of HTTP requests, each with the response it expects (status, format, boolean,
headers, body, Location). tests/web/test_w3c_conformance.py sends them to a live server.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Namespace
from rdflib.collection import Collection

SUITE = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "w3c-rdf-tests" / "sparql" / "sparql11"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = "http://www.w3.org/2011/http-statusCodes#"
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")


@dataclass
class ExpectedResponse:
    statuses: list[range]
    boolean: bool | None = None
    result_format: str | None = None   # "boolean", "tabular" or "RDF"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    location_variable: str | None = None

    def status_ok(self, status: int) -> bool:
        return any(status in allowed for allowed in self.statuses)


@dataclass
class ModelledRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expected: ExpectedResponse


@dataclass
class ManifestTest:
    name: str       # the test's local name, e.g. query_post_form
    title: str
    kind: str       # ProtocolTest, GraphStoreProtocolTest, ServiceDescriptionTest
    graph_data: dict[str, Path] = field(default_factory=dict)  # graph IRI -> file
    requests: list[ModelledRequest] = field(default_factory=list)


def _status_ranges(node) -> range:
    name = str(node)[len(HTS):]
    if match := re.fullmatch(r"StatusCode(\d)xx", name):
        first = int(match.group(1)) * 100
        return range(first, first + 100)
    code = HTTPStatus[re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).upper()]
    return range(code, code + 1)


def _headers(graph: Graph, node) -> dict[str, str]:
    headers = {}
    listed = graph.value(node, HT.headers)
    for header in Collection(graph, listed) if listed is not None else []:
        headers[str(graph.value(header, HT.fieldName)).lower()] = str(graph.value(header, HT.fieldValue))
    return headers


def _body(graph: Graph, node) -> str | None:
    body = graph.value(node, HT.body)
    return None if body is None else str(graph.value(body, CNT.chars))


def _request(graph: Graph, node) -> ModelledRequest:
    resp = graph.value(node, HT.resp)
    expected = ExpectedResponse(
        statuses=[_status_ranges(s) for s in graph.objects(resp, MF.expectedStatus)],
        boolean=None if graph.value(resp, MF.expectedBoolean) is None else graph.value(resp, MF.expectedBoolean).toPython(),
        result_format=None if graph.value(resp, MF.expectedFormat) is None else str(graph.value(resp, MF.expectedFormat)),
        headers=_headers(graph, resp),
        body=_body(graph, resp),
        location_variable=None if graph.value(resp, MF.expectedLocation) is None else str(graph.value(resp, MF.expectedLocation)),
    )
    body = _body(graph, node)
    return ModelledRequest(str(graph.value(node, HT.methodName)), str(graph.value(node, HT.absolutePath)),
                           _headers(graph, node), None if body is None else body.encode("utf-8"), expected)


def read_manifest(path: Path, kind: str) -> list[ManifestTest]:
    """Every test of the given type described in the manifest (listed in mf:entries or not)."""
    graph = Graph().parse(path, format="turtle", publicID=path.as_uri())
    tests = []
    for node in sorted(graph.subjects(RDF.type, MF[kind])):
        test = ManifestTest(name=str(node).rsplit("#", 1)[-1], title=str(graph.value(node, MF.name)), kind=kind)
        for data in graph.objects(node, UT.graphData):
            test.graph_data[str(graph.value(data, RDFS.label))] = Path(str(graph.value(data, UT.graph))[len("file://"):])
        action = graph.value(node, MF.action)
        listed = graph.value(action, HT.requests) if action is not None else None
        test.requests = [_request(graph, r) for r in Collection(graph, listed)] if listed is not None else []
        tests.append(test)
    return tests


def protocol_tests() -> list[ManifestTest]:
    return read_manifest(SUITE / "protocol" / "manifest.ttl", "ProtocolTest")


def graph_store_tests() -> list[ManifestTest]:
    return (read_manifest(SUITE / "graph-store-protocol" / "manifest-direct.ttl", "GraphStoreProtocolTest")
            + read_manifest(SUITE / "graph-store-protocol" / "manifest-indirect.ttl", "GraphStoreProtocolTest"))


def service_description_tests() -> list[ManifestTest]:
    return read_manifest(SUITE / "service-description" / "manifest.ttl", "ServiceDescriptionTest")
