#!/usr/bin/env python3
"""Checks `hybridtool logits` against reference data made by make_reference.py.

For every DIR/<case>/reference.json under the given data folders, runs
`hybridtool logits --model DIR/<case> --tokens ... --generate N --json` for each recorded prompt
and checks prompt logits and per-step decode logits within TOL x max(1, max |logit|) per row and
identical greedy tokens. Prints one line per case and exits non-zero on any mismatch.

  compare_logits.py --hybridtool build/weights_tools/hybridtool tests/golden/data [more dirs]
  compare_logits.py --tool-arg=--device=cuda --hybridtool ... tests/golden/data   (the GPU)
"""
import argparse
import json
import os
import subprocess
import sys


def max_row_error(actual, expected):
    scale = max(1.0, max(abs(v) for v in expected))
    return max(abs(a - e) for a, e in zip(actual, expected)) / scale


def check_case(tool, case_dir, tol, extra):
    with open(os.path.join(case_dir, "reference.json")) as f:
        reference = json.load(f)
    worst = 0.0
    failures = []
    for case in reference["cases"]:
        n = len(case["generated_tokens"])
        cmd = [tool, "logits", "--model", case_dir, "--tokens",
               ",".join(str(t) for t in case["prompt"]), "--generate", str(n), "--json"] + extra
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            failures.append(f"{case['name']}: hybridtool failed: {run.stderr.strip()}")
            continue
        out = json.loads(run.stdout)
        rows = list(zip(out["prompt_logits"], case["prompt_logits"]))
        rows += list(zip(out["step_logits"], case["step_logits"]))
        if len(out["prompt_logits"]) != len(case["prompt_logits"]):
            failures.append(f"{case['name']}: {len(out['prompt_logits'])} prompt rows")
        for actual, expected in rows:
            if len(actual) != len(expected):
                failures.append(f"{case['name']}: vocab {len(actual)} != {len(expected)}")
                break
            worst = max(worst, max_row_error(actual, expected))
        if out["generated_tokens"] != case["generated_tokens"]:
            failures.append(f"{case['name']}: tokens {out['generated_tokens']} != "
                            f"{case['generated_tokens']}")
    if worst > tol:
        failures.append(f"max relative row error {worst:.3g} > {tol:g}")
    return reference.get("family", "?"), worst, failures


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hybridtool", required=True)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--prefill-chunk", type=int, default=0)
    parser.add_argument("--tool-arg", action="append", default=[],
                        help="extra hybridtool argument, e.g. --tool-arg=--device=cuda")
    parser.add_argument("data_dirs", nargs="+")
    args = parser.parse_args()
    extra = ["--prefill-chunk", str(args.prefill_chunk)] if args.prefill_chunk else []
    for arg in args.tool_arg:
        extra.extend(arg.split("=", 1) if arg.startswith("--") and "=" in arg else [arg])
    cases = []
    for data_dir in args.data_dirs:
        for name in sorted(os.listdir(data_dir)):
            if os.path.exists(os.path.join(data_dir, name, "reference.json")):
                cases.append(os.path.join(data_dir, name))
    if not cases:
        print("compare_logits: no reference.json found", file=sys.stderr)
        return 2
    failed = 0
    for case_dir in cases:
        family, worst, failures = check_case(args.hybridtool, case_dir, args.tol, extra)
        status = "ok" if not failures else "FAIL"
        print(f"{status:4} {case_dir} ({family}): max relative row error {worst:.3g}")
        for failure in failures:
            print(f"     {failure}")
        failed += bool(failures)
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
