"""Writes wordpiece_reference.json next to this file: texts and the ids that
scripts/export_models.py's reference WordPiece gives them (max_len 512).

Run from the repository root (Python 3.11 wrote the committed file; the
Unicode version of Python's unicodedata decides a few rare characters):

    /usr/bin/python3 tokenize/testdata/gen_wordpiece_reference.py \
        "$(go list -m -f '{{.Dir}}' github.com/sugarme/tokenizer)/pretrained/model/bert-base-uncased-vocab.txt"
"""
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import export_models as em
wp = em.WordPiece(sys.argv[1])
texts = [t for t, _ in em.read_tsv(os.path.join(em.SST2, "dev.tsv"))[:60]]
texts += em.REFERENCE_SENTENCES  # the sentences of the default model's reference.json
texts += ["unaffable Café naïve, résumé — déjà vu. 東京 🔥 can't", "Cafe\u0301 e\u0301\u0301x", "İstanbul", "한국어 텍스트",
          "ﬁne ﬂow", "wow!!!...", "a\u00a0b\tc\nd\u2003e\u200bf", "x\x00y\ufffdz", "ΑΘΗΝΑ αθήνα", "Ünïcödé ÀÉÎÕÜ",
          "$5 + 3^2 = `14` {ok} ~ | \\ @home #tag", "日本語のテキスト、カタカナ。", "Привет, мир!", "مرحبا بالعالم",
          "emoji 👍🏽 family 👨‍👩‍👧 flag 🇫🇷", "tab\tand\u2028line\u2029sep", "x" * 120 + " tail"]
rnd = random.Random(11)
pools = [range(0x20, 0x7f), range(0xa0, 0x250), range(0x300, 0x370), range(0x370, 0x400), range(0x400, 0x500),
         range(0x4e00, 0x4e80), range(0xac00, 0xac40), range(0x1f300, 0x1f340), range(0x2000, 0x2070),
         range(0x3000, 0x3100), [0x20] * 10, range(0x0, 0x20), range(0xfe00, 0xff00), range(0x1100, 0x1200)]
while len(texts) < 400:
    s = "".join(chr(rnd.choice(list(rnd.choice(pools)))) for _ in range(rnd.randint(1, 30)))
    texts.append(s)
# Hugging Face lowercases one character at a time; Python's str.lower applies
# the final-sigma rule. Keep only texts where the two agree, and none with
# added tokens (Hugging Face matches "[MASK]" in text; the reference does not).
texts = [t for t in texts if t.lower() == "".join(c.lower() for c in t) and "[" not in t]
about = ("ids from scripts/export_models.py's WordPiece (bert-base-uncased vocabulary, max_len 512); "
         "written by gen_wordpiece_reference.py")
with open(os.path.join(HERE, "wordpiece_reference.json"), "w", encoding="utf-8") as f:
    f.write('{"about": %s,\n "cases": [\n' % json.dumps(about))
    f.write(",\n".join(json.dumps({"text": t, "input_ids": wp.encode(t, 512)}, ensure_ascii=False) for t in texts))
    f.write("\n]}\n")
print(len(texts))
