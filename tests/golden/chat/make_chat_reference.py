#!/usr/bin/env python3
"""Renders the chat templates of templates.py over several conversations with transformers.

Writes one JSON file (default: chat_reference.json next to this script) holding the templates,
the conversations, tools and documents, and one case per rendering:
  {"template": NAME, "messages": ID, "tools": ID|null, "documents": ID|null,
   "add_generation_prompt": bool, "expected": TEXT}          (rendered prompt)
  {... same keys ..., "error": "ExceptionType: message"}      (rendering raised)

The reference is transformers' own path: tokenizer.apply_chat_template(..., tokenize=False) on a
fast tokenizer built around a tiny tokenizers object that carries the template's special tokens.
With --local-jinja the script instead renders with a jinja2 environment configured as transformers
configures it (for developing templates without transformers; never commit that output).

Requires: transformers 5.x and tokenizers (or jinja2 alone with --local-jinja).
"""

import argparse
import copy
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from templates import TEMPLATES  # noqa: E402

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city. Answers in °C unless told otherwise.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. \"Zürich\""},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "default": 1, "minimum": 0.5},
            },
            "required": ["city"],
        },
    },
}
SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search_docs",
        "description": "",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "Top_k": {"type": "number", "default": 2.5},
                "exact": {"type": "boolean", "default": False, "nullable": None},
            },
            "required": ["query"],
        },
    },
}

TOOLS = {"two_tools": [WEATHER_TOOL, SEARCH_TOOL], "one_tool": [WEATHER_TOOL]}

DOCUMENTS = {
    "two_docs": [
        {"title": "Mamba", "text": "Selective state spaces.\nLinear time.", "year": 2023},
        {"text": "Attention is all you need.", "source": "arXiv", "title": "Transformer"},
    ]
}

MESSAGES = {
    "user_only": [{"role": "user", "content": "Hello!"}],
    "system_user": [
        {"role": "system", "content": "You are terse. /no_think"},
        {"role": "user", "content": "  What is 2+2?  "},
    ],
    "multi_turn": [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Hi there"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Tell me a joke /think"},
    ],
    "tool_flow": [
        {"role": "user", "content": "Weather in Zürich?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "arguments": {"city": "Zürich", "unit": "celsius", "days": 2},
                    },
                }
            ],
        },
        {"role": "tool", "content": "{\"temp\": 21.5, \"sky\": \"clear\"}"},
        {"role": "assistant", "content": "It is 21.5 °C and clear."},
        {"role": "user", "content": "Thanks"},
    ],
    "parallel_tools": [
        {"role": "system", "content": "Use tools."},
        {"role": "user", "content": "Compare A and B"},
        {
            "role": "assistant",
            "content": "Let me look.",
            "tool_calls": [
                {"type": "function",
                 "function": {"name": "search_docs", "arguments": {"query": "A", "Top_k": 1}}},
                {"type": "function",
                 "function": {"name": "search_docs", "arguments": "{\"query\": \"B\"}"}},
            ],
        },
        {"role": "tool", "content": "A is first"},
        {"role": "tool", "content": "B is second"},
    ],
    "thinking": [
        {"role": "user", "content": "Solve x+1=3"},
        {"role": "assistant", "content": "<think>\nSubtract 1.\n</think>\n\nx = 2"},
        {"role": "user", "content": "And x+2=3?"},
        {"role": "assistant", "content": "<think>Easy.</think>x = 1"},
    ],
    "special_chars": [
        {"role": "system", "content": "Quote \"this\" and 'that'\\n; tabs\there; emoji 🙂; 日本語"},
        {"role": "user", "content": "Größe?\n\n  <b>bold</b> & {{ not a tag }} {% neither %}"},
    ],
    "bad_order": [
        {"role": "user", "content": "one"},
        {"role": "user", "content": "two"},
    ],
    "assistant_first": [
        {"role": "assistant", "content": "I start."},
        {"role": "user", "content": "ok"},
    ],
    "unknown_role": [
        {"role": "user", "content": "hi"},
        {"role": "critic", "content": "meh"},
    ],
    "empty": [],
}

# (messages, tools, documents) combinations per template; every one is rendered with
# add_generation_prompt false and true.
BASE = [
    ("user_only", None, None),
    ("system_user", None, None),
    ("multi_turn", None, None),
    ("thinking", None, None),
    ("special_chars", None, None),
    ("bad_order", None, None),
    ("assistant_first", None, None),
    ("empty", None, None),
]
WITH_TOOLS = [
    ("tool_flow", "two_tools", None),
    ("parallel_tools", "two_tools", None),
    ("system_user", "one_tool", None),
    ("tool_flow", None, None),
]
COMBOS = {
    "chatml_tools": BASE + WITH_TOOLS,
    "llama3": BASE + WITH_TOOLS,
    "granite4": BASE + WITH_TOOLS + [
        ("system_user", None, "two_docs"), ("user_only", "one_tool", "two_docs")],
    "nemotron_h": BASE + WITH_TOOLS,
    "mistral_inst": BASE + [("tool_flow", None, None)],
    "falcon_h1": BASE + WITH_TOOLS,
    "jamba": BASE + WITH_TOOLS + [
        ("user_only", None, "two_docs"), ("unknown_role", None, None),
        ("system_user", "two_tools", "two_docs")],
    "constructs": [("multi_turn", None, None), ("tool_flow", None, None)],
}


def local_jinja_renderer():
    """A jinja2 environment set up the way transformers sets up its chat template one."""
    import jinja2
    import jinja2.ext
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception

    def render(template, special, messages, tools, documents, add_generation_prompt):
        kwargs = {k: v for k, v in special.items() if v is not None}
        return env.from_string(template).render(
            messages=messages, tools=tools, documents=documents,
            add_generation_prompt=add_generation_prompt, **kwargs)

    return render, {"jinja2": jinja2.__version__, "method": "local jinja2 (not a reference)"}


def transformers_renderer():
    import tokenizers
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers

    try:
        from transformers import PreTrainedTokenizerFast as FastTokenizer
    except ImportError:  # newer naming
        from transformers import TokenizersBackend as FastTokenizer

    cache = {}

    def tokenizer_for(special):
        key = json.dumps(special, sort_keys=True)
        if key not in cache:
            vocab = {"<unk>": 0, "hello": 1}
            core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
            core.pre_tokenizer = pre_tokenizers.Whitespace()
            kwargs = {k: v for k, v in special.items() if v is not None}
            cache[key] = FastTokenizer(tokenizer_object=core, unk_token="<unk>", **kwargs)
        return cache[key]

    def render(template, special, messages, tools, documents, add_generation_prompt):
        tok = tokenizer_for(special)
        kwargs = {}
        if tools is not None:
            kwargs["tools"] = tools
        if documents is not None:
            kwargs["documents"] = documents
        out = tok.apply_chat_template(messages, chat_template=template, tokenize=False,
                                      add_generation_prompt=add_generation_prompt, **kwargs)
        if not isinstance(out, str):
            raise RuntimeError(f"apply_chat_template returned {type(out)!r}, not str")
        return out

    info = {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
            "method": f"{FastTokenizer.__name__}.apply_chat_template(tokenize=False)"}
    try:
        import jinja2
        info["jinja2"] = jinja2.__version__
    except ImportError:
        pass
    # The special tokens the tokenizer hands to the template, as transformers reports them.
    info["special_tokens_map_example"] = {
        k: str(v) for k, v in tokenizer_for(TEMPLATES["llama3"][1]).special_tokens_map.items()}
    return render, info


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__),
                                                      "chat_reference.json"))
    parser.add_argument("--local-jinja", action="store_true")
    args = parser.parse_args()

    render, info = local_jinja_renderer() if args.local_jinja else transformers_renderer()
    cross_check = None
    if not args.local_jinja:
        try:
            cross_check, _ = local_jinja_renderer()
        except ImportError:
            pass

    cases = []
    mismatches = []
    for name, combos in COMBOS.items():
        template, special = TEMPLATES[name]
        for messages_id, tools_id, documents_id in combos:
            for add_generation_prompt in (False, True):
                case = {"template": name, "messages": messages_id, "tools": tools_id,
                        "documents": documents_id,
                        "add_generation_prompt": add_generation_prompt}
                call = (template, special, copy.deepcopy(MESSAGES[messages_id]),
                        copy.deepcopy(TOOLS[tools_id]) if tools_id else None,
                        copy.deepcopy(DOCUMENTS[documents_id]) if documents_id else None,
                        add_generation_prompt)
                try:
                    case["expected"] = render(*call)
                except Exception as e:  # the template raised: an expected error
                    case["error"] = f"{type(e).__name__}: {e}"
                if cross_check is not None:
                    try:
                        local = cross_check(*call)
                    except Exception as e:
                        local = f"error {type(e).__name__}"
                    if local != case.get("expected", "error " + case.get("error", "").split(":")[0]):
                        mismatches.append(f"{name}/{messages_id}/{tools_id}/{documents_id}/"
                                          f"{add_generation_prompt}")
                cases.append(case)
    if cross_check is not None:
        info["local_jinja_mismatches"] = mismatches

    data = {
        "generator": info,
        "templates": {name: {"source": t, "special_tokens": s} for name, (t, s) in
                      TEMPLATES.items()},
        "messages": MESSAGES,
        "tools": TOOLS,
        "documents": DOCUMENTS,
        "cases": cases,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")
    num_errors = sum("error" in c for c in cases)
    print(f"wrote {len(cases)} cases ({num_errors} errors) to {args.out}; {info}")


if __name__ == "__main__":
    main()
