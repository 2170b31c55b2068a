"""Authentication, project access and scopes answer with PostHog's exact bodies."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_helpers import BASE, INSIGHTS, app_with, client_for
from support import TRENDS_QUERY

from tui.sandbox import DEMO_API_KEY, OTHER_PROJECT_API_KEY, READONLY_API_KEY


async def test_no_credentials_is_401_not_authenticated(sandbox_app: Any) -> None:
    async with client_for(sandbox_app, key=None) as http:
        response = await http.get(f"{INSIGHTS}/")
    assert response.status_code == 401
    assert response.json() == {
        "type": "authentication_error",
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "attr": None,
    }


async def test_unknown_key_is_401_authentication_failed(sandbox_app: Any) -> None:
    async with client_for(sandbox_app, key="phx_not_a_real_key") as http:
        response = await http.get(f"{INSIGHTS}/")
    assert response.status_code == 401
    assert response.json() == {
        "type": "authentication_error",
        "code": "authentication_failed",
        "detail": "Personal API key found in request Authorization header is invalid.",
        "attr": None,
    }


async def test_a_non_bearer_header_counts_as_no_credentials(sandbox_app: Any) -> None:
    async with client_for(sandbox_app, key=None) as http:
        response = await http.get(
            f"{INSIGHTS}/", headers={"Authorization": f"Token {DEMO_API_KEY}"}
        )
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


async def test_read_only_key_reads_but_may_not_write(sandbox_app: Any) -> None:
    async with client_for(sandbox_app, key=READONLY_API_KEY) as http:
        listed = await http.get(f"{INSIGHTS}/?basic=true")
        created = await http.post(f"{INSIGHTS}/", json={"name": "x", "query": TRENDS_QUERY})
        activity = await http.get(f"{INSIGHTS}/activity/")
    assert listed.status_code == 200
    assert created.status_code == 403
    assert created.json() == {
        "type": "authentication_error",
        "code": "permission_denied",
        "detail": "API key missing required scope 'insight:write'",
        "attr": None,
    }
    assert activity.status_code == 403
    assert activity.json()["detail"] == "API key missing required scope 'activity_log:read'"


async def test_write_scope_implies_read() -> None:
    app = app_with(keys={"phx_writer": ["insight:write"]})
    async with client_for(app, key="phx_writer") as http:
        response = await http.get(f"{INSIGHTS}/?basic=true&limit=1")
    assert response.status_code == 200


async def test_query_endpoints_need_query_read() -> None:
    app = app_with(keys={"phx_insights": ["insight:read"]})
    async with client_for(app, key="phx_insights") as http:
        response = await http.get(f"{BASE}/query/some-id/")
    assert response.status_code == 403
    assert response.json()["detail"] == "API key missing required scope 'query:read'"


async def test_key_without_project_access_is_403(sandbox_app: Any) -> None:
    async with client_for(sandbox_app, key=OTHER_PROJECT_API_KEY) as http:
        response = await http.get(f"{INSIGHTS}/")
    assert response.status_code == 403
    assert response.json() == {
        "type": "authentication_error",
        "code": "permission_denied",
        "detail": "API key does not have access to the requested project: ID 1.",
        "attr": None,
    }


async def test_unknown_project_is_404(client: Any) -> None:
    response = await client.get("/api/environments/999/insights/")
    assert response.status_code == 404
    assert response.json() == {
        "type": "invalid_request",
        "code": "not_found",
        "detail": "Not found.",
        "attr": None,
    }


@pytest.mark.parametrize(
    "path",
    [
        "/api/environments/1/insights/",
        "/api/projects/1/insights/",
        "/api/projects/@current/insights/",
        "/api/environments/@current/insights",
    ],
)
async def test_both_route_families_and_current(client: Any, path: str) -> None:
    response = await client.get(path, params={"basic": "true", "limit": 2})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


async def test_unknown_api_path_is_a_json_404(client: Any) -> None:
    response = await client.get(f"{BASE}/no_such_thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_current_user_and_project(client: Any) -> None:
    me = await client.get("/api/users/@me/")
    assert me.status_code == 200 and me.json()["email"] == "ada@hedgebox.dev"
    project = await client.get("/api/projects/@current/")
    assert project.status_code == 200 and project.json()["id"] == 1


async def test_an_older_server_has_only_the_projects_routes() -> None:
    """`legacy_routes_only`: /api/environments/ is unknown to it, so Django answers its plain HTML
    404 page (not PostHog's JSON); /api/projects/ works as before."""
    app = app_with(legacy_routes_only=True)
    async with client_for(app) as http:
        new = await http.get(f"{INSIGHTS}/?basic=true&limit=1")
        old = await http.get("/api/projects/1/insights/?basic=true&limit=1")
        project = await http.get("/api/projects/@current/")
    assert new.status_code == 404
    assert new.headers["content-type"].startswith("text/html")
    assert "Not Found" in new.text
    assert old.status_code == 200 and old.json()["count"] > 0
    assert project.json()["id"] == 1
