"""The relay's hand-off to sinks: offer() per event, then offered() once per batch and listener, a
failing sink leaving the others served (no Redis: batches are dispatched as the reader would)."""

from __future__ import annotations

from apps.platform.bus.events import Event
from apps.platform.bus.relay import Listener, Relay


class Sink:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list = []
        self.fail = fail

    def offer(self, ev) -> None:
        self.calls.append(ev.id)

    def offered(self) -> None:
        self.calls.append("offered")
        if self.fail:
            raise RuntimeError("sink broke")


def _ev(i: int, topic: str) -> Event:
    return Event(f"{i}-0", topic, "normal", {}, 0.0)


def _relay(*specs) -> tuple[Relay, list[Sink]]:
    relay, sinks = Relay(), []
    for patterns, fail in specs:
        sink = Sink(fail)
        lis = Listener(patterns, "0-0", sink=sink)
        relay.listeners.add(lis)
        relay.index.add_all(lis.patterns, lis)
        sinks.append(sink)
    return relay, sinks


def test_each_listener_is_offered_its_events_then_told_once_per_batch(caplog):
    relay, (quotes, bars, broken) = _relay((["market.data.quotes.*"], False), (["market.data.bars.*"], False),
                                           (["market.#"], True))  # fmt: skip
    after = []
    relay.after_dispatch(lambda: after.append(1))
    relay._dispatch([_ev(1, "market.data.quotes.A")])  # a batch of one
    assert quotes.calls == ["1-0", "offered"] and bars.calls == []
    relay._dispatch(
        [_ev(2, "market.data.quotes.A"), _ev(3, "market.data.bars.A"), _ev(4, "market.data.quotes.B")]
    )
    assert quotes.calls == ["1-0", "offered", "2-0", "4-0", "offered"]
    assert bars.calls == ["3-0", "offered"]
    assert broken.calls == ["1-0", "offered", "2-0", "3-0", "4-0", "offered"]  # raised twice, still fed
    assert after == [1, 1] and sum("offered() of" in r.getMessage() for r in caplog.records) == 2


def test_a_listener_takes_only_events_after_it_attached():
    relay, (sink,) = _relay((["x.*"], False))
    next(iter(relay.listeners)).since = (5, 0)
    relay._dispatch([_ev(5, "x.a"), _ev(6, "x.a")])
    assert sink.calls == ["6-0", "offered"]
