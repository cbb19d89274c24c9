"""An independent reference for GPT-2 byte-level BPE (RoBERTa's tokenizer),
written from the algorithm's definition, standard library only:

- the pre-tokenizer is GPT-2's regex itself,
      's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
  run by Python's re engine (backtracking, lookahead and all), with \\p{L},
  \\p{N} spelled out from unicodedata's categories and \\s as Unicode
  White_Space (what Oniguruma, Hugging Face's regex engine, means by \\s);
- each match's UTF-8 bytes become characters by GPT-2's bytes_to_unicode;
- BPE is OpenAI's original loop (encoder.py): find the adjacent pair with
  the lowest merge rank, merge every occurrence of it left to right,
  repeat until no pair has a rank.

Lucid's Go implementation (tokenize/bytelevel.go) is a different program:
a hand-written scanner and a heap of (rank, position). The two agreeing is
the check.

    /usr/bin/python3 tokenize/testdata/bpe_reference.py TOKENIZER_JSON table OUT.json
        writes the reference table for the texts below (bpe_reference.json)
    /usr/bin/python3 tokenize/testdata/bpe_reference.py TOKENIZER_JSON lines < texts > ids
        one line of space-separated ids per input line (no <s> </s>)
"""
import json
import re
import sys
import unicodedata


def char_class(pred):
    ranges, start = [], None
    for cp in range(0x110000):
        ok = pred(cp)
        if ok and start is None:
            start = cp
        if not ok and start is not None:
            ranges.append((start, cp - 1))
            start = None
    if start is not None:
        ranges.append((start, 0x10FFFF))
    return "".join(re.escape(chr(a)) if a == b else re.escape(chr(a)) + "-" + re.escape(chr(b)) for a, b in ranges)


SPACE = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000} | set(range(0x2000, 0x200B))
L = char_class(lambda cp: unicodedata.category(chr(cp)).startswith("L"))
N = char_class(lambda cp: unicodedata.category(chr(cp)).startswith("N"))
S = char_class(lambda cp: cp in SPACE)
PAT = re.compile(
    r"'s|'t|'re|'ve|'m|'ll|'d| ?[%s]+| ?[%s]+| ?[^%s%s%s]+|[%s]+(?![^%s])|[%s]+" % (L, N, S, L, N, S, S, S))


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE = bytes_to_unicode()


class BPE:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
        self.vocab = cfg["model"]["vocab"]
        self.ranks = {}
        for i, m in enumerate(cfg["model"]["merges"]):
            pair = tuple(m.split(" ")) if isinstance(m, str) else tuple(m)
            self.ranks.setdefault(pair, i)
        self.cache = {}

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = list(token)
        while len(word) > 1:
            pairs = set(zip(word, word[1:]))
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            first, second = best
            out, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                    out.append(first + second)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        self.cache[token] = word
        return word

    def tokens(self, text):
        out = []
        for m in PAT.findall(text):
            out += self.bpe("".join(BYTE[b] for b in m.encode("utf-8")))
        return out


TEXTS = [
    # The cases: runs of one symbol, and whitespace other than spaces.
    " 2000", "in 2000", "!!!!!", "......", "soooo", "ahhhh", "baaaaad", "a\n\nb", "a\u00a0\u00a0b",
    # More of both kinds.
    "wow!!!!!! really?????", "soooooo goooood", "1999 2000 20000 2000s", "hmmmm... okay....",
    "first paragraph.\n\nsecond paragraph.", "a\n\n\nb", "a \n b", "a\t\tb", "tail\n\n", "a  b",
    "  leading", "x\u00a0y", "a\u3000\u3000b", "\r\n\r\n",
    # Contractions, case, numbers, punctuation, non-ASCII.
    "don't won't I'm you'll he'd we've they're it's", "DON'T 'S", "it''s", "$1,000.50 + 3.14%",
    "Café naïve résumé déjà vu", "東京 🔥 emoji 👍🏽", "Привет, мир!", "the film's 12-year-old star",
]

if __name__ == "__main__":
    bpe = BPE(sys.argv[1])
    if sys.argv[2] == "table":
        cases = [{"text": t, "tokens": bpe.tokens(t), "ids": [bpe.vocab[x] for x in bpe.tokens(t)]} for t in TEXTS]
        about = ("tokens of roberta-base's byte-level BPE from tokenize/testdata/bpe_reference.py "
                 "(GPT-2's regex in Python's re, OpenAI's original BPE loop), no <s> </s>")
        with open(sys.argv[3], "w", encoding="utf-8") as f:
            f.write('{"about": %s,\n "cases": [\n' % json.dumps(about))
            f.write(",\n".join("  " + json.dumps(c, ensure_ascii=False) for c in cases))
            f.write("\n]}\n")
    else:
        for line in sys.stdin:
            line = line.rstrip("\n")
            print(" ".join(str(bpe.vocab[x]) for x in bpe.tokens(line)))
