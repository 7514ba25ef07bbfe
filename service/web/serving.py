"""The production server: waitress, with slow clients timed out so they cannot hold every connection.

waitress closes a connection idle for `channel_timeout`, but a client that trickles its request
head a byte at a time is never idle, and a hundred such clients fill `connection_limit`; so a
connection whose request head is not complete `HEADER_TIMEOUT` seconds after its first byte is closed
too. The check runs in waitress's maintenance pass, every `cleanup_interval` (1 s here).

waitress copies a response into a temporary file once more than `outbuf_overflow` bytes wait to be
sent (1 MiB by default): an answer of a few MB paid 4 ms for the file (a 3 MB one, 79 against 75 ms).
Here the file begins above the largest answer kept whole (answers.STREAM_ABOVE); a larger answer
comes in parts, which a client that reads them keeps far below it.
"""
from __future__ import annotations

import time

import waitress
from waitress.channel import HTTPChannel

from service.store.answers import STREAM_ABOVE

CLEANUP_SECONDS = 1


class _TimedChannel(HTTPChannel):
    request_started: float | None = None

    def received(self, data):
        if data and self.request is None:
            self.request_started = time.time()
        outcome = super().received(data)
        if self.request is None:
            self.request_started = None
        return outcome


def create_server(app, config: dict, host: str | None = None, port: int | None = None):
    """A waitress server for `app` with the limits of `config` (not yet running: call `.run()`)."""
    server = waitress.create_server(
        app, host=host or config["HOST"], port=config["PORT"] if port is None else port,
        threads=config["THREADS"], ident="alliance-kg", max_request_body_size=config["MAX_BODY_BYTES"],
        channel_timeout=config["CHANNEL_TIMEOUT"], connection_limit=config["CONNECTION_LIMIT"],
        cleanup_interval=CLEANUP_SECONDS, outbuf_overflow=STREAM_ABOVE + (1 << 20))
    server.channel_class = _TimedChannel
    header_timeout = config["HEADER_TIMEOUT"]
    idle_maintenance = server.maintenance

    def maintenance(now):
        idle_maintenance(now)
        for channel in list(server.active_channels.values()):
            started = getattr(channel, "request_started", None)
            request = channel.request
            if started is not None and request is not None and not request.headers_finished \
                    and now - started > header_timeout:
                channel.will_close = True  # the request head came too slowly: drop the connection

    server.maintenance = maintenance
    return server
