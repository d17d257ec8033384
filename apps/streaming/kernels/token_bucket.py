"""A token bucket: `rate` messages per second on average, bursts of up to `burst`. Pure Python.

take() always grants the message and says how long to wait before sending it: the bucket may go
negative (a reservation), so waiting senders queue in order without re-polling.
"""

from __future__ import annotations


class TokenBucket:
    __slots__ = ("rate", "burst", "tokens", "at")  # one small object: it is read per message and connection

    def __init__(self, rate: float, burst: float, now: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = float(rate)
        self.burst = float(burst)
        self.tokens = float(burst)
        self.at = now

    def take(self, now: float) -> float:
        """Spend one token; the seconds to wait before the message may go (0.0: at once)."""
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate
