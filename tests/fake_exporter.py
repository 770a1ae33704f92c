"""A Prometheus exporter stand-in for tests: serves a text exposition over real HTTP on a given address."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Exporter:
    """Serves `texts` on http://address:port/metrics (port 0: a free one), one text per request and the
    last one from then on, until close()."""

    def __init__(self, texts: str | list[str], address: str = "127.0.0.1", port: int = 0) -> None:
        self.texts = [texts] if isinstance(texts, str) else list(texts)
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                texts = exporter.texts
                body = (texts.pop(0) if len(texts) > 1 else texts[0]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((address, port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://{address}:{self.server.server_address[1]}/metrics"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
