"""The server on the GPU: `hybridserve --device cuda` with the bundled default model answers an
OpenAI completion (HTTP) and a streamed gRPC Generate, the greedy text equals the CPU backend's,
and after the requests both cache pools are empty again. Run by scripts/gpu_suite.sh.

  server_smoke.py --hybridserve build-gpu/server/hybridserve --descriptor-set DIR/hybridserve_v1.pb
"""
import argparse
import os
import sys
import time
import unittest

# Loopback only: no proxy from the environment for urllib or grpc.
for _name in ("http_proxy", "https_proxy", "all_proxy", "grpc_proxy", "HTTP_PROXY", "HTTPS_PROXY",
              "ALL_PROXY"):
    os.environ.pop(_name, None)
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "server", "e2e"))
import grpc  # noqa: E402
from grpc_client_test import Messages  # noqa: E402
from harness import Server, metric, parse_metrics  # noqa: E402

BINARY = None
DESCRIPTOR_SET = None
PROMPT = "The quick brown fox"


def wait_ready(server, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            status, _ = server.request("GET", "/ready")
        except OSError as err:  # not accepting yet, or gone: say which
            if server.proc.poll() is not None:
                raise AssertionError(f"hybridserve exited with {server.proc.returncode}: "
                                     f"{server.log()}") from err
            status = None
        if status == 200:
            return
        time.sleep(0.2)
    raise AssertionError(f"the server did not become ready: {server.log()}")


def complete(server):
    status, body = server.post("/v1/completions", {"model": "default", "prompt": PROMPT,
                                                   "max_tokens": 16,
                                                   "temperature": 0, "ignore_eos": True})
    assert status == 200, (status, body)
    return body


class GpuServerTest(unittest.TestCase):
    def test_completion_and_grpc_stream_on_cuda_match_the_cpu_backend(self):
        with Server(BINARY, "--device=cuda", *SERVER_ARGS, fake=False) as gpu:
            wait_ready(gpu)
            response = complete(gpu)
            self.assertEqual(response["usage"]["completion_tokens"], 16)
            gpu_text = response["choices"][0]["text"]

            m = Messages(DESCRIPTOR_SET)
            channel = grpc.insecure_channel(f"127.0.0.1:{gpu.grpc_port}")
            grpc.channel_ready_future(channel).result(timeout=10)
            generate = channel.unary_stream(
                "/hybridserve.v1.GenerationService/Generate",
                request_serializer=lambda r: r.SerializeToString(),
                response_deserializer=m.get("hybridserve.v1.GenerateResponse").FromString)
            request = m.get("hybridserve.v1.GenerateRequest")(
                text=PROMPT, stopping={"max_tokens": 16, "ignore_eos": True},
                sampling={"temperature": 0.0})
            responses = list(generate(request, timeout=60))
            self.assertGreater(len(responses), 1)
            self.assertEqual(sum(len(r.token_ids) for r in responses), 16)
            self.assertEqual("".join(r.text for r in responses), gpu_text)
            channel.close()

            samples = parse_metrics(gpu.metrics())
            self.assertEqual(metric(samples, "hybridserve_num_requests_running"), 0)
            self.assertEqual(metric(samples, "hybridserve_kv_cache_usage_perc"), 0)
            print(f"cuda server: HTTP and gRPC greedy text {gpu_text!r}")

        with Server(BINARY, "--device=cpu", fake=False) as cpu:
            wait_ready(cpu)
            cpu_text = complete(cpu)["choices"][0]["text"]
        self.assertEqual(gpu_text, cpu_text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--hybridserve", required=True)
    parser.add_argument("--descriptor-set", required=True)
    parser.add_argument("--server-arg", action="append", default=[],
                        help="extra argument of the GPU server, e.g. --server-arg=--tensor-parallel-size=2")
    args, rest = parser.parse_known_args()
    BINARY, DESCRIPTOR_SET, SERVER_ARGS = args.hybridserve, args.descriptor_set, args.server_arg
    unittest.main(argv=[sys.argv[0]] + rest)
