"""Schemathesis over the OpenAPI spec (issue 11 item 6): every HTTP operation the app documents
gets generated valid and invalid requests (positive and negative data: wrong types, missing
and extra fields, odd strings), with an admin's key and with none, against the real app
in-process (fakes for recognizer, voice and clock). No request may produce a 5xx; without a
key the private operations answer 401/403, never data. Schemathesis reads the spec the app
serves, so a new endpoint is fuzzed the day it is added."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from starlette.testclient import TestClient

from tests.conftest import TEST_ADMIN_KEY
from tests.inprocess import app_with_fakes, shared_kb_holder

EXAMPLES = 25  # per operation, mode and key: bounded for CI
PUBLIC = {"GET /healthz", "POST /twilio/voice", "POST /twilio/after-stream", "GET /metrics",
          "POST /twilio/dial-ended",
          "POST /agent/sign-in", "POST /agent/sign-out", "POST /api/route"}
SLOW = {"POST /api/kb/reload"}  # retrains the classifier: a handful of examples is enough


def _send(client: TestClient, case: schemathesis.Case, key: str | None) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    for unused in ("timeout", "allow_redirects", "verify"):
        kwargs.pop(unused, None)
    headers = {k: v for k, v in (kwargs.pop("headers", None) or {}).items()
               if k.lower() != "authorization"}
    headers["Authorization"] = f"Bearer {key}" if key else ""
    cookies = kwargs.pop("cookies", None)
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return client.request(headers=headers, **kwargs)


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode))
def test_no_generated_request_gets_a_server_error(tmp_path: Path,
                                                  mode: schemathesis.GenerationMode) -> None:
    failures: list[tuple[str, str, int, str]] = []
    leaks: list[tuple[str, int]] = []
    statuses: Counter[int] = Counter()
    with app_with_fakes(tmp_path, shared_kb_holder(),
                        api_keys=f"admin:{TEST_ADMIN_KEY}") as (client, _world):
        schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 15  # the spec lists the app's operations

        for operation in operations:
            examples = 3 if operation.label in SLOW else EXAMPLES

            @settings(max_examples=examples, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case: schemathesis.Case) -> None:
                label = case.operation.label
                for key in (TEST_ADMIN_KEY, None):
                    response = _send(client, case, key)
                    statuses[response.status_code] += 1
                    if response.status_code >= 500:
                        failures.append((label, key or "no key", response.status_code,
                                         response.text[:200]))
                    if key is None and label not in PUBLIC and response.status_code < 400:
                        leaks.append((label, response.status_code))

            try:
                fuzz()
            except Unsatisfiable:  # negative mode on an operation without inputs: none exist
                assert mode == schemathesis.GenerationMode.NEGATIVE, operation.label
    assert not failures, failures[:5]
    # it did reach the handlers: data was accepted, and (negative) rejected with a reason
    assert sum(statuses.values()) > 300, statuses
    if mode == schemathesis.GenerationMode.NEGATIVE:
        assert statuses[422] + statuses[400] > 50, statuses
    else:
        assert statuses[200] > 20, statuses
    assert not leaks, leaks[:5]
