"""Which subscribers want a topic: an index of patterns, so dispatch costs what matches, not a scan
of every subscriber per event.

Exact topics (no wildcard) sit in a dict; wildcard patterns in a trie keyed by segment, with `*`
and `#` as children of their own (topics.py's syntax: `*` one segment, `#` the rest, last only).
A lookup walks the topic's segments once, following the literal child, the `*` child and any `#`
child: with N subscribers and P distinct patterns a topic costs O(segments × branching), not N × P.
Items are any hashable (the relay's listeners); one item may hold several patterns.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from .topics import _split


class _Node:
    __slots__ = ("children", "items", "rest")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.items: set = set()  # patterns ending at this node
        self.rest: set = set()  # patterns ending in `#` here (zero or more further segments)

    def empty(self) -> bool:
        return not (self.children or self.items or self.rest)


class PatternIndex:
    def __init__(self) -> None:
        self._exact: dict[str, set] = {}
        self._root = _Node()
        self._count: dict[tuple[str, Hashable], int] = {}

    def __len__(self) -> int:
        return len(self._count)

    def add(self, pattern: str, item: Hashable) -> None:
        key = (pattern, item)
        if key in self._count:
            return
        self._count[key] = 1
        segs = _split(pattern)
        if "*" not in segs and "#" not in segs:
            self._exact.setdefault(pattern, set()).add(item)
            return
        node = self._root
        for seg in segs:
            if seg == "#":
                node.rest.add(item)
                return
            node = node.children.setdefault(seg, _Node())
        node.items.add(item)

    def remove(self, pattern: str, item: Hashable) -> None:
        if self._count.pop((pattern, item), None) is None:
            return
        segs = _split(pattern)
        if "*" not in segs and "#" not in segs:
            bucket = self._exact[pattern]
            bucket.discard(item)
            if not bucket:
                del self._exact[pattern]
            return
        path: list[tuple[_Node, str]] = []
        node = self._root
        for seg in segs:
            if seg == "#":
                node.rest.discard(item)
                break
            path.append((node, seg))
            node = node.children[seg]
        else:
            node.items.discard(item)
        # Prune the branch it leaves empty, so a churn of patterns does not grow the trie forever.
        for parent, seg in reversed(path):
            child = parent.children[seg]
            if not child.empty():
                break
            del parent.children[seg]

    def add_all(self, patterns: Iterable[str], item: Hashable) -> None:
        for p in patterns:
            self.add(p, item)

    def remove_all(self, patterns: Iterable[str], item: Hashable) -> None:
        for p in patterns:
            self.remove(p, item)

    def match(self, topic: str) -> set:
        """Every item with at least one pattern matching `topic`."""
        out: set = set()
        exact = self._exact.get(topic)
        if exact:
            out |= exact
        if not self._root.empty():
            self._walk(self._root, _split(topic), 0, out)
        return out

    def _walk(self, node: _Node, segs: tuple[str, ...], i: int, out: set) -> None:
        if node.rest:
            out |= node.rest  # `#` matches zero or more remaining segments
        if i == len(segs):
            if node.items:
                out |= node.items
            return
        child = node.children.get(segs[i])
        if child is not None:
            self._walk(child, segs, i + 1, out)
        star = node.children.get("*")
        if star is not None:
            self._walk(star, segs, i + 1, out)
