"""Redis's errors, told apart without importing redis-py.

redis-py is imported only when REDIS_URL is set (`bootstrap.build_runtime`): it takes a third of a second, and it loads
the OpenTelemetry metrics SDK when that is installed. Until it is imported, no error can be one of its own.
"""

from __future__ import annotations

import sys


def redis_errors(*others: type[Exception]) -> tuple[type[Exception], ...]:
    """For an `except` clause: `others` and redis-py's base error once it is loaded."""
    module = sys.modules.get("redis.exceptions")
    return others if module is None else (*others, module.RedisError)


def is_redis_error(error: BaseException) -> bool:
    return isinstance(error, redis_errors())
