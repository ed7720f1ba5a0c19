"""SIGTERM during active streams: they complete, new requests get 503, the exit code is 0."""

import argparse
import json
import signal
import sys
import threading
import time
import unittest
import urllib.request

from harness import Server, sse_events

BINARY = None
MAX_TOKENS = 40


def stream_completion(server, results, index, started):
    req = urllib.request.Request(
        server.base_url + "/v1/completions",
        data=json.dumps({"model": "hybridserve-fake", "prompt": "abc", "stream": True,
                         "max_tokens": MAX_TOKENS}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        first = resp.readline()  # the first event's line: the stream is active
        started[index].set()
        results[index] = (resp.status, first + resp.read())


class SigtermTest(unittest.TestCase):
    def test_drains_active_streams_and_exits_zero(self):
        with Server(BINARY, "--fake-token-delay-ms=25") as server:
            results = [None] * 3
            started = [threading.Event() for _ in results]
            threads = [threading.Thread(target=stream_completion,
                                        args=(server, results, i, started))
                       for i in range(len(results))]
            for t in threads:
                t.start()
            for event in started:
                self.assertTrue(event.wait(10))
            server.proc.send_signal(signal.SIGTERM)

            # Readiness goes to 503 at once; liveness stays 200; new work gets 503.
            deadline = time.time() + 5
            while server.request("GET", "/ready")[0] != 503:
                self.assertLess(time.time(), deadline, "readiness never went to 503")
                time.sleep(0.02)
            self.assertEqual(server.request("GET", "/health")[0], 200)
            status, body = server.post("/v1/completions",
                                       {"model": "hybridserve-fake", "prompt": "x"})
            self.assertEqual(status, 503)
            self.assertEqual(body["error"]["type"], "service_unavailable_error")

            for t in threads:
                t.join(30)
            for status, raw in results:
                self.assertEqual(status, 200)
                events = sse_events(raw)
                self.assertEqual(events[-1], "[DONE]")
                chunks = [json.loads(e) for e in events[:-1]]
                text = "".join(c["choices"][0]["text"] for c in chunks)
                self.assertEqual(len(text), MAX_TOKENS)
                self.assertEqual(chunks[-1]["choices"][0]["finish_reason"], "length")
            self.assertEqual(server.proc.wait(30), 0, server.log())
            self.assertIn('"event":"stopped"', server.log())

    def test_grace_period_ends_long_streams(self):
        with Server(BINARY, "--fake-token-delay-ms=20", "--shutdown-grace-seconds=0.5") as server:
            results = [None]
            started = [threading.Event()]
            global MAX_TOKENS
            saved, MAX_TOKENS = MAX_TOKENS, 1000  # 20 s of tokens
            try:
                thread = threading.Thread(target=stream_completion,
                                          args=(server, results, 0, started))
                thread.start()
                self.assertTrue(started[0].wait(10))
                began = time.time()
                server.proc.send_signal(signal.SIGTERM)
                self.assertEqual(server.proc.wait(15), 0, server.log())
                self.assertLess(time.time() - began, 10)
                thread.join(10)
            finally:
                MAX_TOKENS = saved
            status, raw = results[0]
            events = sse_events(raw)
            self.assertEqual(events[-1], "[DONE]")
            self.assertEqual(json.loads(events[-2])["error"]["type"],
                             "service_unavailable_error")

    def test_idle_server_exits_zero_on_sigint(self):
        with Server(BINARY) as server:
            server.proc.send_signal(signal.SIGINT)
            self.assertEqual(server.proc.wait(30), 0, server.log())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--hybridserve", required=True)
    args, rest = parser.parse_known_args()
    BINARY = args.hybridserve
    unittest.main(argv=[sys.argv[0]] + rest)
