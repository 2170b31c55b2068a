"""Random identifiers in PostHog's formats (UUIDs, 8-character short ids, sharing access
tokens), drawn from a given `random.Random` so seeded data stays deterministic, and the one-way
form share passwords are kept in.
"""

from __future__ import annotations

import hashlib
import random
import string

_SHORT_ID_ALPHABET = string.ascii_letters + string.digits


def make_uuid(rng: random.Random) -> str:
    """A version-4 UUID string drawn from `rng` (so seeded data stays deterministic)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"


def short_id(rng: random.Random) -> str:
    return "".join(rng.choices(_SHORT_ID_ALPHABET, k=8))


def access_token(rng: random.Random) -> str:
    return "".join(rng.choices(_SHORT_ID_ALPHABET + "-_", k=30))


def password_hash(raw: str) -> str:
    """What a share password is stored as; the password itself is shown once, on creation."""
    return hashlib.sha256(f"hogtui-sandbox:{raw}".encode()).hexdigest()
