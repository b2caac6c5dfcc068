"""A fault-injecting HTTP proxy in front of a local DynamoDB endpoint, on 127.0.0.1.

Neither moto nor DynamoDB Local ever throttles, fails or drops a connection, so this is how the
tests reach botocore's retry paths, and how the benchmark adds a fixed per-request latency. At
the configured rates it answers ProvisionedThroughputExceededException (HTTP 400), an internal
error (HTTP 500), or drops the connection: half the drops before forwarding the request, half
after (the write is applied but the client never hears so, and retries it). Inside a forwarded
BatchExecuteStatement it can also throttle single statements, as DynamoDB does: those are held
back and answered with a ProvisionedThroughputExceeded error in their place in the response.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

HTML_ERROR_PAGE = (b"<!DOCTYPE html>\n<html>\n<head><title>500 Internal Server Error</title></head>\n"
                   b"<body>\n<h1>Internal Server Error</h1>\n<pre>Traceback (most recent call last):\n"
                   b"  File \"server.py\", line 1\n</pre>\n</body>\n</html>\n")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class FaultProxy:
    def __init__(self, target_url: str, throttle_rate: float = 0.0, error_rate: float = 0.0,
                 drop_rate: float = 0.0, latency: float = 0.0, seed: int = 0,
                 statement_throttle_rate: float = 0.0, deny: frozenset[tuple[str, str]] = frozenset(),
                 html_errors: frozenset[tuple[str, str]] = frozenset(),
                 refusals: dict[tuple[str, str], tuple[int, str, str]] | None = None,
                 fail_after: tuple[str, str, int] | None = None) -> None:
        target = urlparse(target_url)
        self.target_host, self.target_port = target.hostname or "127.0.0.1", target.port or 80
        self.rates = {"throttle": throttle_rate, "error": error_rate, "drop": drop_rate}
        self.latency = latency
        self.statement_throttle_rate = statement_throttle_rate
        # (operation, table name) pairs answered AccessDeniedException, as IAM would: deterministic faults.
        self.deny = deny
        # (operation, table name) pairs answered HTTP 500 with an HTML error page, as a broken server or a
        # load balancer in front of it would ("" as the table: requests that name none, like BatchExecuteStatement).
        self.html_errors = html_errors
        # (operation, table name) -> (times, error code, message): the first `times` such requests are
        # answered HTTP 400 with that error, as AWS refuses a step a new table is not ready for yet.
        self.refusals = dict(refusals or {})
        # (operation, text in the body, n): after n such requests were forwarded, every later one is
        # answered HTTP 500 InternalServerError, as a server that breaks part-way through a run.
        self.fail_after = fail_after
        self.forwarded_before_failing = 0
        self.random = random.Random(seed)
        self.stats: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _choose(self) -> str:
        with self.lock:
            roll = self.random.random()
            for fault, rate in self.rates.items():
                if roll < rate:
                    if fault == "drop":
                        fault = "drop-before" if self.random.random() < 0.5 else "drop-after"
                    self.stats[fault] += 1
                    return fault
                roll -= rate
            self.stats["forwarded"] += 1
            return "forward"

    def _throttled_statements(self, count: int) -> set[int]:
        with self.lock:
            chosen = {i for i in range(count) if self.random.random() < self.statement_throttle_rate}
            self.stats["statement-throttle"] += len(chosen)
            return chosen

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the second waits ~40 ms for an ACK.
            disable_nagle_algorithm = True
            upstream: http.client.HTTPConnection | None = None

            def log_message(self, *_: Any) -> None:  # quiet: the tests read the stats instead
                pass

            def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _drop(self) -> None:
                self.close_connection = True
                self.connection.shutdown(2)

            def _forward(self, body: bytes) -> tuple[int, bytes, dict[str, str]]:
                if proxy.latency:
                    time.sleep(proxy.latency)
                if self.upstream is None:
                    self.upstream = http.client.HTTPConnection(proxy.target_host, proxy.target_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                self.upstream.request("POST", self.path, body=body, headers=headers)
                response = self.upstream.getresponse()
                data = response.read()
                return response.status, data, {k: v for k, v in response.getheaders()
                                               if k.lower() not in HOP_BY_HOP}

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
                table = str(json.loads(body or b"{}").get("TableName", ""))
                if (operation, table) in proxy.deny:
                    self._reply(400, json.dumps({
                        "__type": "com.amazon.coral.service#AccessDeniedException",
                        "Message": f"User is not authorized to perform: dynamodb:{operation} on resource: {table}"
                    }).encode(), {"Content-Type": "application/x-amz-json-1.0"})
                    return
                with proxy.lock:
                    times, code, message = proxy.refusals.get((operation, table), (0, "", ""))
                    if times:
                        proxy.refusals[(operation, table)] = (times - 1, code, message)
                        proxy.stats[f"refused-{operation}"] += 1
                if times:
                    self._reply(400, json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                                                 "message": message}).encode(),
                                {"Content-Type": "application/x-amz-json-1.0"})
                    return
                if proxy.fail_after and operation == proxy.fail_after[0] and proxy.fail_after[1].encode() in body:
                    with proxy.lock:
                        broken = proxy.forwarded_before_failing >= proxy.fail_after[2]
                        proxy.forwarded_before_failing += 0 if broken else 1
                        proxy.stats["failed-after" if broken else "forwarded-before-failing"] += 1
                    if broken:
                        self._reply(500, json.dumps({
                            "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                            "message": "Internal server error"}).encode(),
                            {"Content-Type": "application/x-amz-json-1.0"})
                        return
                if (operation, table) in proxy.html_errors:
                    with proxy.lock:
                        proxy.stats["html-error"] += 1
                    self._reply(500, HTML_ERROR_PAGE, {"Content-Type": "text/html; charset=utf-8"})
                    return
                fault = proxy._choose()
                if fault == "throttle":
                    self._reply(400, json.dumps({
                        "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                        "message": "The level of configured provisioned throughput for the table was exceeded."
                    }).encode(), {"Content-Type": "application/x-amz-json-1.0"})
                elif fault == "error":
                    self._reply(500, json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                                                 "message": "Internal server error"}).encode(),
                                {"Content-Type": "application/x-amz-json-1.0"})
                elif fault == "drop-before":
                    self._drop()
                elif fault == "drop-after":
                    self._forward(body)
                    self._drop()
                elif self.headers.get("X-Amz-Target", "").endswith(".BatchExecuteStatement"):
                    self._reply(*self._forward_statements(body))
                else:
                    self._reply(*self._forward(body))

            def _forward_statements(self, body: bytes) -> tuple[int, bytes, dict[str, str]]:
                request = json.loads(body)
                statements = request["Statements"]
                throttled = proxy._throttled_statements(len(statements))
                if not throttled:
                    return self._forward(body)
                kept = [s for i, s in enumerate(statements) if i not in throttled]
                status, data, headers = 200, b'{"Responses": []}', {"Content-Type": "application/x-amz-json-1.0"}
                if kept:
                    status, data, headers = self._forward(json.dumps({**request, "Statements": kept}).encode())
                    if status != 200:
                        return status, data, headers
                response = json.loads(data)
                answers = iter(response["Responses"])
                response["Responses"] = [
                    {"Error": {"Code": "ProvisionedThroughputExceeded",
                               "Message": "The level of configured provisioned throughput for the table was exceeded."}}
                    if i in throttled else next(answers) for i in range(len(statements))]
                data = json.dumps(response).encode()
                # botocore checks DynamoDB response bodies against this header and retries on a mismatch.
                headers = {k: v for k, v in headers.items() if k.lower() != "x-amz-crc32"}
                return status, data, {**headers, "x-amz-crc32": str(zlib.crc32(data))}

        return Handler


def main() -> None:
    """Run the proxy in its own process (so it does not share a GIL with what it measures)."""
    import argparse

    parser = argparse.ArgumentParser(description="A fault-injecting proxy for a DynamoDB endpoint, on 127.0.0.1.")
    parser.add_argument("target", help="the endpoint URL to forward to")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--throttle-rate", type=float, default=0.0)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--drop-rate", type=float, default=0.0)
    parser.add_argument("--statement-throttle-rate", type=float, default=0.0)
    args = parser.parse_args()
    with FaultProxy(args.target, args.throttle_rate, args.error_rate, args.drop_rate, args.latency_ms / 1000,
                    statement_throttle_rate=args.statement_throttle_rate) as proxy:
        print(proxy.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
