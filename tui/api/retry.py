"""When and how long to wait before trying a failed request again.

`RetryPolicy` is exponential backoff with jitter inside a total deadline; the client decides
*whether* a request may be retried at all (reads and cancels: yes; writes: only if it never left
this machine).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["RETRY_STATUSES", "RetryPolicy"]

#: Answers worth trying again: throttled, and the server errors that are usually passing.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff `base_delay * 2**attempt`, capped at `max_delay`, with "equal jitter" (each wait is
    drawn from its upper half), and never past `deadline` seconds after the first try."""

    base_delay: float = 0.5
    max_delay: float = 8.0
    deadline: float = 30.0
    max_attempts: int = 8
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def backoff(self, attempt: int) -> float:
        """The wait after failed try number `attempt` (0-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2.0**attempt))
        return ceiling / 2.0 + self.rng.uniform(0.0, ceiling / 2.0)

    def wait_before_retry(
        self, attempt: int, elapsed: float, server_wait: float | None = None
    ) -> float | None:
        """How long to sleep before the next try, or None to give up: out of attempts, or the wait
        (the server's, when it named one, else the backoff) would leave no time before the
        deadline for the next try."""
        if attempt + 1 >= self.max_attempts:
            return None
        wait = self.backoff(attempt)
        if server_wait is not None:
            wait = max(wait, server_wait)
        if elapsed + wait >= self.deadline:
            return None
        return wait
