"""Small leaks closed (issue 13, items 6 and 10): each tried as a hostile client would."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.servers import running_servers

REGISTER = "mutation($i: RegisterInput!) { register(input: $i) { errors { code } } }"


def _registration(name: str = "限") -> dict:
    return {
        "query": REGISTER,
        "variables": {
            "i": {
                "email": f"r-{uuid.uuid4().hex[:10]}@example.com",
                "password": "correct horse battery",
                "displayName": name,
            }
        },
    }


async def _register_codes(http: httpx.AsyncClient, forwarded_for: list[str]) -> list[list[str]]:
    codes = []
    for address in forwarded_for:
        response = await http.post("/graphql", json=_registration(), headers={"X-Forwarded-For": address})
        assert response.status_code == 200, response.text
        codes.append([e["code"] for e in response.json()["data"]["register"]["errors"]])
    return codes


@pytest.mark.parametrize("trust", [False, True])
async def test_serve_believes_x_forwarded_for_only_when_trust_forwarded_for_is_on(settings, app, trust):
    """A real `serve` process from loopback: uvicorn's own proxy_headers must not decide."""
    spoofed = [f"198.51.100.{n}" for n in range(1, 5)]
    env = {
        "RATE_LIMIT_REGISTRATIONS_PER_HOUR": "2",
        "TRUST_FORWARDED_FOR": "true" if trust else "false",
        "REDIS_NAMESPACE": f"leaks-{uuid.uuid4().hex[:8]}",
    }
    with running_servers(settings, 1, extra_env=env, shared_redis=False) as (url,):
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            rotating = await _register_codes(http, spoofed)
            if trust:
                # Behind our own proxy each address has its own budget...
                assert rotating == [[], [], [], []]
                # ...and one address is still limited however often it comes back.
                repeated = await _register_codes(http, ["203.0.113.9"] * 3)
                assert repeated == [[], [], ["RATE_LIMITED"]]
            else:
                # Rotating the header buys nothing: the socket's address (loopback) counts.
                assert rotating == [[], [], ["RATE_LIMITED"], ["RATE_LIMITED"]]
