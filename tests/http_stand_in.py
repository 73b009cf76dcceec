"""A real HTTP server on 127.0.0.1 standing in for the remote sources in tests.

It serves bytes by path with Range support, can drop a connection part-way (a flaky link),
records every request, and answers SkyServer-style SQL photometry queries from a table.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd


class StandIn:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.drop_after: dict[
            str, int
        ] = {}  # path -> bytes to send before cutting the first answer
        self.status: dict[str, int] = {}  # path -> forced HTTP status
        self.photometry: pd.DataFrame | None = None
        self.requests: list[tuple[str, str | None]] = []
        self.sql_queries = 0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                parsed = urllib.parse.urlparse(self.path)
                stand_in.requests.append((parsed.path, self.headers.get("Range")))
                if parsed.path in stand_in.status:
                    self.send_error(stand_in.status[parsed.path])
                elif parsed.path == "/sql":
                    self._sql(urllib.parse.parse_qs(parsed.query))
                elif parsed.path in stand_in.files:
                    self._file(parsed.path)
                else:
                    self.send_error(404)

            def _file(self, path: str) -> None:
                data = stand_in.files[path]
                start = 0
                match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
                if match:
                    start = int(match.group(1))
                    if start >= len(data):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                cut = stand_in.drop_after.pop(path, None)
                self.wfile.write(body if cut is None else body[:cut])
                if cut is not None:
                    self.close_connection = True

            def _sql(self, query: dict) -> None:
                stand_in.sql_queries += 1
                ids = [int(i) for i in re.findall(r"\d{6,}", query["cmd"][0].split("IN", 1)[1])]
                table = stand_in.photometry
                rows = table[table["objid"].isin(ids)]
                body = ("#Table1\n" + rows.to_csv(index=False)).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
