"""Event frames written straight to the socket of a connection served by uvicorn's websockets-sansio
protocol (uvicorn's default WebSocket implementation), bypassing the ASGI send.

Why: through the ASGI send, every frame to every connection costs a coroutine, the protocol's
checks, the UTF-8 encoding of the text and a websockets Frame serialized anew, though a server's
frames are not masked and, without compression, one event's frame is the same bytes for every
connection. Here it is encoded once per event (Event.memo) and handed to each transport as is, the
way `websockets.broadcast` hands one message to many connections; several frames queued for one
connection go in one write.

The bytes written are exactly those the protocol would write: a final, unmasked text frame is all
its send_text does for an open connection (tests compare them), and it keeps no state for one. A
connection qualifies only when its ASGI send is that protocol's own method and it negotiated no
extension (permessage-deflate compresses per connection); anything else (another server, the test
communicator, compression) uses the ASGI send. Each write first checks what the protocol's send
would: the connection is open (the consumer's own `closed` covers a close this server sent), and
the transport is not paused. A paused
transport (a client not reading) leaves the frame to the ASGI send, which waits for it to drain.
"""

from __future__ import annotations

from websockets.frames import Frame, Opcode
from websockets.protocol import OPEN

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
except ImportError:  # pragma: no cover - uvicorn without it, or not installed: the ASGI send only
    WebSocketsSansIOProtocol = None

MEMO_KEY = "streaming.wire"  # Event.memo: the event's frame bytes, shared by every connection


def encode_text(text: str) -> bytes:
    """A final, unmasked text frame carrying `text`, as a server writes it with no extension."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


class Wire:
    """Direct writes to one connection's transport."""

    __slots__ = ("transport", "writable")

    def __init__(self, proto) -> None:
        self.transport, self.writable = proto.transport, proto.writable

    @classmethod
    def of(cls, send) -> Wire | None:
        """The wire behind an ASGI send callable, if frames may bypass it (after the accept)."""
        proto = getattr(send, "__self__", None)
        if WebSocketsSansIOProtocol is None or type(proto) is not WebSocketsSansIOProtocol:
            return None
        if getattr(proto, "send", None) != send or proto.conn.extensions or proto.conn.state is not OPEN:
            return None
        return cls(proto)

    def ready(self) -> bool:
        """Would the protocol's own send write a frame now, without waiting? Its transport is not
        closing (the protocol closes it as soon as a close frame arrives or the connection is lost,
        within the same callback) and not paused (an empty write buffer is never paused; otherwise
        the protocol's `writable`). A close frame this server sent is the caller's to know: every
        close goes through FeedConsumer.close(), which marks the connection closed first."""
        t = self.transport
        return not t.is_closing() and (not t.get_write_buffer_size() or self.writable.is_set())

    def write(self, frames: bytes) -> None:
        self.transport.write(frames)
