"""/metrics under load passes `promtool check metrics`, and its values agree with the requests
this test made (token counters, finished-request counters, latency histogram counts)."""

import argparse
import json
import subprocess
import sys
import threading
import time
import unittest

from harness import Server, metric, parse_metrics, sse_events

BINARY = None
PROMTOOL = None
MODEL = "hybridserve-fake"


class MetricsTest(unittest.TestCase):
    def promtool_check(self, text):
        result = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(),
                                capture_output=True)
        self.assertEqual(result.returncode, 0,
                         result.stdout.decode() + result.stderr.decode() + text)

    def test_metrics_under_load_agree_with_the_requests(self):
        with Server(BINARY, "--fake-token-delay-ms=5") as server:
            usage = []  # (prompt_tokens, completion_tokens, num_sequences)
            lock = threading.Lock()

            def completion(max_tokens, n):
                status, body = server.post("/v1/completions",
                                           {"model": MODEL, "prompt": "hello", "n": n,
                                            "max_tokens": max_tokens})
                self.assertEqual(status, 200, body)
                with lock:
                    usage.append((body["usage"]["prompt_tokens"],
                                  body["usage"]["completion_tokens"], n))

            def chat_stream(max_tokens, n):
                status, raw = server.request(
                    "POST", "/v1/chat/completions",
                    {"model": MODEL, "messages": [{"role": "user", "content": "hi"}],
                     "n": n, "max_tokens": max_tokens, "stream": True,
                     "stream_options": {"include_usage": True}})
                self.assertEqual(status, 200)
                final = json.loads(sse_events(raw)[-2])
                with lock:
                    usage.append((final["usage"]["prompt_tokens"],
                                  final["usage"]["completion_tokens"], n))

            jobs = [(completion, 12, 1), (completion, 7, 2), (chat_stream, 9, 1),
                    (chat_stream, 5, 2), (completion, 20, 1), (chat_stream, 15, 1)]
            threads = [threading.Thread(target=f, args=a) for f, *a in jobs]
            for t in threads:
                t.start()
            # Scrape while the requests run: the exposition must be valid at any moment.
            scrapes = 0
            while any(t.is_alive() for t in threads):
                self.promtool_check(server.metrics())
                scrapes += 1
                time.sleep(0.01)
            for t in threads:
                t.join()
            self.assertGreater(scrapes, 0)
            # One rejected request (400) is not a finished sequence.
            status, _ = server.post("/v1/completions", {"model": MODEL, "prompt": "x",
                                                        "temperature": 9})
            self.assertEqual(status, 400)

            text = server.metrics()
            self.promtool_check(text)
            samples = parse_metrics(text)
            num_sequences = sum(n for _, _, n in usage)
            # Prompt tokens are counted per sequence (each of the n sequences prefills it);
            # usage reports the prompt once per request.
            prompt_tokens = sum(p * n for p, _, n in usage)
            completion_tokens = sum(c for _, c, _ in usage)
            self.assertEqual(metric(samples, "hybridserve_prompt_tokens_total"), prompt_tokens)
            self.assertEqual(metric(samples, "hybridserve_generation_tokens_total"),
                             completion_tokens)
            self.assertEqual(metric(samples, "hybridserve_request_success_total",
                                    finished_reason="length"), num_sequences)
            self.assertEqual(metric(samples, "hybridserve_request_success_total",
                                    finished_reason="abort"), 0)
            for name in ("e2e_request_latency_seconds", "time_to_first_token_seconds",
                         "request_queue_time_seconds", "request_prefill_time_seconds",
                         "request_decode_time_seconds"):
                self.assertEqual(metric(samples, f"hybridserve_{name}_count"), num_sequences,
                                 name)
            # Every token after a sequence's first is one inter-token latency observation.
            self.assertEqual(metric(samples, "hybridserve_inter_token_latency_seconds_count"),
                             completion_tokens - num_sequences)
            self.assertEqual(metric(samples, "hybridserve_request_rejected_total", status="400"),
                             1)
            self.assertEqual(metric(samples, "hybridserve_num_requests_running"), 0)
            self.assertEqual(metric(samples, "hybridserve_num_requests_waiting"), 0)
            self.assertEqual(metric(samples, "hybridserve_kv_cache_usage_perc"), 0)
            self.assertEqual(metric(samples, "hybridserve_ssm_state_usage_perc"), 0)
            self.assertEqual(metric(samples, "hybridserve_model_info", model_name=MODEL), 1)
            self.assertEqual(metric(samples, "hybridserve_num_preemptions_total"), 0)

    def test_gauges_show_running_sequences(self):
        with Server(BINARY, "--fake-token-delay-ms=50") as server:
            results = []
            t = threading.Thread(target=lambda: results.append(server.post(
                "/v1/completions", {"model": MODEL, "prompt": "abc", "max_tokens": 30})))
            t.start()
            deadline = time.time() + 5
            while True:
                samples = parse_metrics(server.metrics())
                if metric(samples, "hybridserve_num_requests_running") == 1:
                    break
                self.assertLess(time.time(), deadline)
                time.sleep(0.02)
            self.assertGreater(metric(samples, "hybridserve_kv_cache_usage_perc"), 0)
            self.assertGreater(metric(samples, "hybridserve_ssm_state_usage_perc"), 0)
            t.join()
            self.assertEqual(results[0][0], 200)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--hybridserve", required=True)
    parser.add_argument("--promtool", required=True)
    args, rest = parser.parse_known_args()
    BINARY, PROMTOOL = args.hybridserve, args.promtool
    unittest.main(argv=[sys.argv[0]] + rest)
