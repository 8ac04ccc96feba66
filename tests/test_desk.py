"""The browser desk's server side over the in-process app: the page and its files are served
by the app itself, sign-in takes only an agent's key and keeps it in an HttpOnly, SameSite
cookie, and that cookie alone opens the desk socket and the desk's API calls.

The page itself, with its audio bridge, runs in a real browser in tests/test_desk_browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from dialog.kbholder import KnowledgeBaseHolder
from tests.inprocess import FakeWorld, app_with_fakes, shared_kb_holder

SUPERVISOR_KEY = "supervisor-key-0123456789"
NO_HEADER = {"Authorization": ""}  # the in-process client sends the admin key by default


@pytest.fixture(scope="module")
def holder() -> KnowledgeBaseHolder:
    return shared_kb_holder()


@pytest.fixture
def app(tmp_path: Path, holder: KnowledgeBaseHolder) -> Iterator[tuple[TestClient, FakeWorld]]:
    keys = f"admin:test-admin-key-not-secret,supervisor:{SUPERVISOR_KEY}"
    with app_with_fakes(tmp_path, holder, api_keys=keys) as running:
        yield running


def _agent_key(client: TestClient) -> str:
    response = client.post("/api/agents", json={"agent_id": "li", "name": "李<敏>",
                                                "skills": ["hrss"]})
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def test_the_page_and_its_files_are_served_by_the_app(app: tuple[TestClient, FakeWorld]
                                                      ) -> None:
    client, _ = app
    page = client.get("/agent", headers=NO_HEADER)
    assert page.status_code == 200 and 'data-state="sign-in"' in page.text
    assert "坐席密钥" in page.text and "http" not in page.text.split("<body")[0]  # no CDN
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name, kind in (("desk.js", "javascript"), ("desk-audio.js", "javascript"),
                       ("desk.css", "css")):
        asset = client.get(f"/agent/static/{name}", headers=NO_HEADER)
        assert asset.status_code == 200 and kind in asset.headers["content-type"], name
    assert "registerProcessor" in client.get("/agent/static/desk-audio.js").text
    assert client.get("/agent/static/..%2Fdesk.py", headers=NO_HEADER).status_code == 404
    assert client.get("/agent/static/index.html", headers=NO_HEADER).status_code == 404


def test_the_desk_script_never_puts_text_in_as_html(app: tuple[TestClient, FakeWorld]) -> None:
    client, _ = app
    script = client.get("/agent/static/desk.js").text
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "document.write" not in script


def test_sign_in_refuses_a_wrong_key_and_a_supervisor_key_with_a_reason(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, _ = app
    wrong = client.post("/agent/sign-in", data={"key": "wrong-key-wrong-key"},
                        headers=NO_HEADER)
    assert wrong.status_code == 401 and "密钥无效" in wrong.json()["detail"]
    assert "set-cookie" not in wrong.headers
    boss = client.post("/agent/sign-in", data={"key": SUPERVISOR_KEY}, headers=NO_HEADER)
    assert boss.status_code == 403 and "坐席密钥" in boss.json()["detail"]
    assert "supervisor" in boss.json()["detail"] and "set-cookie" not in boss.headers
    admin = client.post("/agent/sign-in", data={"key": "test-admin-key-not-secret"},
                        headers=NO_HEADER)
    assert admin.status_code == 403
    assert client.post("/agent/sign-in", data={"key": ""}, headers=NO_HEADER
                       ).status_code in (401, 422)


def test_sign_in_sets_an_http_only_strict_cookie_that_opens_the_desk(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, _ = app
    key = _agent_key(client)
    response = client.post("/agent/sign-in", data={"key": key}, headers=NO_HEADER)
    assert response.status_code == 200 and response.json()["agent_id"] == "li"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"ivr_key={key}")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/" in lowered
    assert "secure" not in lowered  # plain http here; https below

    page = client.get("/agent", headers=NO_HEADER)  # the client keeps the cookie
    assert 'data-state="desk"' in page.text and 'data-agent-id="li"' in page.text
    assert "李&lt;敏&gt;" in page.text  # the name is escaped
    departments = client.get("/agent/departments", headers=NO_HEADER).json()
    assert any(d["department"] == "hrss" for d in departments)
    assert any(d["department"] == "tax" for d in departments)  # every department to transfer
    assert client.get("/api/callbacks", headers=NO_HEADER).status_code == 200
    with client.websocket_connect("/agent/ws", headers=NO_HEADER) as ws:
        welcome = ws.receive_json()
        assert welcome["type"] == "welcome" and welcome["agent_id"] == "li"

    out = client.post("/agent/sign-out", headers=NO_HEADER)
    assert out.status_code == 200
    assert 'ivr_key=""' in out.headers["set-cookie"] or "max-age=0" in \
        out.headers["set-cookie"].lower()
    assert 'data-state="sign-in"' in client.get("/agent", headers=NO_HEADER).text
    assert client.get("/agent/departments", headers=NO_HEADER).status_code == 401
    with pytest.raises(WebSocketDisconnect) as refused, \
            client.websocket_connect("/agent/ws", headers=NO_HEADER) as ws:
        ws.receive_json()
    assert refused.value.code == 1008


def test_behind_https_the_cookie_is_secure(app: tuple[TestClient, FakeWorld]) -> None:
    client, _ = app
    key = _agent_key(client)
    # X-Forwarded-Proto counts only from IVR_TRUSTED_PROXIES (ivr.web.proxies drops it else)
    response = client.post("/agent/sign-in", data={"key": key},
                           headers={**NO_HEADER, "X-Forwarded-Proto": "https"})
    assert "secure" not in response.headers["set-cookie"].lower()
    response = client.post("https://testserver/agent/sign-in", data={"key": key},
                           headers=NO_HEADER)
    assert "secure" in response.headers["set-cookie"].lower()
