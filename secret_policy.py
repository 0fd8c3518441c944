"""Server secrets: refuse placeholders and guessable values; give development its own random one.

SECRET_KEY signs tokens, upload URLs and share links and keys the location-privacy offset, so a
value anyone can read (a documented default, the deploy/env.example placeholder, "k" * 40)
hands every one of those to an attacker. Production refuses such values; development without
SECRET_KEY generates a random secret once per data directory (a 0600 file), never a constant.
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections import Counter
from pathlib import Path

MIN_LENGTH = 32
MIN_ENTROPY_BITS = 100  # `openssl rand -hex 16` estimates ~115; "k" * 40 estimates 0
SECRET_FILE = "secret_key"
# Words of placeholders and documented defaults (compared without case and punctuation).
PLACEHOLDER_WORDS = (
    "changeme",
    "replaceme",
    "placeholder",
    "example",
    "yoursecret",
    "devsecret",
    "insecure",
    "fillmein",
    "randomcharacters",
)


def estimated_entropy_bits(secret: str) -> float:
    """Shannon entropy of the character distribution times the length: a cheap upper bound
    that catches repeated characters and short alphabets, not clever human phrases."""
    counts = Counter(secret)
    total = len(secret)
    per_char = -sum(n / total * math.log2(n / total) for n in counts.values()) if total else 0.0
    return per_char * total


def weak_secret_reason(secret: str) -> str | None:
    """Why `secret` must not sign anything in production, or None when it is acceptable."""
    if len(secret) < MIN_LENGTH:
        return f"is shorter than {MIN_LENGTH} characters"
    folded = re.sub(r"[^a-z0-9]", "", secret.lower())
    for word in PLACEHOLDER_WORDS:
        if word in folded:
            return f"looks like a placeholder (contains {word!r})"
    if estimated_entropy_bits(secret) < MIN_ENTROPY_BITS:
        return "has too little randomness (repeated or few distinct characters)"
    return None


def development_secret(data_dir: Path) -> str:
    """The data directory's own random secret, created on first use with 0600 permissions.

    Written to a private temporary file and linked into place, so concurrent workers starting
    together all read the one complete secret that won the link.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SECRET_FILE
    if not path.exists():
        temporary = data_dir / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process won; use its secret
        finally:
            temporary.unlink(missing_ok=True)
    secret = path.read_text().strip()
    if weak_secret_reason(secret):
        raise ValueError(f"{path} does not hold a usable secret: delete it to generate a new one")
    return secret
