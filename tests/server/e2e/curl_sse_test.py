"""curl against the real binary (fake backend): a streaming completion and a streaming chat arrive
as server-sent events byte for byte in OpenAI's framing: `data: <compact JSON>\\n\\n` per chunk, no
other lines, `data: [DONE]\\n\\n` last, `Content-Type: text/event-stream`; every chunk has OpenAI's
fields (the same id and created throughout, the object name, usage null until the final usage
chunk asked for with stream_options.include_usage), and the texts concatenate to the generation."""

import argparse
import json
import shutil
import subprocess
import sys
import unittest

from harness import Server

BINARY = None
PATTERN = "The quick brown fox jumps over the lazy dog. "


def curl(server, path, body):
    """(headers, raw body bytes) of a POST made by the curl binary."""
    run = subprocess.run(
        [shutil.which("curl"), "-sS", "-N", "--noproxy", "*", "-D", "-", "-H",
         "Content-Type: application/json", "-d", json.dumps(body), server.base_url + path],
        capture_output=True, timeout=60, check=True)
    head, _, raw = run.stdout.partition(b"\r\n\r\n")
    return head.decode(), raw


class CurlSseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(BINARY, "--fake-token-delay-ms=2")

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__()

    def check_stream(self, head, raw, obj, text_of):
        lines = head.split("\r\n")
        self.assertEqual(lines[0], "HTTP/1.1 200 OK")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        self.assertEqual(headers["content-type"], "text/event-stream")
        self.assertEqual(headers["cache-control"], "no-cache")
        self.assertTrue(raw.endswith(b"data: [DONE]\n\n"), raw[-40:])
        self.assertNotIn(b"\r", raw)
        blocks = raw.split(b"\n\n")
        self.assertEqual(blocks[-1], b"")
        blocks = blocks[:-1]
        self.assertEqual(blocks[-1], b"data: [DONE]")
        chunks = []
        for block in blocks[:-1]:
            self.assertTrue(block.startswith(b"data: {"), block)
            payload = block[len(b"data: "):].decode()
            chunk = json.loads(payload)
            # Byte for byte: compact JSON, nothing around it (keys in sorted order).
            self.assertEqual(payload, json.dumps(chunk, separators=(",", ":"), sort_keys=True,
                                                 ensure_ascii=False))
            chunks.append(chunk)
        self.assertGreater(len(chunks), 2)
        for chunk in chunks:
            self.assertEqual(chunk["object"], obj)
            self.assertEqual(chunk["id"], chunks[0]["id"])
            self.assertEqual(chunk["created"], chunks[0]["created"])
            self.assertEqual(chunk["model"], "hybridserve-fake")
        *content, final = chunks
        self.assertEqual(final["choices"], [])
        self.assertEqual(final["usage"]["completion_tokens"], 8)
        self.assertEqual(final["usage"]["total_tokens"],
                         final["usage"]["prompt_tokens"] + final["usage"]["completion_tokens"])
        for chunk in content:
            self.assertIsNone(chunk["usage"])
        self.assertEqual(content[-1]["choices"][0]["finish_reason"], "length")
        self.assertEqual("".join(text_of(c) for c in content), PATTERN[:8])

    def test_completion_stream(self):
        head, raw = curl(self.server, "/v1/completions", {
            "model": "hybridserve-fake", "prompt": "abc", "stream": True, "max_tokens": 8,
            "stream_options": {"include_usage": True}})
        self.check_stream(head, raw, "text_completion",
                          lambda c: "".join(ch["text"] for ch in c["choices"]))

    def test_chat_stream(self):
        head, raw = curl(self.server, "/v1/chat/completions", {
            "model": "hybridserve-fake", "messages": [{"role": "user", "content": "hi"}],
            "stream": True, "max_tokens": 8, "stream_options": {"include_usage": True}})
        self.check_stream(head, raw, "chat.completion.chunk",
                          lambda c: "".join(ch["delta"].get("content") or ""
                                            for ch in c["choices"]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--hybridserve", required=True)
    args, rest = parser.parse_known_args()
    BINARY = args.hybridserve
    unittest.main(argv=[sys.argv[0]] + rest)
