"""Table-free utk codec: a 32-hex utk is an obfuscated number plus a keyed checksum.

A utk encodes ``index * 4 + slot`` (the contact's position and which of its
utks this is). The first 16 hex digits are that number passed through a keyed
4-round Feistel permutation; the last 16 are a keyed BLAKE2b tag of the first
half. Decoding checks the tag, so a random 32-hex string is rejected with
probability 1 - 2**-64, and no table of utks is ever built.

Examples
--------
>>> codec = UtkCodec(b"portal-key")
>>> utk = codec.encode(42)
>>> len(utk), codec.decode(utk)
(32, 42)
>>> codec.decode("0" * 32) is None
True
"""

from __future__ import annotations

import hashlib
import string

__all__ = ["UtkCodec"]

_MASK32 = 0xFFFFFFFF
_HEX = frozenset(string.hexdigits.lower())


class UtkCodec:
    """Encode non-negative integers (< 2**64) as checksummed 32-hex utks and back.

    Parameters
    ----------
    key
        Secret-free portal key (derived from seed and portal id); different keys
        give unrelated utks.
    """

    def __init__(self, key: bytes) -> None:
        self._key = hashlib.blake2b(key, digest_size=32).digest()

    def _round(self, r: int, half: int) -> int:
        digest = hashlib.blake2b(
            half.to_bytes(4, "big") + bytes([r]), key=self._key, digest_size=4
        ).digest()
        return int.from_bytes(digest, "big")

    def _tag(self, block: int) -> int:
        digest = hashlib.blake2b(
            block.to_bytes(8, "big") + b"tag", key=self._key, digest_size=8
        ).digest()
        return int.from_bytes(digest, "big")

    def encode(self, number: int) -> str:
        """Return the utk of ``number``."""
        left, right = number >> 32, number & _MASK32
        for r in range(4):
            left, right = right, left ^ self._round(r, right)
        block = (left << 32) | right
        return f"{block:016x}{self._tag(block):016x}"

    def decode(self, utk: str) -> int | None:
        """Return the number a utk encodes, or ``None`` if it is not one of ours."""
        if len(utk) != 32 or not _HEX.issuperset(utk):
            return None
        block, tag = int(utk[:16], 16), int(utk[16:], 16)
        if self._tag(block) != tag:
            return None
        left, right = block >> 32, block & _MASK32
        for r in reversed(range(4)):
            left, right = right ^ self._round(r, left), left
        return (left << 32) | right
