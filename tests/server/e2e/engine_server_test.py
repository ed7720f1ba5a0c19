"""The real engine behind the binary (the bundled default model, CPU): startup readiness
(/ready and gRPC health answer "not ready" until the model is loaded and warmed up; a model that
cannot be loaded exits 1), the engine's queue/prefill/decode times on /metrics, promtool on
/metrics with counters moving, a gRPC cancel mid-stream and a vanished non-streaming HTTP client
each releasing the engine's KV blocks and SSM slots."""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc

from grpc_client_test import Messages
from harness import Server, metric, parse_metrics

BINARY = None
DESCRIPTOR_SET = None
PROMTOOL = None
DEFAULT_MODEL = None
MODEL = "default"
SERVING, NOT_SERVING = 1, 2


def grpc_health(channel, m):
    check = channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=lambda r: r.SerializeToString(),
        response_deserializer=m.get("grpc.health.v1.HealthCheckResponse").FromString)
    return check(m.get("grpc.health.v1.HealthCheckRequest")(service=""), timeout=5).status


def generate(channel, m):
    return channel.unary_stream(
        "/hybridserve.v1.GenerationService/Generate",
        request_serializer=lambda r: r.SerializeToString(),
        response_deserializer=m.get("hybridserve.v1.GenerateResponse").FromString)


def wait_released(test, server, timeout=60):
    """Waits until nothing runs or waits and both pools are empty; returns the samples."""
    deadline = time.time() + timeout
    while True:
        samples = parse_metrics(server.metrics())
        if (metric(samples, "hybridserve_num_requests_running") == 0 and
                metric(samples, "hybridserve_num_requests_waiting") == 0 and
                metric(samples, "hybridserve_kv_cache_usage_perc") == 0 and
                metric(samples, "hybridserve_ssm_state_usage_perc") == 0):
            return samples
        test.assertLess(time.time(), deadline, "the engine's pools were not released")
        time.sleep(0.02)


class StartupTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = Messages(DESCRIPTOR_SET)

    def test_ready_is_503_until_the_model_is_loaded_and_warmed_up(self):
        # The bundled model loads in well under a second; the test-only delay makes the window
        # before "loaded" wide enough to observe from the first moment the ports answer.
        with Server(BINARY, "--testing-load-delay-ms=2000", fake=False,
                    wait_ready=False) as server:
            channel = grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}")
            status, body = server.request("GET", "/ready")
            self.assertEqual(status, 503, body)
            error = json.loads(body)["error"]
            self.assertIn("loading", error["message"])
            self.assertEqual(set(error), {"message", "type", "param", "code"})
            self.assertEqual(grpc_health(channel, self.m), NOT_SERVING)
            status, body = server.post("/v1/completions", {"model": MODEL, "prompt": "hi"})
            self.assertEqual(status, 503, body)
            self.assertIn("loading", body["error"]["message"])
            GenerateRequest = self.m.get("hybridserve.v1.GenerateRequest")
            with self.assertRaises(grpc.RpcError) as rpc_error:
                list(generate(channel, self.m)(GenerateRequest(text="hi"), timeout=10))
            self.assertEqual(rpc_error.exception.code(), grpc.StatusCode.UNAVAILABLE)
            self.assertEqual(server.request("GET", "/health")[0], 200)  # alive all along

            # Poll until ready: 503s, then 200s, never back.
            statuses = [503]
            deadline = time.time() + 60
            while statuses[-1] != 200:
                self.assertLess(time.time(), deadline, "never ready")
                time.sleep(0.02)
                statuses.append(server.request("GET", "/ready")[0])
            self.assertEqual(set(statuses[:-1]), {503})
            self.assertGreater(len(statuses), 10)  # the load took its (delayed) time
            for _ in range(5):
                self.assertEqual(server.request("GET", "/ready")[0], 200)
            deadline = time.time() + 5
            while grpc_health(channel, self.m) != SERVING:
                self.assertLess(time.time(), deadline, "gRPC health never SERVING")
                time.sleep(0.05)
            status, body = server.post("/v1/completions",
                                       {"model": MODEL, "prompt": "hi", "max_tokens": 3})
            self.assertEqual(status, 200, body)
            channel.close()
            self.assertIn('"ready"', server.log())

    def test_tensor_parallelism_on_the_cpu_is_refused_at_startup(self):
        cases = ((["--device=cpu", "--tensor-parallel-size=2"], b"needs --device cuda"),
                 (["--tensor-parallel-size=0"], b"--tensor-parallel-size=0 must be >= 1"))
        for flags, message in cases:
            result = subprocess.run([BINARY, f"--model={DEFAULT_MODEL}", "--http-port=0",
                                     "--grpc-port=-1", *flags], capture_output=True, timeout=60)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn(message, result.stderr)

    def test_a_missing_model_directory_fails_before_listening(self):
        result = subprocess.run([BINARY, "--model=/nonexistent/model", "--http-port=0",
                                 "--grpc-port=-1"], capture_output=True, timeout=60)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"/nonexistent/model: no such directory", result.stderr)

    def test_a_model_that_fails_to_load_exits_1(self):
        # config.json and tokenizer.json are fine, so the server starts listening; the weights
        # are not, so the background load fails.
        with tempfile.TemporaryDirectory() as model:
            for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
                shutil.copy(os.path.join(DEFAULT_MODEL, name), model)
            with open(os.path.join(model, "model.safetensors"), "wb") as f:
                f.write(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
            result = subprocess.run([BINARY, f"--model={model}", "--host=127.0.0.1",
                                     "--http-port=0", "--grpc-port=0"],
                                    capture_output=True, timeout=60)
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn(b'"listening"', result.stdout + result.stderr)
            self.assertIn(b"hybridserve: cannot load the model: ", result.stderr)
            self.assertIn(b"model.safetensors", result.stderr)


class EngineTest(unittest.TestCase):
    """One server for the class: one sequence at a time, so concurrent requests queue."""

    @classmethod
    def setUpClass(cls):
        cls.m = Messages(DESCRIPTOR_SET)
        cls.server = Server(BINARY, "--max-num-seqs=1", fake=False)
        deadline = time.time() + 60
        while cls.server.request("GET", "/ready")[0] != 200:
            if time.time() > deadline:
                raise RuntimeError("not ready: " + cls.server.log())
            time.sleep(0.05)
        cls.channel = grpc.insecure_channel(f"127.0.0.1:{cls.server.grpc_port}")

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.__exit__()

    def promtool_check(self, text):
        result = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(),
                                capture_output=True)
        self.assertEqual(result.returncode, 0,
                         result.stdout.decode() + result.stderr.decode() + text)

    def completion(self, max_tokens, results):
        status, body = self.server.post(
            "/v1/completions", {"model": MODEL, "prompt": "Hello there", "max_tokens": max_tokens,
                                "ignore_eos": True, "temperature": 0})
        results.append((status, body))

    def test_queue_prefill_and_decode_times_and_counters(self):
        wait_released(self, self.server)
        before = parse_metrics(self.server.metrics())
        results = []
        threads = [threading.Thread(target=self.completion, args=(48, results))
                   for _ in range(4)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            self.promtool_check(self.server.metrics())  # valid under load too
            time.sleep(0.01)
        for t in threads:
            t.join()
        self.assertEqual([s for s, _ in results], [200] * 4, results)
        after = wait_released(self, self.server)
        self.promtool_check(self.server.metrics())

        def delta(name, **labels):
            return metric(after, name, **labels) - metric(before, name, **labels)

        self.assertEqual(delta("hybridserve_generation_tokens_total"), 4 * 48)
        self.assertEqual(delta("hybridserve_prompt_tokens_total"),
                         sum(b["usage"]["prompt_tokens"] for _, b in results))
        self.assertEqual(delta("hybridserve_request_success_total", finished_reason="length"), 4)
        for name in ("queue", "prefill", "decode", "inference"):
            self.assertEqual(delta(f"hybridserve_request_{name}_time_seconds_count"), 4, name)
        queue = delta("hybridserve_request_queue_time_seconds_sum")
        prefill = delta("hybridserve_request_prefill_time_seconds_sum")
        decode = delta("hybridserve_request_decode_time_seconds_sum")
        inference = delta("hybridserve_request_inference_time_seconds_sum")
        e2e = delta("hybridserve_e2e_request_latency_seconds_sum")
        self.assertGreater(prefill, 0)
        self.assertGreater(decode, 0)
        self.assertAlmostEqual(inference, prefill + decode, places=6)
        # One sequence at a time: three of the four waited for whole generations before them,
        # so the queue holds at least one request's whole run (prefill + decode).
        self.assertGreater(queue, inference / 4)
        # Each request's queue + prefill + decode lies inside its end-to-end latency.
        self.assertLessEqual(queue + inference, e2e + 1e-3)

    def test_grpc_cancel_mid_stream_releases_the_engine_pools(self):
        before = wait_released(self, self.server)
        GenerateRequest = self.m.get("hybridserve.v1.GenerateRequest")
        request = GenerateRequest(text="hi", stopping={"max_tokens": 4000, "ignore_eos": True})
        call = generate(self.channel, self.m)(request, timeout=120)
        for _ in range(3):
            next(call)
        running = parse_metrics(self.server.metrics())
        self.assertEqual(metric(running, "hybridserve_num_requests_running"), 1)
        self.assertGreater(metric(running, "hybridserve_kv_cache_usage_perc"), 0)
        self.assertGreater(metric(running, "hybridserve_ssm_state_usage_perc"), 0)
        call.cancel()
        with self.assertRaises(grpc.RpcError) as error:
            list(call)
        self.assertEqual(error.exception.code(), grpc.StatusCode.CANCELLED)
        after = wait_released(self, self.server)
        # Released long before the 4000 tokens were generated.
        self.assertLess(metric(after, "hybridserve_generation_tokens_total") -
                        metric(before, "hybridserve_generation_tokens_total"), 4000)
        aborted = "hybridserve_request_success_total"
        expected = metric(before, aborted, finished_reason="abort") + 1
        deadline = time.time() + 5
        while (metric(after, aborted, finished_reason="abort") < expected and
               time.time() < deadline):
            time.sleep(0.02)
            after = parse_metrics(self.server.metrics())
        self.assertEqual(metric(after, aborted, finished_reason="abort"), expected)

    def test_a_vanished_non_streaming_client_releases_its_sequence(self):
        before = wait_released(self, self.server)
        max_tokens = 4000
        body = json.dumps({"model": MODEL, "prompt": "Hello", "max_tokens": max_tokens,
                           "ignore_eos": True}).encode()
        sock = socket.create_connection(("127.0.0.1", self.server.http_port), timeout=10)
        sock.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Type: application/json\r\n" +
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        deadline = time.time() + 10
        while metric(parse_metrics(self.server.metrics()),
                     "hybridserve_num_requests_running") != 1:
            self.assertLess(time.time(), deadline, "the request never ran")
            time.sleep(0.01)
        sock.close()
        closed = time.time()
        after = wait_released(self, self.server, timeout=5)
        released_after = time.time() - closed
        generated = (metric(after, "hybridserve_generation_tokens_total") -
                     metric(before, "hybridserve_generation_tokens_total"))
        # Had the disconnect gone unnoticed, the sequence would have run to max_tokens.
        self.assertLess(generated, max_tokens)
        self.assertLess(released_after, 2.0)
        self.assertEqual(metric(after, "hybridserve_request_success_total",
                                finished_reason="abort") -
                         metric(before, "hybridserve_request_success_total",
                                finished_reason="abort"), 1)
        self.assertIn('"status":499', self.server.log().replace(" ", ""))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--hybridserve", required=True)
    parser.add_argument("--descriptor-set", required=True)
    parser.add_argument("--promtool", required=True)
    parser.add_argument("--default-model", required=True)
    args, rest = parser.parse_known_args()
    BINARY, DESCRIPTOR_SET = args.hybridserve, args.descriptor_set
    PROMTOOL, DEFAULT_MODEL = args.promtool, args.default_model
    unittest.main(argv=[sys.argv[0]] + rest)
