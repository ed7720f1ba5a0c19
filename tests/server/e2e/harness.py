"""Starts the real hybridserve binary on free loopback ports for the end-to-end tests."""

import json
import os
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.request


# Loopback only: never through a proxy named in the environment (http_proxy and friends).
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Server:
    """A running hybridserve (fake backend unless told otherwise); use as a context manager."""

    def __init__(self, binary, *extra_args, fake=True, wait_ready=True):
        self._dir = tempfile.TemporaryDirectory()
        port_file = os.path.join(self._dir.name, "ports.json")
        self.log_path = os.path.join(self._dir.name, "server.log")
        args = [binary, "--host=127.0.0.1", "--http-port=0", "--grpc-port=0",
                f"--port-file={port_file}"]
        if fake:
            args.append("--fake-backend")
        args.extend(extra_args)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while not os.path.exists(port_file):
            if self.proc.poll() is not None:
                raise RuntimeError(f"hybridserve exited with {self.proc.returncode}: {self.log()}")
            if time.time() > deadline:
                self.proc.kill()
                raise RuntimeError("hybridserve did not start listening within 30 s")
            time.sleep(0.05)
        with open(port_file) as f:
            ports = json.load(f)
        self.http_port = ports["http_port"]
        self.grpc_port = ports["grpc_port"]
        self.base_url = f"http://127.0.0.1:{self.http_port}"
        if wait_ready:
            # The backend loads after the front ends listen (slowly under the sanitizers): start
            # every test against a ready server unless it is about the loading window itself.
            deadline = time.time() + 120
            while True:
                try:
                    if self.request("GET", "/ready", timeout=5)[0] == 200:
                        break
                except OSError:
                    pass
                if self.proc.poll() is not None:
                    raise RuntimeError(f"hybridserve exited with {self.proc.returncode}: "
                                       f"{self.log()}")
                if time.time() > deadline:
                    self.proc.kill()
                    raise RuntimeError("hybridserve was not ready within 120 s")
                time.sleep(0.05)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self._dir.cleanup()

    # HTTP helpers: (status, body bytes).
    def request(self, method, path, body=None, headers=None, timeout=30):
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              **(headers or {})})
        try:
            with _DIRECT.open(req, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def post(self, path, body, **kw):
        status, data = self.request("POST", path, body, **kw)
        return status, json.loads(data) if data else None

    def metrics(self):
        status, data = self.request("GET", "/metrics")
        assert status == 200, status
        return data.decode()


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def parse_metrics(text):
    """{(name, frozenset(labels)): value} of every sample line."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        assert match, f"unparsable metrics line: {line!r}"
        name, labels, value = match.groups()
        pairs = frozenset(re.findall(r'(\w+)="([^"]*)"', labels or ""))
        samples[(name, pairs)] = float(value)
    return samples


def metric(samples, name, **labels):
    """The value of one sample; labels not given must match any value."""
    found = [v for (n, ls), v in samples.items()
             if n == name and all((k, str(val)) in ls for k, val in labels.items())]
    assert len(found) == 1, f"{name} {labels}: {len(found)} samples"
    return found[0]


def sse_events(raw):
    """The data payloads of a server-sent event stream (bytes), in order."""
    events = []
    for block in raw.decode().split("\n\n"):
        if not block:
            continue
        assert block.startswith("data: "), f"bad SSE block: {block!r}"
        events.append(block[len("data: "):])
    return events
