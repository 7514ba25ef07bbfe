"""/metrics in the Prometheus text format, /health, and CORS open for reads and closed for writes."""
from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service import create_app
from service.web import metrics

ORIGIN = "https://analyst.example"
ASK = "ASK { ?s ?p ?o }"


def scrape(client) -> dict[tuple, float]:
    """Every sample of /metrics as {(name, sorted labels): value}."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and "version=0.0.4" in response.content_type
    samples = {}
    for family in text_string_to_metric_families(response.data.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def sample(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_latency_and_errors_are_counted_by_endpoint_and_status(client):
    before = scrape(client)
    assert client.get("/sparql", query_string={"query": ASK}).status_code == 200
    assert client.get("/sparql", query_string={"query": "ASK {"}).status_code == 400
    assert client.get("/id/state/ATLANTIS").status_code == 404
    after = scrape(client)
    ok = dict(endpoint="/sparql", method="GET", status="200")
    assert sample(after, "alliance_kg_http_requests_total", **ok) - sample(before, "alliance_kg_http_requests_total", **ok) == 1
    bad = dict(endpoint="/sparql", method="GET", status="400")
    assert sample(after, "alliance_kg_http_requests_total", **bad) - sample(before, "alliance_kg_http_requests_total", **bad) == 1
    for status in ("400", "404"):
        assert sample(after, "alliance_kg_http_errors_total", status=status) - \
            sample(before, "alliance_kg_http_errors_total", status=status) == 1
    count = "alliance_kg_http_request_duration_seconds_count"
    assert sample(after, count, endpoint="/sparql") - sample(before, count, endpoint="/sparql") == 2
    bucket = "alliance_kg_http_request_duration_seconds_bucket"
    assert sample(after, bucket, endpoint="/sparql", le="+Inf") == sample(after, count, endpoint="/sparql")
    assert sample(after, "process_resident_memory_bytes") > 0


def test_odd_methods_do_not_grow_the_label_set(client):
    before = scrape(client)
    client.open("/health", method="BREW")
    after = scrape(client)
    odd = dict(endpoint="(unmatched)", method="other", status="405")  # a refused method matches no rule
    assert sample(after, "alliance_kg_http_requests_total", **odd) - sample(before, "alliance_kg_http_requests_total", **odd) == 1
    assert not any(dict(labels).get("method") == "BREW" for _, labels in after)


def test_timeouts_are_counted_through_record_timeout(client):
    before = sample(scrape(client), "alliance_kg_query_timeouts_total")
    metrics.record_timeout()
    assert sample(scrape(client), "alliance_kg_query_timeouts_total") - before == 1


def test_health_still_reports_the_store(client, store):
    body = client.get("/health").get_json()
    assert body["status"] == "ok" and body["quads"] == len(store)
    # data/curated/dataset.ttl: akg:curatedUntil, how far the curation of the present reaches
    assert body["curated_until"] == "2025-12-31"


def test_reads_are_open_to_any_origin_by_default(client):
    get = client.get("/sparql", query_string={"query": ASK}, headers={"Origin": ORIGIN})
    assert get.headers["Access-Control-Allow-Origin"] == "*"
    post = client.post("/sparql", data={"query": ASK}, headers={"Origin": ORIGIN})
    assert post.status_code == 200 and post.headers["Access-Control-Allow-Origin"] == "*"
    page = client.get("/id/state/RUS", headers={"Origin": ORIGIN, "Accept": "text/turtle"})
    assert page.headers["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_allows_posted_queries_but_not_writes(client):
    query = client.options("/sparql", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                                               "Access-Control-Request-Headers": "Content-Type"})
    assert query.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in query.headers["Access-Control-Allow-Methods"]
    assert "content-type" in query.headers["Access-Control-Allow-Headers"].lower()
    put = client.options("/sparql", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"})
    assert "PUT" not in put.headers.get("Access-Control-Allow-Methods", "")
    keyed = client.options("/sparql", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                                               "Access-Control-Request-Headers": "Authorization"})
    assert "authorization" not in keyed.headers.get("Access-Control-Allow-Headers", "").lower()


@pytest.mark.parametrize("request_args", [
    dict(method="POST", data={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}),
    dict(method="POST", data="INSERT DATA { <urn:a> <urn:b> <urn:c> }", content_type="application/sparql-update"),
    dict(method="PUT", data="<urn:a> <urn:b> <urn:c> .", content_type="text/turtle"),
    dict(method="DELETE"),
    dict(method="POST", path="/rdf-graphs", data="<urn:a> <urn:b> <urn:c> .", content_type="text/turtle"),
], ids=["update-form", "update-direct", "put", "delete", "graph-store-post"])
def test_write_responses_carry_no_cors_headers(client, request_args):
    """A POST anywhere but /sparql is a Graph Store Protocol write (POST merges into a graph)."""
    request_args = {"path": "/sparql"} | request_args
    response = client.open(headers={"Origin": ORIGIN}, **request_args)
    assert response.status_code >= 400  # writes are off without a key
    assert not [h for h in response.headers.keys() if h.lower().startswith("access-control-")]


def test_cors_origins_are_configurable(store):
    client = create_app({"TESTING": True, "CORS_ORIGINS": ORIGIN}, store=store).test_client()
    mine = client.get("/sparql", query_string={"query": ASK}, headers={"Origin": ORIGIN})
    assert mine.headers["Access-Control-Allow-Origin"] == ORIGIN
    other = client.get("/sparql", query_string={"query": ASK}, headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    closed = create_app({"TESTING": True, "CORS_ORIGINS": ""}, store=store).test_client()
    assert "Access-Control-Allow-Origin" not in closed.get("/health", headers={"Origin": ORIGIN}).headers
