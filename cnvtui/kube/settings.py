"""Every knob of the list+watch streams in one frozen, documented place.

Defaults suit a real cluster; tests shrink the timeouts and backoff bounds so minutes of
faults take seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class WatchSettings:
    """Timeouts, backoff bounds and page size of one list+watch stream."""

    page_size: int = 500
    """Objects per list page (`limit`); small pages keep each json.loads short."""

    watch_timeout: int = 300
    """`timeoutSeconds` of each watch request; the server ends the watch after it and we
    resume from the last resourceVersion. Spread by up to +25% so streams don't align."""

    idle_timeout: float = 90.0
    """No bytes on an open watch for this long means a half-open connection: reconnect.
    Resuming is cheap (no re-list), so this may be shorter than `watch_timeout`."""

    connect_timeout: float = 10.0
    """Seconds to establish a connection (TCP and TLS)."""

    request_timeout: float = 60.0
    """Total seconds for one list page."""

    backoff_initial: float = 0.5
    """First retry delay after an error; doubled on each further failure."""

    backoff_max: float = 30.0
    """Upper bound of the retry delay."""

    backoff_jitter: float = 0.5
    """Fraction of the delay drawn at random (0: none), so clients don't retry in step."""

    retry_after_max: float = 120.0
    """Upper bound on a server's Retry-After that we honour."""

    denied_retry: float = 60.0
    """Retry interval while forbidden, unauthorized or not installed (permissions, logins
    and CRDs change); a config reload wakes the stream sooner."""

    min_watch_seconds: float = 1.0
    """A watch that ends cleanly sooner than this with nothing received counts as a failure,
    so a server that closes at once cannot make us spin."""

    bookmarks: bool = True
    """Ask for BOOKMARK events (`allowWatchBookmarks`), which keep the resume point fresh."""

    clock: Callable[[], float] = field(default=time.time)
    """Wall-clock source for the `at`, `since` and `as_of` stamps on events."""


DEFAULT_SETTINGS = WatchSettings()
