"""Only the exact canonical token signs in: any other spelling of a valid token is refused."""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.tokens import issue_token, read_token
from tests.helpers import gql, register

SECRET = "test-secret-" + "y" * 32
TOKEN = issue_token(SECRET, 42, 3, 3600, 7)
ME = "{ me { id } }"


def _mutations() -> st.SearchStrategy[str]:
    """Edits of TOKEN: insert, delete, replace, append, pad, alphabet swaps, case flips."""
    index = st.integers(0, len(TOKEN) - 1)
    junk = st.text(min_size=1, max_size=4)
    return st.one_of(
        st.tuples(index, junk).map(lambda p: TOKEN[: p[0]] + p[1] + TOKEN[p[0] :]),
        index.map(lambda i: TOKEN[:i] + TOKEN[i + 1 :]),
        st.tuples(index, st.characters()).map(lambda p: TOKEN[: p[0]] + p[1] + TOKEN[p[0] + 1 :]),
        junk.map(lambda j: TOKEN + j),
        st.integers(1, 3).map(lambda n: TOKEN + "=" * n),
        st.sampled_from(["-+", "_/", "+-", "/_"]).map(lambda ab: TOKEN.replace(ab[0], ab[1])),
        index.map(lambda i: TOKEN[:i] + TOKEN[i].swapcase() + TOKEN[i + 1 :]),
    ).filter(lambda mutated: mutated != TOKEN)


def test_the_canonical_token_reads():
    claims = read_token(SECRET, TOKEN)
    assert claims is not None and (claims.user_id, claims.version, claims.session_id) == (42, 3, 7)


@settings(max_examples=600, suppress_health_check=[HealthCheck.filter_too_much])
@given(_mutations())
def test_any_mutation_of_a_valid_token_is_refused(mutated: str):
    assert read_token(SECRET, mutated) is None


def _respell_signature(token: str) -> list[str]:
    """Same signature bytes, other spellings: padded, standard alphabet, non-zero trailing bits."""
    prefix, body, signature = token.split(".")
    raw = base64.urlsafe_b64decode(signature + "=")
    spellings = [
        f"{prefix}.{body}.{signature}=",
        f"{prefix}.{body}.{base64.b64encode(raw).decode().rstrip('=')}",
        f"{prefix}.{body}=.{signature}",
        f"{prefix}.{body}.{signature[:-1]}{chr(ord(signature[-1]) + 1)}",  # 32 bytes: 2 spare bits
        f"{prefix}.{body}.{signature}.",
        f"{prefix}.{body}.{signature}%3D",
        f"{prefix}.{body}.{signature[:10]}\n{signature[10:]}",
    ]
    return [s for s in spellings if s != token]


async def test_only_the_exact_token_signs_in_through_the_api(client):
    token, user_id, _ = await register(client)
    assert (await gql(client, ME, token=token))["data"]["me"]["id"] == user_id
    variants = _respell_signature(token)
    assert read_token(SECRET, TOKEN) is not None and len(variants) >= 5
    for variant in variants:
        assert (await gql(client, ME, token=variant))["data"]["me"] is None, variant


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_tool_tokens_without_a_session_still_read(data):
    """Tokens minted by tools (bench) carry no session id and stay valid."""
    user_id = data.draw(st.integers(1, 2**53))
    claims = read_token(SECRET, issue_token(SECRET, user_id, 0, 60))
    assert claims is not None and claims.user_id == user_id and claims.session_id is None
