"""A TCP proxy that misbehaves on demand, between the app and PostgreSQL (or anything on TCP).

Threads and plain sockets. It listens on 127.0.0.1 (a free port) and forwards each connection to
the upstream address, until told to:

- `drop_all()`  close every open connection at once (a database restart, a failover);
- `refuse()`    refuse new connections (nothing listens on the port) until `accept()`;
- `stall()`     keep every connection open but forward nothing, either way, until `resume()`;
- `trip(pattern, action, after=None)`  the first time a client message containing `pattern` passes
                (after one containing `after`, if given), "drop" that connection just after
                forwarding the message, or "stall" all traffic.

`queries()` lists the simple-protocol queries (PostgreSQL's `Q` messages: psycopg2 sends every
statement, BEGIN and COMMIT included, as one) that clients sent since the last call.
"""
import re
import socket
import threading
from contextlib import suppress

# A query message: `Q`, its length (4 bytes, itself included), the query's text, a NUL.
_QUERY = re.compile(rb"Q\x00\x00..((?:BEGIN|COMMIT|ROLLBACK|PREPARE|EXECUTE|SELECT|WITH|INSERT|UPDATE|DELETE)\b"
                    rb"[^\x00]*)\x00", re.DOTALL)


class Connection:
    """A client socket and its upstream socket; closing one closes both."""

    def __init__(self, client: socket.socket, upstream: socket.socket):
        self.client, self.upstream = client, upstream
        self.closed = False

    def close(self) -> None:
        self.closed = True
        for sock in (self.client, self.upstream):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.listener: socket.socket | None = None
        self.connections: set[Connection] = set()
        self.lock = threading.Lock()
        self.flowing = threading.Event()
        self.flowing.set()
        self.tripwire: tuple[bytes, str, bytes | None] | None = None
        self.stopped = False
        self.heard = bytearray()

    @property
    def address(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    def start(self) -> "TcpProxy":
        self.accept()
        return self

    def accept(self) -> None:
        """Listen (again, on the same port) and forward new connections."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._serve, args=(listener,), daemon=True).start()

    def refuse(self) -> None:
        """Stop listening: a new connection is refused (open ones carry on)."""
        listener, self.listener = self.listener, None
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)   # wakes the accept() (close() alone would not)
            listener.close()

    def drop_all(self) -> None:
        with self.lock:
            connections, self.connections = self.connections, set()
        for connection in connections:
            connection.close()

    def stall(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def trip(self, pattern: bytes, action: str, after: bytes | None = None) -> None:
        assert action in ("drop", "stall")
        self.tripwire = (pattern, action, after)

    def queries(self) -> list[str]:
        """The text of each query message clients sent since the last call, in order."""
        with self.lock:
            heard, self.heard = bytes(self.heard), bytearray()
        return [query.decode(errors="replace") for query in _QUERY.findall(heard)]

    def stop(self) -> None:
        self.stopped = True
        self.refuse()
        self.resume()
        self.drop_all()

    def _serve(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:          # closed by refuse() or stop()
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            connection = Connection(client, upstream)
            with self.lock:
                self.connections.add(connection)
            if self.listener is not listener:     # refuse() came while this one was being accepted
                connection.close()
                return
            threading.Thread(target=self._pump, args=(connection, client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(connection, upstream, client), daemon=True).start()

    def _pump(self, connection: Connection, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self.flowing.wait()
                if connection.closed:
                    break
                # Judged before forwarding: the stall, or the client's end of a drop, must be in place
                # before the server can answer the message that trips it, or a fast answer slips through.
                action = self._tripped(data) if source is connection.client else None
                if source is connection.client:
                    with self.lock:
                        self.heard += data
                if action == "drop":
                    with suppress(OSError):
                        connection.client.shutdown(socket.SHUT_RDWR)
                target.sendall(data)
                if action == "drop":
                    break
        except OSError:
            pass
        connection.close()
        with self.lock:
            self.connections.discard(connection)

    def _tripped(self, data: bytes) -> str | None:
        wire = self.tripwire
        if wire is None:
            return None
        pattern, action, after = wire
        if after is not None:
            if after in data:
                self.tripwire = (pattern, action, None)
            return None
        if pattern not in data:
            return None
        self.tripwire = None
        if action == "stall":
            self.stall()
        return action
