"""Errors in the language the phone asks for: Chinese sentences when Accept-Language prefers zh."""

from __future__ import annotations

import pytest

from core.error_text import CHINESE, TRADITIONAL
from core.error_text import language as language_of
from core.errors import ErrorCode
from tests.helpers import REGISTER, register

FOLLOW = 'mutation { follow(userId: "VXNlcjox") { errors { code message } } }'
SEARCH = 'query { searchRestaurants(query: "") { edges { node { id } } } }'


async def post(client, query, variables=None, language=None, token=None):
    headers = {"Accept-Language": language} if language else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code in (200, 400), response.text
    return response.json()


async def sign_up_again(client, email, language):
    variables = {"input": {"email": email, "password": "correct horse battery", "displayName": "又来了"}}
    body = await post(client, REGISTER, variables, language)
    return body["data"]["register"]["errors"]


async def test_payload_errors_are_chinese_when_the_phone_prefers_chinese(client):
    _, _, email = await register(client)
    for language in ("zh-CN", "zh-Hans-CN", "zh-CN,zh;q=0.9,en;q=0.8", "en;q=0.5, zh"):
        [error] = await sign_up_again(client, email, language)
        assert error == {"field": "email", "code": "EMAIL_TAKEN", "message": "该邮箱已被注册"}, language
    for language in (None, "en-US", "en-US,en;q=0.9,zh-CN;q=0.8", "fr-FR", "zh;q=0"):
        [error] = await sign_up_again(client, email, language)
        assert error["code"] == "EMAIL_TAKEN" and error["message"].isascii(), (language, error)
    for language in ("zh-TW", "zh-Hant-HK", "zh-HK,zh;q=0.9,en;q=0.8"):
        [error] = await sign_up_again(client, email, language)
        assert error == {"field": "email", "code": "EMAIL_TAKEN", "message": "該郵箱已被註冊"}, language


async def test_graphql_errors_are_chinese_too_and_keep_their_codes(client):
    body = await post(client, FOLLOW, language="zh-CN")
    [error] = body["errors"]
    assert error["message"] == "请先登录" and error["extensions"]["code"] == "UNAUTHENTICATED"
    body = await post(client, FOLLOW, language="en")
    assert body["errors"][0]["message"] == "Sign in first"
    body = await post(client, SEARCH, language="zh-CN")
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == CHINESE[error["extensions"]["reason"]]
    body = await post(client, FOLLOW, language="zh-Hant-TW")
    assert body["errors"][0]["message"] == "請先登錄"


def test_every_error_code_has_its_chinese_sentence():
    missing = [code.value for code in ErrorCode if not CHINESE.get(code.value)]
    assert missing == []


def test_the_traditional_sentences_are_opencc_s2t_of_the_simplified_ones():
    """TRADITIONAL is written out (no converter in every worker); it must stay OpenCC's s2t of
    CHINESE (注册 → 註冊, 重复 → 重複: by phrase, not character by character)."""
    from opencc import OpenCC

    s2t = OpenCC("s2t")
    assert TRADITIONAL == {code: s2t.convert(sentence) for code, sentence in CHINESE.items()}


@pytest.mark.parametrize(
    ("header", "told"),
    [
        ("", "en"),
        ("*", "en"),
        ("zh", "zh-Hans"),
        ("ZH-hk", "zh-Hant"),
        ("zh-Hant-CN", "zh-Hant"),
        ("zh-Hans-HK", "zh-Hans"),
        ("zh-TW;q=0.9, zh-CN", "zh-Hans"),  # the best-weighted Chinese tag decides the script
        ("en, zh", "en"),
        ("zh, en", "zh-Hans"),
        ("zh;q=0.8, en;q=0.8", "zh-Hans"),
        ("en;q=0.8, zh;q=0.8", "en"),
        ("zh;q=abc, en;q=0.1", "en"),
        ("zh;q=0.2, ja, en;q=0.1", "zh-Hans"),
        (", ;;, zh-CN;q=1.0", "zh-Hans"),
        ("en;q=0.1," * 1000 + "zh", "en"),  # only the first 32 items are read
    ],
)
def test_accept_language_is_read_as_phones_send_it(header, told):
    assert language_of(header) == told
