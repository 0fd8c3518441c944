"""Voucher codes: unguessable (60 random bits), easy to read aloud and type.

Crockford base32 (no I, L, O, U), shown as XXXX-XXXX-XXXX; typing is forgiving: case, spaces,
dashes and the look-alikes O→0, I/L→1 are normalised before lookup, and so is what a Chinese
keyboard types in full-width mode (全角 ＡＺ０Ｒ－５２…) or a pasted 券码：prefix.
"""

from __future__ import annotations

import secrets
import unicodedata

from models.deals import ClaimStatus

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
# A voucher's code is shown while it can be used, and as the record of a use; never for a claim
# awaiting payment or one that ended without a voucher (the till refuses those anyway), so a
# screenshot never passes for a voucher. The Claim type and the data export both follow it.
CODE_SHOWN = (ClaimStatus.ISSUED, ClaimStatus.REDEEMED)


def new_code() -> str:
    # 60 random bits read once, 5 per character (32 symbols): the same uniform code as a choice
    # per character, with one call to the system's random source instead of twelve.
    bits = secrets.randbits(5 * LENGTH)
    return "".join(ALPHABET[(bits >> shift) & 31] for shift in range(0, 5 * LENGTH, 5))


def normalise(typed: str) -> str | None:
    """The stored form of a typed code, or None when it cannot be one of ours."""
    # NFKC folds full-width letters and digits (a till's IME in 全角 mode) to ASCII; anything else
    # that is not an ASCII letter or digit (dashes, spaces, 券码：) is dropped.
    folded = unicodedata.normalize("NFKC", typed[:64]).upper()
    code = "".join(ch for ch in folded if ch.isascii() and ch.isalnum()).translate(LOOKALIKES)
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def qr_payload(code: str) -> str:
    return f"tablemates://voucher/{code}"
