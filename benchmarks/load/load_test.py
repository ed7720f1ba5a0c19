#!/usr/bin/env python3
"""Load test of the hybridserve binary: many concurrent streaming clients for a fixed time.

Starts `hybridserve` (CPU backend, the bundled default model unless --model) on a free loopback
port, holds --clients concurrent streaming /v1/completions clients for --duration seconds (each
sends its next request as soon as the last one ended), then checks:

  - zero failed requests (a failure: a non-200 answer, an error event, a stream without [DONE],
    a broken connection, or fewer tokens than max_tokens with ignore_eos);
  - both engine pools back to empty at the end (/metrics: KV cache and SSM state usage 0, nothing
    running or waiting);
  - resident memory flat (VmRSS of the server from /proc/<pid>/status, sampled after the ramp-up,
    at the middle and at the end; growth between middle and end must stay within
    --rss-tolerance-mib);

and prints requests/s, tokens/s, and TTFT and ITL percentiles (ITL: the gaps between
consecutive streamed chunks, as vLLM's benchmark_serving measures it).

With --sigterm-at S it sends SIGTERM to the server S seconds in: every request in flight then
must complete or end with a clean error (an SSE error event and [DONE], or an OpenAI-shaped 503),
no new request is started, and the server must exit with code 0.

Standard library only (asyncio and raw HTTP/1.1). Not a unit test: run it by hand, and put its
figures in benchmarks/RESULTS.md.

  benchmarks/load/load_test.py --hybridserve build/server/hybridserve --clients 128 --duration 60
  benchmarks/load/load_test.py --hybridserve build/server/hybridserve --sigterm-at 20 --duration 40
"""

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

WORDS = ("the quick brown fox jumps over a lazy dog while hybrid state space models keep "
         "their memory in a fixed size state and attention layers read every past token").split()


class Result:
    def __init__(self):
        self.status = None
        self.ok = False
        self.clean_error = False  # an orderly error answer (503 / SSE error event)
        self.error = ""
        self.send = 0.0
        self.chunk_times = []  # arrival of each chunk with text
        self.completion_tokens = 0
        self.in_flight_at_sigterm = False


async def read_chunked(reader):
    """Yields the decoded pieces of a chunked body."""
    while True:
        size_line = await reader.readline()
        if not size_line:
            raise ConnectionError("connection closed inside the chunked body")
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            await reader.readline()
            return
        data = await reader.readexactly(size)
        await reader.readexactly(2)
        yield data


async def one_request(port, body, result, state):
    result.send = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        payload = json.dumps(body).encode()
        writer.write(b"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nConnection: close\r\n" +
                     f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionError("no response")
        result.status = int(status_line.split()[1])
        headers = {}
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            key, _, value = line.decode().partition(":")
            headers[key.strip().lower()] = value.strip()
        if result.status != 200:
            length = int(headers.get("content-length", "0"))
            raw = await reader.readexactly(length) if length else await reader.read()
            error = json.loads(raw)["error"]
            result.error = f"HTTP {result.status}: {error['message']}"
            result.clean_error = result.status == 503 and state["sigterm_sent"]
            return
        buffer = b""
        done = False
        async for piece in read_chunked(reader):
            buffer += piece
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                if not event.startswith(b"data: "):
                    raise ValueError(f"bad SSE event {event[:80]!r}")
                data = event[len(b"data: "):]
                if data == b"[DONE]":
                    done = True
                    continue
                chunk = json.loads(data)
                if "error" in chunk:
                    result.error = "SSE error event: " + chunk["error"]["message"]
                    result.clean_error = True
                    continue
                if chunk.get("usage"):
                    result.completion_tokens = chunk["usage"]["completion_tokens"]
                if any(choice.get("text") for choice in chunk.get("choices", [])):
                    result.chunk_times.append(time.perf_counter())
        if not done:
            raise ConnectionError("the stream ended without [DONE]")
        if result.error:
            result.clean_error = result.clean_error and done
            return
        if result.completion_tokens != body["max_tokens"]:
            raise ValueError(f"{result.completion_tokens} tokens, expected {body['max_tokens']}")
        result.ok = True
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass


async def client(index, args, port, deadline, results, state):
    rng = random.Random(index)
    while time.perf_counter() < deadline and not state["sigterm_sent"]:
        prompt = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, args.prompt_words)))
        body = {"model": state["model"], "prompt": prompt, "max_tokens": args.max_tokens,
                "ignore_eos": True, "temperature": 1.0, "stream": True,
                "stream_options": {"include_usage": True}}
        result = Result()
        results.append(result)
        state["in_flight"].add(result)
        try:
            await one_request(port, body, result, state)
        except (ConnectionError, OSError, ValueError, asyncio.IncompleteReadError) as error:
            result.error = f"{type(error).__name__}: {error}"
        finally:
            state["in_flight"].discard(result)


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
        return resp.status, resp.read().decode()


def gauges(port):
    _, text = get(port, "/metrics")
    out = {}
    for line in text.splitlines():
        for name in ("num_requests_running", "num_requests_waiting", "kv_cache_usage_perc",
                     "ssm_state_usage_perc"):
            if line.startswith(f"hybridserve_{name}{{"):
                out[name] = float(line.rsplit(" ", 1)[1])
    return out


def percentiles(values, ps=(50, 90, 99)):
    if not values:
        return {p: float("nan") for p in ps}
    ordered = sorted(values)
    return {p: ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]
            for p in ps}


def start_server(args, workdir):
    port_file = os.path.join(workdir, "ports.json")
    log_path = os.path.join(workdir, "server.log")
    cmd = [args.hybridserve, "--host=127.0.0.1", "--http-port=0", "--grpc-port=-1",
           f"--port-file={port_file}", "--device=cpu", "--log-level=warning"]
    if args.model:
        cmd.append(f"--model={args.model}")
    cmd.extend(args.server_arg)
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while not os.path.exists(port_file):
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            sys.exit(f"hybridserve did not start: {open(log_path).read()}")
        time.sleep(0.05)
    with open(port_file) as f:
        port = json.load(f)["http_port"]
    while True:  # ready = loaded and warmed up
        try:
            if get(port, "/ready")[0] == 200:
                break
        except OSError:
            pass
        if time.time() > deadline:
            proc.kill()
            sys.exit("hybridserve never became ready")
        time.sleep(0.05)
    return proc, port, cmd, log_path


async def run(args, proc, port, model):
    results = []
    state = {"sigterm_sent": False, "in_flight": set(), "model": model,
             "at_sigterm": [], "probe": None}
    start = time.perf_counter()
    deadline = start + args.duration
    rss = {}

    async def sampler():
        marks = {"start": min(5.0, args.duration / 4), "middle": args.duration / 2,
                 "end": args.duration - 0.5}
        for name, at in sorted(marks.items(), key=lambda kv: kv[1]):
            await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
            if proc.poll() is None:
                rss[name] = rss_mib(proc.pid)

    async def terminator():
        await asyncio.sleep(args.sigterm_at)
        state["at_sigterm"] = list(state["in_flight"])
        for result in state["at_sigterm"]:
            result.in_flight_at_sigterm = True
        state["sigterm_sent"] = True
        proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.2)
        probe = Result()
        try:
            await one_request(port, {"model": model, "prompt": "x", "max_tokens": 4,
                                     "stream": True}, probe, state)
        except (ConnectionError, OSError, ValueError, asyncio.IncompleteReadError) as error:
            probe.error = f"{type(error).__name__}: {error}"
        state["probe"] = probe

    tasks = [asyncio.create_task(client(i, args, port, deadline, results, state))
             for i in range(args.clients)]
    side = [asyncio.create_task(sampler())]
    if args.sigterm_at is not None:
        side.append(asyncio.create_task(terminator()))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for task in side:
        if args.sigterm_at is not None:
            await task
        else:
            task.cancel()
    return results, elapsed, rss, state


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hybridserve", default="build/server/hybridserve")
    parser.add_argument("--model", default="", help="model directory (default: bundled)")
    parser.add_argument("--clients", type=int, default=128)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--prompt-words", type=int, default=48)
    parser.add_argument("--rss-tolerance-mib", type=float, default=32.0)
    parser.add_argument("--sigterm-at", type=float, default=None,
                        help="send SIGTERM this many seconds in and check the drain")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="extra hybridserve flag (repeatable)")
    args = parser.parse_args()
    # Every client needs a running sequence and an HTTP thread of its own.
    args.server_arg = [f"--max-num-seqs={args.clients}",
                       f"--http-threads={args.clients + 16}"] + args.server_arg

    with tempfile.TemporaryDirectory() as workdir:
        proc, port, cmd, log_path = start_server(args, workdir)
        model = json.loads(get(port, "/v1/models")[1])["data"][0]["id"]
        print(f"server: {' '.join(cmd)} (pid {proc.pid}, port {port})")
        print(f"load: {args.clients} streaming clients, {args.duration:.0f} s, "
              f"max_tokens {args.max_tokens} (ignore_eos), prompts of 4-{args.prompt_words} "
              "words")
        results, elapsed, rss, state = asyncio.run(run(args, proc, port, model))
        problems = []

        ok = [r for r in results if r.ok]
        failed = [r for r in results if not r.ok and not r.clean_error]
        clean = [r for r in results if r.clean_error]
        tokens = sum(r.completion_tokens for r in ok)
        ttft = [r.chunk_times[0] - r.send for r in ok if r.chunk_times]
        itl = [b - a for r in ok for a, b in zip(r.chunk_times, r.chunk_times[1:])]
        print(f"requests: {len(results)} sent, {len(ok)} completed, {len(failed)} failed, "
              f"{len(clean)} clean errors")
        for r in failed[:5]:
            print(f"  failed: {r.error}")
        print(f"throughput: {len(ok) / elapsed:.2f} requests/s, {tokens / elapsed:.1f} "
              f"generated tokens/s over {elapsed:.1f} s")
        for name, values in (("TTFT", ttft), ("ITL", itl)):
            p = percentiles(values)
            print(f"{name} (ms): p50 {p[50] * 1e3:.1f}  p90 {p[90] * 1e3:.1f}  "
                  f"p99 {p[99] * 1e3:.1f}  ({len(values)} samples)")
        if failed:
            problems.append(f"{len(failed)} failed requests")

        if args.sigterm_at is None:
            deadline = time.time() + 15
            while True:
                g = gauges(port)
                if all(v == 0 for v in g.values()) or time.time() > deadline:
                    break
                time.sleep(0.1)
            print("pools at the end: " + ", ".join(f"{k} {v:g}" for k, v in sorted(g.items())))
            if not all(v == 0 for v in g.values()):
                problems.append("the pools are not empty at the end")
            print("VmRSS (MiB): " + ", ".join(f"{k} {rss[k]:.1f}" for k in
                                              ("start", "middle", "end") if k in rss) +
                  f"; growth start->end {rss['end'] - rss['start']:+.1f}, "
                  f"middle->end {rss['end'] - rss['middle']:+.1f}")
            if abs(rss["end"] - rss["middle"]) > args.rss_tolerance_mib:
                problems.append(f"VmRSS grew {rss['end'] - rss['middle']:+.1f} MiB "
                                "between middle and end")
            proc.send_signal(signal.SIGTERM)
        else:
            at = state["at_sigterm"]
            done = sum(1 for r in at if r.ok)
            errs = sum(1 for r in at if r.clean_error)
            refused = sum(1 for r in at if r.clean_error and r.status == 503)
            print(f"SIGTERM at {args.sigterm_at:g} s: {len(at)} requests in flight: {done} "
                  f"completed, {errs} clean errors ({refused} HTTP 503 not yet started, "
                  f"{errs - refused} SSE error events), {len(at) - done - errs} failed")
            probe = state["probe"]
            print(f"request after SIGTERM: {probe.error or 'HTTP ' + str(probe.status)}")
            if not probe.clean_error:
                problems.append("a request after SIGTERM did not get a clean 503")
            if done + errs != len(at):
                problems.append("in-flight requests failed at SIGTERM")
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
            problems.append("the server did not exit within 60 s of SIGTERM")
        print(f"server exit code: {code}")
        if code != 0:
            problems.append(f"exit code {code}")
            print(open(log_path).read()[-3000:])
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
