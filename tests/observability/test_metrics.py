"""GET /metrics: Prometheus text with request counts and latencies per route template and status,
the database pool's connections and the throttle's fallbacks; only for the allowed addresses."""
import ipaddress

import pytest
from prometheus_client.parser import text_string_to_metric_families

from healthpal.domain import throttle
from healthpal.extensions import db
from healthpal.models import AuditEvent
from tests.api.support import Api


def scrape(client) -> dict:
    """The page as `{(sample name, frozenset of labels): value}`."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and "version=" in response.headers["Content-Type"]
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def labels(**pairs) -> frozenset:
    return frozenset(pairs.items())


DETAIL = labels(method="GET", route="/api/patients/<id:patient_id>/", status="404")


def test_requests_are_counted_and_timed_per_route_template_and_status(client, clinician):
    before = scrape(client)
    api = Api(client, clinician)
    for patient_id in (1, 2, 3):
        assert api.get(f"/api/patients/{patient_id}/").status_code == 404
    after = scrape(client)
    assert after[("healthpal_http_requests_total", DETAIL)] - before.get(("healthpal_http_requests_total", DETAIL),
                                                                          0) == 3
    count = ("healthpal_http_request_duration_seconds_count", DETAIL)
    assert after[count] - before.get(count, 0) == 3
    slowest_bucket = ("healthpal_http_request_duration_seconds_bucket", DETAIL | {("le", "+Inf")})
    assert after[slowest_bucket] == after[count]


def test_the_database_pool_is_shown(client):
    in_use = ("healthpal_db_pool_connections_in_use", frozenset())
    idle = scrape(client)[in_use]
    with db.engine.connect():
        assert scrape(client)[in_use] == idle + 1
    assert scrape(client)[in_use] == idle
    assert scrape(client)[("healthpal_db_pool_connections_open", frozenset())] >= 1


def test_throttle_fallbacks_are_counted(client):
    fallbacks = ("healthpal_throttle_fallbacks_total", frozenset())
    before = scrape(client)[fallbacks]
    throttle.fell_back.send(ConnectionError("Redis is down"))
    assert scrape(client)[fallbacks] == before + 1


@pytest.mark.parametrize("address, allowed, status", [
    ("127.0.0.1", "127.0.0.1,::1", 200),
    ("::1", "127.0.0.1,::1", 200),
    ("10.0.3.7", "127.0.0.1,::1", 403),
    ("10.0.3.7", "127.0.0.1,10.0.0.0/16", 200),
    ("10.1.3.7", "127.0.0.1,10.0.0.0/16", 403),
])
def test_only_allowed_addresses_may_read_the_metrics(client, monkeypatch, app, address, allowed, status):
    monkeypatch.setitem(app.config, "HEALTHPAL_METRICS_ALLOWED",
                        tuple(ipaddress.ip_network(network) for network in allowed.split(",")))
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": address}).status_code == status


def test_reading_the_metrics_is_not_audited(client):
    scrape(client)
    assert db.session.query(AuditEvent).count() == 0
