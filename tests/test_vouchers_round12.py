"""Round 12: vouchers as Meituan group-buy users and tills use them, through the endpoint."""

from __future__ import annotations

from tests.helpers import gql, register
from tests.test_deals import a_deal, claim, code_of

CHECK = "query($c: String!) { voucherCheck(code: $c) { usable problem { code } claim { status } } }"
REDEEM = """
mutation($c: String!) { redeemVoucher(code: $c, billCents: 8800) { claim { status } errors { field code } } }
"""


def full_width(text: str) -> str:
    """What a Chinese IME in 全角 mode types for ASCII letters, digits and the dash."""
    return "".join("－" if ch == "-" else chr(ord(ch) + 0xFEE0) for ch in text)


async def test_a_code_typed_in_full_width_or_pasted_with_its_label_is_found(client):
    # A till on a Chinese keyboard left in 全角 mode typed ＡＺ０Ｒ－５２ＰＦ… and was told
    # NOT_FOUND; so was a code pasted from a chat as 「券码：AZ0R-52PF-4XWE」.
    owner, _, deal = await a_deal(client)
    diner, _, _ = await register(client)
    code = code_of(await claim(client, diner, deal))
    checked = (await gql(client, CHECK, {"c": full_width(code)}, owner))["data"]["voucherCheck"]
    assert checked == {"usable": True, "problem": None, "claim": {"status": "ISSUED"}}
    pasted = (await gql(client, CHECK, {"c": f"券码：{code.lower()}"}, owner))["data"]["voucherCheck"]
    assert pasted["usable"] is True
    taken = (await gql(client, REDEEM, {"c": full_width(code)}, owner))["data"]["redeemVoucher"]
    assert taken == {"claim": {"status": "REDEEMED"}, "errors": []}
    # Still exactly twelve symbols of ours: one character short is no voucher.
    short = (await gql(client, CHECK, {"c": full_width(code[:-1])}, owner))["data"]["voucherCheck"]
    assert short["problem"] == {"code": "NOT_FOUND"}
