"""gRPC end to end: hybridserve.v1 Generate streaming, cancellation mid-stream (the engine's
pools are released), deadlines, errors, the API key, grpc.health.v1 and server reflection.

Uses grpcio without generated stubs: hybridserve.v1 messages come from the FileDescriptorSet
the build writes; the standard health and reflection messages are declared below."""

import argparse
import sys
import time
import unittest

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from harness import Server, metric, parse_metrics

BINARY = None
DESCRIPTOR_SET = None
PATTERN = "The quick brown fox jumps over the lazy dog. "
F = descriptor_pb2.FieldDescriptorProto


def _field(message, name, number, type_, label=F.LABEL_OPTIONAL, type_name=None,
           oneof=None):
    field = message.field.add(name=name, number=number, type=type_, label=label)
    if type_name:
        field.type_name = type_name
    if oneof is not None:
        field.oneof_index = oneof


def _standard_protos():
    """grpc.health.v1 and grpc.reflection.v1alpha, the fields this test uses."""
    health = descriptor_pb2.FileDescriptorProto(name="test_health.proto",
                                                package="grpc.health.v1", syntax="proto3")
    request = health.message_type.add(name="HealthCheckRequest")
    _field(request, "service", 1, F.TYPE_STRING)
    response = health.message_type.add(name="HealthCheckResponse")
    _field(response, "status", 1, F.TYPE_ENUM,
           type_name=".grpc.health.v1.HealthCheckResponse.ServingStatus")
    enum = response.enum_type.add(name="ServingStatus")
    for i, name in enumerate(["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"]):
        enum.value.add(name=name, number=i)

    refl = descriptor_pb2.FileDescriptorProto(name="test_reflection.proto",
                                              package="grpc.reflection.v1alpha",
                                              syntax="proto3")
    req = refl.message_type.add(name="ServerReflectionRequest")
    req.oneof_decl.add(name="message_request")
    _field(req, "host", 1, F.TYPE_STRING)
    _field(req, "file_containing_symbol", 4, F.TYPE_STRING, oneof=0)
    _field(req, "list_services", 7, F.TYPE_STRING, oneof=0)
    resp = refl.message_type.add(name="ServerReflectionResponse")
    resp.oneof_decl.add(name="message_response")
    _field(resp, "valid_host", 1, F.TYPE_STRING)
    _field(resp, "file_descriptor_response", 4, F.TYPE_MESSAGE,
           type_name=".grpc.reflection.v1alpha.FileDescriptorResponse", oneof=0)
    _field(resp, "list_services_response", 6, F.TYPE_MESSAGE,
           type_name=".grpc.reflection.v1alpha.ListServiceResponse", oneof=0)
    _field(resp, "error_response", 7, F.TYPE_MESSAGE,
           type_name=".grpc.reflection.v1alpha.ErrorResponse", oneof=0)
    fdr = refl.message_type.add(name="FileDescriptorResponse")
    _field(fdr, "file_descriptor_proto", 1, F.TYPE_BYTES, label=F.LABEL_REPEATED)
    lsr = refl.message_type.add(name="ListServiceResponse")
    _field(lsr, "service", 1, F.TYPE_MESSAGE, label=F.LABEL_REPEATED,
           type_name=".grpc.reflection.v1alpha.ServiceResponse")
    sr = refl.message_type.add(name="ServiceResponse")
    _field(sr, "name", 1, F.TYPE_STRING)
    er = refl.message_type.add(name="ErrorResponse")
    _field(er, "error_code", 1, F.TYPE_INT32)
    _field(er, "error_message", 2, F.TYPE_STRING)
    return [health, refl]


class Messages:
    def __init__(self, descriptor_set_path):
        self.pool = descriptor_pool.DescriptorPool()
        files = descriptor_pb2.FileDescriptorSet()
        with open(descriptor_set_path, "rb") as f:
            files.ParseFromString(f.read())
        for file in list(files.file) + _standard_protos():
            self.pool.Add(file)
        self._factory = message_factory.MessageFactory(self.pool)

    def __getattr__(self, full_name):
        raise AttributeError(full_name)

    def get(self, full_name):
        descriptor = self.pool.FindMessageTypeByName(full_name)
        if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.21 (GetPrototype is gone
            return message_factory.GetMessageClass(descriptor)  # from 5.x)
        return self._factory.GetPrototype(descriptor)


class GrpcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = Messages(DESCRIPTOR_SET)
        cls.server = Server(BINARY, "--fake-token-delay-ms=20")
        cls.channel = grpc.insecure_channel(f"127.0.0.1:{cls.server.grpc_port}")
        grpc.channel_ready_future(cls.channel).result(timeout=10)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.__exit__()

    def call(self, method, request_type, response_type, streaming=False, channel=None):
        path = f"/hybridserve.v1.GenerationService/{method}"
        factory = (channel or self.channel).unary_stream if streaming else \
            (channel or self.channel).unary_unary
        return factory(path, request_serializer=lambda r: r.SerializeToString(),
                       response_deserializer=self.m.get(response_type).FromString)

    def generate(self, channel=None):
        return self.call("Generate", "hybridserve.v1.GenerateRequest",
                         "hybridserve.v1.GenerateResponse", streaming=True, channel=channel)

    def request(self, **fields):
        GenerateRequest = self.m.get("hybridserve.v1.GenerateRequest")
        return GenerateRequest(**fields)

    def wait_released(self):
        deadline = time.time() + 5
        while True:
            samples = parse_metrics(self.server.metrics())
            if (metric(samples, "hybridserve_num_requests_running") == 0 and
                    metric(samples, "hybridserve_kv_cache_usage_perc") == 0):
                return samples
            self.assertLess(time.time(), deadline, "the sequence was not released")
            time.sleep(0.02)

    def test_generate_streams_text_tokens_and_usage(self):
        request = self.request(text="hello", stopping={"max_tokens": 12}, logprobs=True,
                               top_logprobs=2, request_id="r-1")
        responses = list(self.generate()(request, timeout=30))
        self.assertGreater(len(responses), 1)
        self.assertEqual("".join(r.text for r in responses), PATTERN[:12])
        ids = [i for r in responses for i in r.token_ids]
        self.assertEqual(len(ids), 12)
        self.assertEqual(sum(len(r.logprobs) for r in responses), 12)
        self.assertEqual(len(responses[0].logprobs[0].top_logprobs), 2)
        self.assertTrue(all(r.request_id == "r-1" for r in responses))
        last = responses[-1]
        self.assertEqual(last.finish_reason, 2)  # FINISH_REASON_LENGTH
        self.assertEqual(last.usage.prompt_tokens, 6)  # BOS + 5 bytes
        self.assertEqual(last.usage.completion_tokens, 12)
        self.assertEqual(last.usage.total_tokens, 18)
        self.assertTrue(all(r.finish_reason == 0 for r in responses[:-1]))

    def test_stop_string_and_token_prompt(self):
        TokenIds = self.m.get("hybridserve.v1.TokenIds")
        request = self.request(token_ids=TokenIds(ids=[1, 70, 71]),
                               stopping={"max_tokens": 100, "stop": ["fox"]})
        responses = list(self.generate()(request, timeout=30))
        self.assertEqual("".join(r.text for r in responses), "The quick brown ")
        self.assertEqual(responses[-1].finish_reason, 1)  # FINISH_REASON_STOP

    def test_cancel_mid_stream_releases_the_sequence(self):
        before = parse_metrics(self.server.metrics())
        call = self.generate()(self.request(text="hi", stopping={"max_tokens": 1000}),
                               timeout=60)
        received = [next(call) for _ in range(3)]
        self.assertEqual("".join(r.text for r in received), PATTERN[:3])
        running = parse_metrics(self.server.metrics())
        self.assertEqual(metric(running, "hybridserve_num_requests_running"), 1)
        self.assertGreater(metric(running, "hybridserve_kv_cache_usage_perc"), 0)
        call.cancel()
        with self.assertRaises(grpc.RpcError) as error:
            list(call)
        self.assertEqual(error.exception.code(), grpc.StatusCode.CANCELLED)
        after = self.wait_released()
        # The counter is recorded when the call's reactor finishes, which may come just after
        # the engine released the sequence: wait for it, briefly.
        aborted = "hybridserve_request_success_total"
        expected = metric(before, aborted, finished_reason="abort") + 1
        deadline = time.time() + 5
        while (metric(after, aborted, finished_reason="abort") < expected and
               time.time() < deadline):
            time.sleep(0.02)
            after = parse_metrics(self.server.metrics())
        self.assertEqual(metric(after, aborted, finished_reason="abort"), expected)

    def test_deadline_reaches_the_engine(self):
        call = self.generate()(self.request(text="hi", stopping={"max_tokens": 1000}),
                               timeout=0.3)
        with self.assertRaises(grpc.RpcError) as error:
            list(call)
        self.assertEqual(error.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        self.wait_released()

    def test_invalid_requests(self):
        cases = [
            (self.request(text="hi", sampling={"temperature": 5}), "INVALID_ARGUMENT"),
            (self.request(text="hi", sampling={"top_p": 0}), "INVALID_ARGUMENT"),
            (self.request(text=""), "INVALID_ARGUMENT"),
            (self.request(), "INVALID_ARGUMENT"),
            (self.request(text="hi", model="nope"), "NOT_FOUND"),
            (self.request(text="x" * 5000), "INVALID_ARGUMENT"),
            (self.request(text="hi", stopping={"max_tokens": 100000}), "INVALID_ARGUMENT"),
            (self.request(text="hi", top_logprobs=3), "INVALID_ARGUMENT"),
        ]
        for request, code in cases:
            with self.assertRaises(grpc.RpcError) as error:
                list(self.generate()(request, timeout=10))
            self.assertEqual(error.exception.code().name, code, str(request))
            self.assertTrue(error.exception.details())
        # Still serving.
        self.assertEqual(len(list(self.generate()(
            self.request(text="ok", stopping={"max_tokens": 2}), timeout=10))) > 0, True)

    def test_tokenize_detokenize_models(self):
        tokenize = self.call("Tokenize", "hybridserve.v1.TokenizeRequest",
                             "hybridserve.v1.TokenizeResponse")
        out = tokenize(self.m.get("hybridserve.v1.TokenizeRequest")(
            text="ab", add_special_tokens=True), timeout=10)
        self.assertEqual(list(out.token_ids), [1, ord("a") + 3, ord("b") + 3])
        detokenize = self.call("Detokenize", "hybridserve.v1.DetokenizeRequest",
                               "hybridserve.v1.DetokenizeResponse")
        text = detokenize(self.m.get("hybridserve.v1.DetokenizeRequest")(
            token_ids=list(out.token_ids), skip_special_tokens=True), timeout=10)
        self.assertEqual(text.text, "ab")
        models = self.call("ListModels", "hybridserve.v1.ListModelsRequest",
                           "hybridserve.v1.ListModelsResponse")(
            self.m.get("hybridserve.v1.ListModelsRequest")(), timeout=10)
        self.assertEqual([m.name for m in models.models], ["hybridserve-fake"])
        info = self.call("ModelInfo", "hybridserve.v1.ModelInfoRequest",
                         "hybridserve.v1.ModelInfoResponse")(
            self.m.get("hybridserve.v1.ModelInfoRequest")(), timeout=10)
        self.assertEqual(info.max_model_len, 2048)

    def test_health(self):
        check = self.channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=lambda r: r.SerializeToString(),
            response_deserializer=self.m.get("grpc.health.v1.HealthCheckResponse").FromString)
        Request = self.m.get("grpc.health.v1.HealthCheckRequest")
        deadline = time.time() + 5
        while check(Request(service=""), timeout=5).status != 1:  # SERVING
            self.assertLess(time.time(), deadline)
            time.sleep(0.05)
        self.assertEqual(check(Request(service="hybridserve.v1.GenerationService"),
                               timeout=5).status, 1)

    def test_reflection(self):
        info = self.channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=lambda r: r.SerializeToString(),
            response_deserializer=self.m.get(
                "grpc.reflection.v1alpha.ServerReflectionResponse").FromString)
        Request = self.m.get("grpc.reflection.v1alpha.ServerReflectionRequest")
        responses = list(info(iter([
            Request(list_services=""),
            Request(file_containing_symbol="hybridserve.v1.GenerateRequest")]), timeout=10))
        services = {s.name for s in responses[0].list_services_response.service}
        self.assertIn("hybridserve.v1.GenerationService", services)
        self.assertIn("grpc.health.v1.Health", services)
        files = [descriptor_pb2.FileDescriptorProto.FromString(b)
                 for b in responses[1].file_descriptor_response.file_descriptor_proto]
        self.assertIn("hybridserve/v1/generation.proto", [f.name for f in files])

    def test_api_key(self):
        with Server(BINARY, "--api-key=sekret") as keyed:
            channel = grpc.insecure_channel(f"127.0.0.1:{keyed.grpc_port}")
            request = self.request(text="hi", stopping={"max_tokens": 2})
            with self.assertRaises(grpc.RpcError) as error:
                list(self.generate(channel)(request, timeout=10))
            self.assertEqual(error.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
            with self.assertRaises(grpc.RpcError) as error:
                list(self.generate(channel)(request, timeout=10,
                                            metadata=[("authorization", "Bearer wrong")]))
            self.assertEqual(error.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
            ok = list(self.generate(channel)(request, timeout=10,
                                             metadata=[("authorization", "Bearer sekret")]))
            self.assertEqual(ok[-1].usage.completion_tokens, 2)
            channel.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--hybridserve", required=True)
    parser.add_argument("--descriptor-set", required=True)
    args, rest = parser.parse_known_args()
    BINARY, DESCRIPTOR_SET = args.hybridserve, args.descriptor_set
    unittest.main(argv=[sys.argv[0]] + rest)
