"""API keys as configured and stored: the digest that is kept instead of a key, and the
`IVR_API_KEYS` setting (`role:key,…`) parsed into digests. Pure; the web layer checks them."""

from __future__ import annotations

import hashlib

CONFIG_ROLES = ("admin", "supervisor")
MIN_KEY_LENGTH = 16


def key_digest(key: str) -> str:
    """The stored form of an API key (SHA-256, hex)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_api_keys(spec: str) -> dict[str, str]:
    """`role:key,role:key` → {digest: role}; ValueError naming the bad entry (not the key)."""
    out: dict[str, str] = {}
    for n, entry in enumerate(p.strip() for p in spec.split(",")):
        if not entry:
            continue
        role, sep, key = entry.partition(":")
        if not sep or role not in CONFIG_ROLES or len(key) < MIN_KEY_LENGTH:
            raise ValueError(
                f"IVR_API_KEYS entry {n + 1}: expected role:key with role one of "
                f"{', '.join(CONFIG_ROLES)} and a key of at least {MIN_KEY_LENGTH} characters")
        out[key_digest(key)] = role
    return out
