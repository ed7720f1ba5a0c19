#!/usr/bin/env python3
"""How far transformers itself keeps the reference's greedy tokens when a checkpoint runs in bf16.

The reference data (reference.json, made by make_reference.py) come from fp32 runs. Our bf16 runs
must give the same greedy tokens except at near-ties; where a family leaves the reference by a wide
margin (nemotron_h, see tests/cuda/engine/model_golden_test.cc), this shows whether transformers in
bf16 leaves it too. For each family directory it loads the checkpoint in bf16 (same prompts, same
greedy cached decode as the reference) and prints, per case, the first step whose token differs
from the reference and the reference's margin there ((logit[want] - logit[got]) / max(1, max|logit|)
of the fp32 reference row).

  python3 tests/golden/bf16_token_drift.py tests/golden/data/nemotron_h [more family dirs] [--device cuda]
      [--write DIR]

With --write DIR it also writes DIR/<family>/bf16_tokens.json: the bf16 greedy tokens of every case
(the GPU golden test holds our bf16 runs of nemotron_h to them). Requires: torch, transformers (5.x).
"""

import argparse
import json
import os
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("families", nargs="+", help="family directories of tests/golden/data")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--write", metavar="DIR", help="write DIR/<family>/bf16_tokens.json")
    args = parser.parse_args()
    diverged = 0
    for family_dir in args.families:
        with open(os.path.join(family_dir, "reference.json")) as f:
            reference = json.load(f)
        model = AutoModelForCausalLM.from_pretrained(family_dir, dtype=torch.bfloat16)
        model.to(args.device).eval()
        name = os.path.basename(os.path.normpath(family_dir))
        written = {"family": name, "transformers_version": transformers.__version__,
                   "torch_version": torch.__version__, "dtype": "bfloat16", "device": args.device,
                   "cases": []}
        for case in reference["cases"]:
            want = case["generated_tokens"]
            ids = torch.tensor([case["prompt"]], dtype=torch.long, device=args.device)
            with torch.no_grad():
                out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                     do_sample=False, max_new_tokens=len(want),
                                     min_new_tokens=len(want), use_cache=True)
            got = [int(x) for x in out[0, ids.shape[1]:].tolist()]
            written["cases"].append({"name": case["name"], "generated_tokens": got})
            step = next((t for t in range(len(want)) if got[t] != want[t]), None)
            if step is None:
                print(f"{name} {case['name']}: bf16 keeps the reference's {len(want)} tokens")
                continue
            diverged += 1
            row = case["step_logits"][step]
            scale = max(1.0, max(abs(x) for x in row))
            margin = (row[want[step]] - row[got[step]]) / scale
            print(f"{name} {case['name']}: bf16 step {step} chose {got[step]}, reference "
                  f"{want[step]} (reference margin {margin:.3g}); bf16 tokens {got}, "
                  f"reference {want}")
        if args.write:
            os.makedirs(os.path.join(args.write, name), exist_ok=True)
            with open(os.path.join(args.write, name, "bf16_tokens.json"), "w") as f:
                json.dump(written, f, indent=1)
                f.write("\n")
    print(f"{diverged} case(s) where transformers in bf16 leaves the reference's tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
