"""Deterministic benchmark text, generated identically by benchmarks/tokenizer_bench.cc.

Generator (both sides): a 64-bit LCG, state = state * 6364136223846793005 + 1442695040888963407
(mod 2**64), seeded with 0x5EED; each draw returns state >> 33. A document is built from
sentences until it reaches kDocBytes: a sentence has 4 + draw % 16 words; each word is
WORDS[draw % len(WORDS)], except that a draw % 11 == 0 word becomes the decimal number
draw % 100000. Words are joined by one space; a sentence ends with ".", then "\n" when
draw % 5 == 0, else " ". Documents are generated until the total reaches the requested bytes.

    python3 tests/golden/tokenizer/bench_text.py --bytes 4000000 --out /tmp/bench.txt
"""

import argparse
import hashlib

WORDS = [
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by",
    "on", "not", "he", "I", "this", "are", "or", "his", "from", "at", "which", "but", "have",
    "an", "had", "they", "you", "were", "their", "one", "all", "we", "can", "her", "has",
    "there", "been", "if", "more", "when", "will", "would", "who", "so", "no", "model", "state",
    "space", "tokenizer", "inference", "server", "attention", "sequence", "Mamba", "hybrid",
    "don't", "it's", "we're", "they've", "I'll", "she'd", "HTTP", "JSON", "GPU", "(x)", "[1]",
    "x = f(y);", "return", "def", "self.value", "{\"key\": 1}", "--flag", "a/b/c", "e.g.",
    "naïve", "café", "Zürich", "São", "Paulo", "Ελλάδα", "Москва", "привет", "мир", "東京",
    "日本語", "中文", "北京", "한국어", "مرحبا", "العالم", "हिन्दी", "😀", "👍🏽", "🚀",
    "extraordinarily", "internationalization", "tokenization", "synchronization",
]
DOC_BYTES = 4096
SEED = 0x5EED
MASK = (1 << 64) - 1


class Lcg:
    def __init__(self, seed):
        self.state = seed & MASK

    def draw(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & MASK
        return self.state >> 33


def documents(total_bytes):
    """Returns the list of documents (str) whose UTF-8 sizes add up to >= total_bytes."""
    rng = Lcg(SEED)
    docs = []
    total = 0
    while total < total_bytes:
        parts = []
        size = 0
        while size < DOC_BYTES:
            num_words = 4 + rng.draw() % 16
            words = []
            for _ in range(num_words):
                d = rng.draw()
                if d % 11 == 0:
                    words.append(str(rng.draw() % 100000))
                else:
                    words.append(WORDS[d % len(WORDS)])
            sentence = " ".join(words) + "."
            sentence += "\n" if rng.draw() % 5 == 0 else " "
            parts.append(sentence)
            size += len(sentence.encode("utf-8"))
        doc = "".join(parts)
        docs.append(doc)
        total += len(doc.encode("utf-8"))
    return docs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bytes", type=int, default=4_000_000)
    parser.add_argument("--out")
    args = parser.parse_args()
    docs = documents(args.bytes)
    blob = "".join(docs).encode("utf-8")
    print(f"{len(docs)} documents, {len(blob)} bytes, sha256 {hashlib.sha256(blob).hexdigest()}")
    if args.out:
        with open(args.out, "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
