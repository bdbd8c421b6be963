"""The log-in lockout: a few failed attempts per account and per address, then a pause.

Each attempt is *reserved* with an atomic cache increment before the password or code is checked,
so parallel attempts cannot slip past the limit between a check and an update: at most
`LOGIN_FAILURE_LIMIT` guesses per account are ever checked in one window, however many arrive at
once. A correct step gives its reservation back; a full log-in clears the account's count.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

# Many agents may share an office's address; the address limit only stops spraying.
ADDRESS_LIMIT_FACTOR = 4


@dataclass(frozen=True)
class LockoutKey:
    name: str
    limit: int

    @property
    def count_key(self) -> str:
        return f"login-failures:{self.name}"

    @property
    def until_key(self) -> str:
        return f"login-locked-until:{self.name}"


def lockout_keys(*, username: str, address: str | None) -> list[LockoutKey]:
    limit = settings.LOGIN_FAILURE_LIMIT
    account = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    keys = [LockoutKey(f"user:{account}", limit)]
    if address:
        keys.append(LockoutKey(f"addr:{address}", limit * ADDRESS_LIMIT_FACTOR))
    return keys


def _increment(key: str, window: int) -> int:
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window)
        return 1


def attempt_reserve(keys: list[LockoutKey]) -> int | None:
    """Reserve one attempt on every key. None if it may go ahead; otherwise the seconds until it
    may be tried again (nothing is checked then)."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    reserved: list[LockoutKey] = []
    for key in keys:
        if _increment(key.count_key, window) > key.limit:
            for taken in reserved:
                _release(taken)
            _release(key)
            return _seconds_left(key)
        reserved.append(key)
    return None


def _release(key: LockoutKey) -> None:
    with contextlib.suppress(ValueError):
        cache.decr(key.count_key)


def _seconds_left(key: LockoutKey) -> int:
    until = cache.get(key.until_key)
    if until is None:
        return settings.LOGIN_LOCKOUT_SECONDS
    return max(1, int(until - time.time()))


def attempt_succeeded(keys: list[LockoutKey], *, finished: bool) -> None:
    """Give the reservation back; a finished log-in also forgets the account's failures."""
    for key in keys:
        if finished and key.name.startswith("user:"):
            cache.delete_many([key.count_key, key.until_key])
        else:
            _release(key)


def attempt_failed(keys: list[LockoutKey]) -> bool:
    """Keep the reservation as a failure. True if this failure locked a key: the lock then lasts
    LOGIN_LOCKOUT_SECONDS from now, and the count is kept as long."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    locked = False
    for key in keys:
        failures = cache.get(key.count_key, 0)
        if failures >= key.limit and cache.add(key.until_key, time.time() + window, window):
            cache.touch(key.count_key, window)
            locked = True
    return locked


def locked_out_for(keys: list[LockoutKey]) -> int | None:
    """Seconds left if any key is locked now (without reserving an attempt)."""
    for key in keys:
        if cache.get(key.count_key, 0) >= key.limit and cache.get(key.until_key) is not None:
            return _seconds_left(key)
    return None
