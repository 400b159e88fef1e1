"""A stable pseudonymous key of a customer for analysts: the same customer always gets the same key, so distinct
customers can be counted and joined across exports, but the key cannot be turned back into the id without the
server's secret (HMAC-SHA256, truncated to 128 bits)."""

from __future__ import annotations

import hashlib
import hmac


def pseudonymous_key(*, secret: str, customer_id: int) -> str:
    digest = hmac.new(secret.encode(), f"customer:{customer_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:32]
