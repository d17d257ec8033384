"""publish() and publish_many(), the outage buffer, flush() and status().

Ids: every stream of one bus takes its ids from one sequence (a Lua script reads the server clock
and the last id handed out, then XADDs with an explicit id). Ids are therefore unique and ordered
across *all* family streams, which is what lets a single durable id resume a pattern subscription
that spans several streams: each stream is read from the same id and the results merge in order.

Redis down: the event goes into a bounded in-memory deque (oldest dropped when full, counted and
logged), publish() returns None, and further attempts back off briefly so a dead Redis does not
cost every caller a connect timeout. The next publish after the back-off, or flush(), sends the
buffer in order before anything new.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import redis

from . import connection, fanout, metrics
from .events import F_PAYLOAD, F_PRIORITY, F_TIME, F_TOPIC, Event, encode_payload
from .topics import topic_family, topic_priority, validate_priority, validate_topic

log = logging.getLogger("apps.platform.bus")

# KEYS: stream, seq, streams-set.  ARGV: maxlen, then field/value pairs.
_XADD_SEQ = """
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local seq = 0
local last = redis.call('GET', KEYS[2])
if last then
  local dash = string.find(last, '-', 1, true)
  local lms = tonumber(string.sub(last, 1, dash - 1))
  if ms <= lms then
    ms = lms
    seq = tonumber(string.sub(last, dash + 1)) + 1
  end
end
local id = string.format('%.0f-%.0f', ms, seq)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], id, unpack(ARGV, 2))
redis.call('SET', KEYS[2], id)
redis.call('SADD', KEYS[3], KEYS[1])
return id
"""

_LOG_EVERY = 10.0  # seconds between repeated warnings while Redis stays down
_BACKOFF_MIN, _BACKOFF_MAX = 0.5, 5.0


@dataclass(frozen=True)
class _Pending:
    topic: str
    priority: str
    data: str  # payload, already JSON-encoded (validated at publish time)
    published_at: float


class _State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.buffer: deque[_Pending] = deque()
        self.published = 0
        self.buffered = 0
        self.dropped = 0
        self.connected: bool | None = None  # None: not tried yet
        self.last_error: str | None = None
        self.retry_at = 0.0
        self.backoff = _BACKOFF_MIN
        self.last_warn = 0.0
        self.last_drop_log = 0.0
        self.drops_unlogged = 0
        self.script = None


_state = _State()


def _script():
    if _state.script is None:
        _state.script = connection.client().register_script(_XADD_SEQ)
    return _state.script


def _call(p: _Pending, cfg, client=None):
    """The id script's call that XADDs `p` (on `client`, a pipeline, when given)."""
    args = [
        cfg.maxlen,
        F_TOPIC,
        p.topic,
        F_PRIORITY,
        p.priority,
        F_PAYLOAD,
        p.data,
        F_TIME,
        repr(p.published_at),
    ]
    keys = [cfg.stream_key(topic_family(p.topic)), cfg.seq_key, cfg.streams_key]
    return _script()(keys=keys, args=args, client=client)


def _sent(p: _Pending, raw) -> Event:
    entry_id = raw.decode() if isinstance(raw, bytes) else raw
    metrics.PUBLISHED.labels(family=topic_family(p.topic), priority=p.priority).inc()
    with _state.lock:
        _state.published += 1
    return Event(entry_id, p.topic, p.priority, json.loads(p.data), p.published_at)


def _send(p: _Pending) -> Event:
    return _sent(p, _call(p, connection.config()))


def _send_many(pending: list[_Pending]) -> list[Event]:
    """`pending` in order, through one pipeline: one round trip instead of one per event (each is
    still XADDed by the id script, which runs atomically, in the order given)."""
    cfg = connection.config()
    pipe = connection.client().pipeline(transaction=False)
    for p in pending:
        _call(p, cfg, pipe)
    return [_sent(p, raw) for p, raw in zip(pending, pipe.execute(), strict=True)]


def _mark_up() -> None:
    if _state.connected is False:
        log.info("event bus reconnected to Redis")
    _state.connected = True
    _state.backoff = _BACKOFF_MIN
    _state.retry_at = 0.0


def _mark_down(exc: Exception) -> None:
    _state.connected = False
    _state.last_error = f"{type(exc).__name__}: {exc}"
    _state.retry_at = time.monotonic() + _state.backoff
    _state.backoff = min(_state.backoff * 2, _BACKOFF_MAX)


def _buffer(p: _Pending) -> None:
    """Caller holds the lock."""
    cap = connection.config().buffer_size
    while len(_state.buffer) >= max(cap, 1):
        lost = _state.buffer.popleft()
        _state.dropped += 1
        _state.drops_unlogged += 1
        metrics.DROPPED.inc()
        now = time.monotonic()
        if _state.drops_unlogged == 1 or now - _state.last_drop_log >= _LOG_EVERY:
            log.error(
                "event bus buffer full (%d): dropped %d event(s) since last report, %d in total; "
                "oldest dropped now: %s",
                cap,
                _state.drops_unlogged,
                _state.dropped,
                lost.topic,
            )
            _state.last_drop_log, _state.drops_unlogged = now, 0
    _state.buffer.append(p)
    _state.buffered += 1
    metrics.BUFFERED.inc()
    now = time.monotonic()
    if now - _state.last_warn >= _LOG_EVERY:
        log.warning(
            "event bus cannot reach Redis (%s); buffering in memory, %d event(s) waiting",
            _state.last_error,
            len(_state.buffer),
        )
        _state.last_warn = now


def _drain() -> tuple[int, list[Event]]:
    """Send the buffer in order; stop at the first failure. Caller holds the lock."""
    sent: list[Event] = []
    while _state.buffer:
        try:
            sent.append(_send(_state.buffer[0]))
        except redis.RedisError as exc:
            _mark_down(exc)
            break
        _state.buffer.popleft()
        _mark_up()
    if sent:
        log.info("event bus flushed %d buffered event(s), %d still waiting", len(sent), len(_state.buffer))
    return len(sent), sent


def _pending(topic: str, payload: dict, priority: str | None) -> _Pending:
    validate_topic(topic)
    prio = validate_priority(priority) if priority is not None else topic_priority(topic)
    return _Pending(topic, prio, encode_payload(payload), time.time())


def publish(topic: str, payload: dict, *, priority: str | None = None) -> str | None:
    """Write an event; return its durable id, or None if Redis is down and the event was buffered.

    Raises ValueError only for caller bugs (bad topic, priority or payload). When called inside a
    transaction, call it from transaction.on_commit so subscribers never see uncommitted state.
    """
    return _publish(_pending(topic, payload, priority))


PIPELINE_EVENTS = 1000  # events per round trip of publish_many


def publish_many(events: Sequence[tuple[str, dict]]) -> list[str | None]:
    """publish() of each (topic, payload), in order, in round trips of up to PIPELINE_EVENTS events
    (a monitor run opening thousands of breaches paid a round trip per event: 1.3 s for 3,700).
    The ids in order; None for each event buffered because Redis is down (a failed round trip
    buffers its events in order, as publish() would each). Every event is validated before any is
    sent (ValueError)."""
    pending = [_pending(topic, payload, None) for topic, payload in events]
    out: list[str | None] = []
    for at in range(0, len(pending), PIPELINE_EVENTS):
        chunk = pending[at : at + PIPELINE_EVENTS]
        if _state.buffer or time.monotonic() < _state.retry_at:
            out += [_publish(p) for p in chunk]  # behind the buffer, or backing off: one at a time
            continue
        try:
            sent = _send_many(chunk)
        except redis.RedisError as exc:
            with _state.lock:
                _mark_down(exc)
                for p in chunk:
                    _buffer(p)
            out += [None] * len(chunk)
            continue
        _mark_up()
        fanout.dispatch(sent)
        out += [e.id for e in sent]
    return out


def _publish(pending: _Pending) -> str | None:
    flushed: list[Event] = []
    if not _state.buffer and time.monotonic() >= _state.retry_at:
        try:
            event = _send(pending)
        except redis.RedisError as exc:
            with _state.lock:
                _mark_down(exc)
                _buffer(pending)
            return None
        _mark_up()
        fanout.dispatch([event])
        return event.id

    with _state.lock:  # a buffer exists: keep order, it goes out first
        if time.monotonic() >= _state.retry_at:
            _, flushed = _drain()
        if _state.buffer:
            _buffer(pending)
            event = None
        else:
            try:
                event = _send(pending)
                _mark_up()
            except redis.RedisError as exc:
                _mark_down(exc)
                _buffer(pending)
                event = None
    fanout.dispatch(flushed + ([event] if event else []))
    return event.id if event else None


def flush() -> int:
    """Try to send buffered events now (ignoring the back-off); return how many were sent."""
    with _state.lock:
        n, sent = _drain()
    fanout.dispatch(sent)
    return n


def status() -> dict:
    """Cheap (no Redis round trip): what the last attempt found. Used by /health."""
    with _state.lock:
        return {
            "connected": bool(_state.connected) if _state.connected is not None else _probe(),
            "buffered": len(_state.buffer),
            "dropped": _state.dropped,
            "published": _state.published,
            "last_error": _state.last_error,
            "stream_prefix": connection.config().prefix,
        }


def _probe() -> bool:
    """Before the first publish, one PING tells /health whether Redis is there."""
    try:
        connection.client().ping()
    except redis.RedisError as exc:
        _mark_down(exc)
        return False
    _mark_up()
    return True


def reset_state() -> None:
    """Forget buffer, counters and connection state (tests; after configure())."""
    global _state
    _state = _State()


def reconnect() -> None:
    """New target: keep the buffer and counters, drop the cached script and the back-off."""
    with _state.lock:
        _state.script = None
        _state.retry_at = 0.0
        _state.backoff = _BACKOFF_MIN
        _state.connected = None
