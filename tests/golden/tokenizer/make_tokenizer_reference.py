"""Trains small tokenizers with the Hugging Face `tokenizers` library and records reference data.

Each kind is configured like a real model tokenizer; its tokenizer.json is written to
<out>/<kind>/tokenizer.json and the library's own encode/decode results for HARD_STRINGS (plus
lines sampled from the training text) to <out>/<kind>/reference.json:

  gpt2          ByteLevel BPE (regex inside ByteLevel), merges saved as legacy "a b" strings
  llama3        Split regex + ByteLevel(use_regex=false), ignore_merges, ByteLevel+Template post
  spm           SentencePiece-style BPE: Prepend/Replace normalizers, byte_fallback, decoders
                Replace/ByteFallback/Fuse/Strip, merges saved as legacy "a b" strings
  spm_metaspace SentencePiece-style BPE with the Metaspace pre-tokenizer (prepend "first") and a
                Metaspace/ByteFallback/Fuse decoder
  nfkc          ByteLevel BPE behind an NFKC normalizer, BOS and EOS template

Training text: Python's own standard-library sources (sorted, first ~2.5 MB) plus the
multilingual paragraphs embedded below. Also measures the library's single-thread encode
throughput on the deterministic text of bench_text.py (--bench-bytes; 0 skips it).

    RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false \
        python3 tests/golden/tokenizer/make_tokenizer_reference.py --out /tmp/tok
"""

import argparse
import glob
import json
import os
import platform
import random
import sys
import sysconfig
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_text  # noqa: E402

MULTILINGUAL = """
日本語のテキストを処理します。東京は日本の首都であり、多くの人が住んでいます。今日はいい天気ですね。
中文是世界上使用人数最多的语言之一。北京是中国的首都，上海是最大的城市。我们正在测试分词器。
한국어는 한국과 북한에서 사용되는 언어입니다. 서울은 대한민국의 수도입니다.
Русский язык — один из восточнославянских языков. Москва — столица России. Привет, мир!
Українська мова є державною мовою України. Київ — столиця України.
Ελληνικά: Η Αθήνα είναι η πρωτεύουσα της Ελλάδας. Καλημέρα κόσμε!
العربية هي لغة رسمية في العديد من الدول. القاهرة هي عاصمة مصر. مرحبا بالعالم!
עברית היא שפה שמית. ירושלים היא עיר עתיקה.
हिन्दी भारत की एक आधिकारिक भाषा है। नई दिल्ली भारत की राजधानी है।
ภาษาไทยเป็นภาษาราชการของประเทศไทย กรุงเทพมหานครเป็นเมืองหลวง
Tiếng Việt là ngôn ngữ chính thức của Việt Nam. Hà Nội là thủ đô.
Français : le café est très bon à Paris, naïve résumé, déjà vu, façade.
Deutsch: Die Straße in Zürich ist schön. Größe, Übung, Äpfel, Öl.
Español: El niño comió piñas en la montaña. ¿Dónde está la biblioteca? ¡Hola!
Português: São Paulo é a maior cidade do Brasil. Ação, coração, não.
Türkçe: İstanbul büyük bir şehirdir. Iğdır, ılık, şeker, çiçek.
Polski: Zażółć gęślą jaźń. Łódź jest dużym miastem.
Emoji: 😀 😃 😄 👍 👍🏽 ❤️ 🚀 🎉 👨‍👩‍👧‍👦 🏳️‍🌈 🇺🇸 🇯🇵
Math: ∀x ∈ ℝ, x² ≥ 0. ∑ ∫ ≤ ≥ ≠ → ← ½ ① ﬁ ＡＢＣ
"""

HARD_STRINGS = [
    "",
    " ",
    "Hello world",
    "Hello, world! How are you doing today?",
    " leading space",
    "   three leading spaces",
    "trailing space ",
    "trailing spaces   ",
    "multiple   spaces    between     words",
    "\t tabs\tand\t\tmore\ttabs\t",
    "line1\nline2\r\nline3\rline4\n\n\nline5",
    "\n",
    "\n\n\n",
    "   \n  \n\t\n ",
    "CRLF runs\r\n\r\n\r\nend\r\n",
    "Digits: 1234567890 12345678901234567890 3.14159 1,000,000 -42 +7",
    "0000000000000000000000000000000000000000000",
    "I'm, you're, he's, they've, we'll, she'd, don't, can't, it's",
    "I'M, YOU'RE, HE'S, THEY'VE, WE'LL, SHE'D, DON'T, IT'S",
    "O'Neil's dog's 'quoted' ''double'' 'tis 'S",
    "supercalifragilisticexpialidocious" * 3,
    "a" * 300,
    "ab" * 200 + " " + "xyz" * 150,
    "pneumonoultramicroscopicsilicovolcanoconiosis antidisestablishmentarianism",
    "日本語のテキストを処理します。東京は日本の首都です。",
    "中文分词测试：我爱北京天安门。",
    "한국어 텍스트 처리",
    "مرحبا بالعالم، هذا نص عربي.",
    "Привет, мир! Это тест на русском языке.",
    "Ελληνικά κείμενα",
    "हिन्दी पाठ का परीक्षण",
    "ภาษาไทย",
    "café naïve résumé",
    "cafe\u0301 nai\u0308ve re\u0301sume\u0301",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f",
    "emoji 😀 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️ 🚀🚀🚀",
    "flags 🇺🇸🇯🇵🇩🇪",
    "zero\u200bwidth\u200cnon\u200djoiner\ufeffbom",
    "\ufeffBOM at start",
    "\u200b",
    "nbsp\u00a0and\u2009thin\u3000ideographic\u202fspace",
    "ﬁ ligature ① ＡＢＣ ｈｅｌｌｏ ㎏ ½ ™ ℌ",
    "Ångström \u212b \u00c5 A\u030a",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝐛𝐨𝐥𝐝 𝟙𝟚𝟛",
    "def foo(x):\n    return x ** 2  # comment\n",
    "if (a && b || !c) { return [1, 2, 3]; }",
    "    indented code\n\tmore\n        deeper",
    "URL: https://example.com/path?query=1&b=2#frag email@example.com",
    "a\u0000b\u0001c\u007fd\u001be",
    "\u0085NEL and\u2028LS\u2029PS\u000bVT\u000cFF",
    "✓ ✗ → ← ∀ ∃ ∑ ∫ ≤ ≥ ≠",
    "mixed 日本 and English and العربية together 123",
    "The quick brown fox jumps over the lazy dog. " * 4,
    "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n",
    "text<|endoftext|>more text",
    "<|endoftext|><|endoftext|>",
    "<|endoftext|>",
    " <|endoftext|> ",
    "<|begin_of_text|>Hello",
    "before   <mask>   after",
    "<mask>",
    "x<mask>y",
    "before<|im_end|>   after",
    "before <|im_end|>\n\nafter",
    "[TOOL_CALL]{\"name\": \"f\", \"arguments\": {}}",
    "a[TOOL_CALL]b [TOOL_CALL] c",
    "use hybridserve here, not hybridservers or xhybridserve; hybridserve!",
    "hybridserve",
    "<s>Hello</s>",
    "<s> Hello </s>",
    "<unk> <pad>",
    "hello ｈｅｌｌｏ hello",
    " zyzzyva",
    "zyzzyva zyzzyvas  zyzzyva",
    "▁ already has metaspace ▁▁ ▁",
    "<0x41> literal byte token text <0xE3>",
    "<|im_end|",
    "<|im_end|><|im_end|>",
    "\u00ad soft hyphen \u2060 word joiner",
]

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<mask>"]
NON_SPECIAL = ["[TOOL_CALL]", "hybridserve", "ｈｅｌｌｏ"]


def added_token(id_, content, special, lstrip=False, rstrip=False, normalized=None,
                single_word=False):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip,
            "rstrip": rstrip, "normalized": (not special) if normalized is None else normalized,
            "special": special}


def token_flags(content):
    """Flags of each added token (same for every kind)."""
    flags = {
        "<|endoftext|>": dict(special=True),
        "<|im_start|>": dict(special=True),
        "<|im_end|>": dict(special=True, rstrip=True),
        "<|begin_of_text|>": dict(special=True),
        "<mask>": dict(special=True, lstrip=True),
        "[TOOL_CALL]": dict(special=False, normalized=False),
        "hybridserve": dict(special=False, normalized=True, single_word=True),
        "ｈｅｌｌｏ": dict(special=False, normalized=True),
        "<unk>": dict(special=True),
        "<s>": dict(special=True),
        "</s>": dict(special=True),
    }
    return flags[content]


def training_text(max_bytes):
    stdlib = sysconfig.get_paths()["stdlib"]
    files = sorted(glob.glob(os.path.join(stdlib, "**", "*.py"), recursive=True))
    lines = []
    total = 0
    for path in files:
        if "/test" in path[len(stdlib):]:
            continue
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        for line in text.splitlines():
            if line.strip():
                lines.append(line)
                total += len(line)
        if total > max_bytes:
            break
    for _ in range(30):
        lines.extend(l for l in MULTILINGUAL.splitlines() if l.strip())
    return lines


def train(kind, lines, tokenizers):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers, Regex

    byte_level = kind in ("gpt2", "llama3", "nfkc")
    if byte_level:
        specials = SPECIALS + NON_SPECIAL
        tok = Tokenizer(models.BPE())
        if kind == "llama3":
            tok.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        else:
            tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        trainer = trainers.BpeTrainer(vocab_size=2000, special_tokens=specials,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                      show_progress=False)
    else:
        byte_tokens = ["<0x%02X>" % b for b in range(256)]
        specials = ["<unk>", "<s>", "</s>"] + byte_tokens + SPECIALS + NON_SPECIAL
        tok = Tokenizer(models.BPE(unk_token="<unk>"))
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581",
                                                     prepend_scheme="always", split=True)
        trainer = trainers.BpeTrainer(vocab_size=3000, special_tokens=specials, limit_alphabet=180,
                                      show_progress=False)
    tok.train_from_iterator(lines, trainer=trainer)
    data = json.loads(tok.to_str())
    vocab = data["model"]["vocab"]
    model = data["model"]
    model["dropout"] = None
    model["continuing_subword_prefix"] = None
    model["end_of_word_suffix"] = None

    added = []
    for content in specials:
        if content.startswith("<0x"):
            continue
        added.append(added_token(vocab[content], content, **token_flags(content)))
    data["added_tokens"] = added

    bos = "<|begin_of_text|>" if byte_level else "<s>"
    single = [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]
    special_tokens = {bos: {"id": bos, "ids": [vocab[bos]], "tokens": [bos]}}
    if kind == "nfkc":
        eos = "<|endoftext|>"
        single.append({"SpecialToken": {"id": eos, "type_id": 0}})
        special_tokens[eos] = {"id": eos, "ids": [vocab[eos]], "tokens": [eos]}
    pair = single + [{"Sequence": {"id": "B", "type_id": 1}}]
    template = {"type": "TemplateProcessing", "single": single, "pair": pair,
                "special_tokens": special_tokens}

    if byte_level:
        model["fuse_unk"] = False
        model["byte_fallback"] = False
        model["ignore_merges"] = kind == "llama3"
        model["unk_token"] = None
        data["decoder"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                           "use_regex": True}
        if kind == "llama3":
            # A vocabulary entry that no merge sequence reaches: only ignore_merges finds it.
            vocab["\u0120zyzzyva"] = max(vocab.values()) + 1
            data["post_processor"] = {"type": "Sequence", "processors": [
                {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                 "use_regex": True}, template]}
        else:
            data["post_processor"] = template
        if kind == "nfkc":
            data["normalizer"] = {"type": "NFKC"}
    else:
        model["fuse_unk"] = True
        model["byte_fallback"] = True
        model["ignore_merges"] = False
        model["unk_token"] = "<unk>"
        data["post_processor"] = template
        if kind == "spm":
            data["normalizer"] = {"type": "Sequence", "normalizers": [
                {"type": "Prepend", "prepend": "\u2581"},
                {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]}
            data["pre_tokenizer"] = None
            data["decoder"] = {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                {"type": "ByteFallback"}, {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
        else:
            data["normalizer"] = None
            data["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581",
                                     "prepend_scheme": "first", "split": True}
            data["decoder"] = {"type": "Sequence", "decoders": [
                {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first",
                 "split": True},
                {"type": "ByteFallback"}, {"type": "Fuse"}]}

    merges = model["merges"]
    if merges and isinstance(merges[0], str):
        merges = [m.split(" ") for m in merges]
    if kind in ("gpt2", "spm"):
        model["merges"] = [" ".join(m) for m in merges]  # legacy format
    else:
        model["merges"] = [list(m) for m in merges]
    text = json.dumps(data, ensure_ascii=False, indent=1)
    final = tokenizers.Tokenizer.from_str(text)
    return text, final


LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def record(tok, strings):
    cases = []
    for s in strings:
        with_special = tok.encode(s, add_special_tokens=True).ids
        plain = tok.encode(s, add_special_tokens=False).ids
        cases.append({
            "text": s,
            "ids": with_special,
            "ids_no_special": plain,
            "decode": tok.decode(with_special, skip_special_tokens=False),
            "decode_skip_special": tok.decode(with_special, skip_special_tokens=True),
            "decode_no_special": tok.decode(plain, skip_special_tokens=False),
        })
    return cases


def bench(tok, docs):
    total = sum(len(d.encode("utf-8")) for d in docs)
    results = {}
    for name, fn in (("encode_batch", lambda: tok.encode_batch(docs, add_special_tokens=False)),
                     ("encode_loop", lambda: [tok.encode(d, add_special_tokens=False)
                                              for d in docs])):
        fn()  # warm-up (fills the library's word cache, like our warm runs)
        best = None
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        results[name + "_mb_per_s"] = total / best / 1e6
    num_tokens = sum(len(e.ids) for e in tok.encode_batch(docs, add_special_tokens=False))
    results["num_tokens"] = num_tokens
    results["bytes"] = total
    return results


def main():
    parser = argparse.ArgumentParser(description="train tokenizers and record HF reference data")
    parser.add_argument("--out", required=True)
    parser.add_argument("--kinds", default="gpt2,llama3,spm,spm_metaspace,nfkc")
    parser.add_argument("--train-bytes", type=int, default=2_500_000)
    parser.add_argument("--bench-bytes", type=int, default=4_000_000)
    args = parser.parse_args()
    os.environ.setdefault("RAYON_NUM_THREADS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import tokenizers

    lines = training_text(args.train_bytes)
    rng = random.Random(1234)
    sampled = [l for l in rng.sample(lines, 40)]
    strings = HARD_STRINGS + sampled
    docs = bench_text.documents(args.bench_bytes) if args.bench_bytes > 0 else []
    summary = {"tokenizers_version": tokenizers.__version__, "python": platform.python_version(),
               "machine": platform.processor() or platform.machine(), "kinds": {}}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    summary["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    for kind in args.kinds.split(","):
        t0 = time.time()
        text, tok = train(kind, lines, tokenizers)
        os.makedirs(os.path.join(args.out, kind), exist_ok=True)
        with open(os.path.join(args.out, kind, "tokenizer.json"), "w", encoding="utf-8") as f:
            f.write(text)
        ref = {"tokenizers_version": tokenizers.__version__, "kind": kind,
               "vocab_size": tok.get_vocab_size(with_added_tokens=True),
               "cases": record(tok, strings)}
        with open(os.path.join(args.out, kind, "reference.json"), "w", encoding="utf-8") as f:
            json.dump(ref, f, ensure_ascii=False, indent=1)
        info = {"train_s": round(time.time() - t0, 2)}
        if docs:
            info.update(bench(tok, docs))
        summary["kinds"][kind] = info
        print(kind, json.dumps(info), flush=True)
    with open(os.path.join(args.out, "hf_summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
