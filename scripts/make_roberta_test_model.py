#!/usr/bin/python3
"""Write models/testdata/tiny-roberta/: a RoBERTa-shaped model folder small
enough to commit, so tests cover byte-level BPE models without downloads.

    /usr/bin/python3 scripts/make_roberta_test_model.py

Needs Debian's python3-onnx and python3-numpy; the output is committed, so
only rerun it to change the model. Deterministic (fixed seeds).

tokenizer.json  a byte-level BPE written here: the 256 byte symbols of
                GPT-2's bytes_to_unicode, merges learned by plain BPE
                training on the sentences in TRAIN below (most frequent
                pair first, ties by first occurrence), <s> <pad> </s> <unk>
                and <mask> (lstrip) as roberta-base has them, the
                ByteLevel pre-tokenizer (add_prefix_space false) and
                RobertaProcessing.
config.json     model_type roberta, max_position_embeddings 66 (64 tokens
                plus the two positions RoBERTa reserves), pad_token_id 1,
                labels NEGATIVE/POSITIVE.
model.onnx      inputs input_ids and attention_mask (as optimum exports
                RoBERTa: no token_type_ids), output logits [batch, 2]:
                  position_ids = cumsum(ids != pad) * (ids != pad) + pad
                  x = word_embeddings[ids] + position_embeddings[position_ids]
                  one self-attention layer with the additive mask
                  (1 - attention_mask) * -10000, a residual,
                  logits = tanh(h[:, 0] @ dense) @ out_proj.
                Positions are computed exactly as Hugging Face's
                create_position_ids_from_input_ids does, so a pad id inside
                a row shifts every later token; the position table is large
                in scale so that such a shift visibly moves the logits.
                Word embeddings give "good"-like tokens a positive push and
                "bad"-like tokens a negative one, so explanations read
                sensibly.
reference.json  logits computed here with numpy for a few texts, and the
                ids this script's own BPE gives them (OpenAI's original
                loop), for the Go tests to compare against.
"""
import json
import os
import re
import unicodedata

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "models", "testdata", "tiny-roberta")
PAD = 1
HIDDEN = 16
MAX_POS = 66
MERGES = 400

TRAIN = [
    "a gorgeous, witty, seductive movie.",
    "the movie is a disaster from start to finish.",
    "a good film with a great cast and a good story",
    "a bad film with a terrible script and bad acting",
    "I didn't love it, but it's good!!!!!",
    "soooo good... really good......",
    "the 2000 remake is worse than the 1999 original",
    "it was baaaaad, ahhhh",
    "First paragraph.\n\nSecond paragraph, after a blank line.\n\n",
    "they're here, we've seen it, you'll like it, I'm sure, he'd agree",
    "an excellent, moving and beautiful picture",
    "a dull, boring and awful mess",
    "the best film of the year",
    "the worst film of the year",
    "not good, not bad, just fine",
]
POSITIVE = ["good", "great", "excellent", "best", "love", "gorgeous", "beautiful", "moving", "witty", "fine"]
NEGATIVE = ["bad", "terrible", "awful", "worst", "dull", "boring", "disaster", "mess", "worse", "baaaaad"]


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


def char_class(pred):
    out = []
    for cp in range(0x110000):
        if pred(cp):
            out.append(re.escape(chr(cp)))
    return "".join(out)


SPACE = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000} | set(range(0x2000, 0x200B))
# Only the characters the texts here use need exact classes; the full
# Unicode tables are in tokenize/testdata/bpe_reference.py.
_L = char_class(lambda cp: cp < 0x3000 and unicodedata.category(chr(cp)).startswith("L"))
_N = char_class(lambda cp: cp < 0x3000 and unicodedata.category(chr(cp)).startswith("N"))
_S = "".join(re.escape(chr(c)) for c in sorted(SPACE))
PAT = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[%s]+| ?[%s]+| ?[^%s%s%s]+|[%s]+(?![^%s])|[%s]+" % (_L, _N, _S, _L, _N, _S, _S, _S))


def pre_tokens(text):
    return ["".join(BYTE[b] for b in m.encode("utf-8")) for m in PAT.findall(text)]


def train_merges(texts, n):
    words = {}
    for t in texts:
        for w in pre_tokens(t):
            words[w] = words.get(w, 0) + 1
    split = {w: list(w) for w in words}
    merges = []
    for _ in range(n):
        counts, first = {}, {}
        for w, c in words.items():
            s = split[w]
            for p in zip(s, s[1:]):
                counts[p] = counts.get(p, 0) + c
                first.setdefault(p, len(first))
        if not counts:
            break
        best = max(counts, key=lambda p: (counts[p], -first[p]))
        merges.append(best)
        for w in split:
            s, out, i = split[w], [], 0
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            split[w] = out
    return merges


def bpe(word, ranks):
    word = list(word)
    while len(word) > 1:
        pairs = set(zip(word, word[1:]))
        best = min(pairs, key=lambda p: ranks.get(p, float("inf")))
        if best not in ranks:
            break
        out, i = [], 0
        while i < len(word):
            if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                out.append(word[i] + word[i + 1])
                i += 2
            else:
                out.append(word[i])
                i += 1
        word = out
    return word


def encode(text, vocab, ranks):
    ids = [0]
    for w in pre_tokens(text):
        ids += [vocab[t] for t in bpe(w, ranks)]
    return ids + [2]


def tokenizer_json(vocab, merges, mask_id):
    added = [{"id": i, "content": c, "single_word": False, "lstrip": c == "<mask>", "rstrip": False,
              "normalized": False, "special": True}
             for c, i in [("<s>", 0), ("<pad>", 1), ("</s>", 2), ("<unk>", 3), ("<mask>", mask_id)]]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0],
                           "trim_offsets": True, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": [a + " " + b for a, b in merges]},
    }


def weights(vocab):
    rng = np.random.default_rng(21)
    V = len(vocab) + 1  # + <mask>
    E = rng.normal(0, 0.5, (V, HIDDEN)).astype(np.float32)
    E[PAD] = 0
    sentiment = np.zeros(HIDDEN, dtype=np.float32)
    sentiment[0] = 3.0
    for tok, i in vocab.items():
        word = tok.lstrip("Ġ").lower()
        if word in POSITIVE:
            E[i] += sentiment
        if word in NEGATIVE:
            E[i] -= sentiment
    P = rng.normal(0, 1.0, (MAX_POS, HIDDEN)).astype(np.float32)
    P[PAD] = 0
    Wq, Wk, Wv = (rng.normal(0, 0.25, (HIDDEN, HIDDEN)).astype(np.float32) for _ in range(3))
    # The values carry the sentiment dimension on its own, so what the
    # first token attends to decides the sign.
    Wv[0, :], Wv[:, 0] = 0, 0
    Wv[0, 0] = 4.0
    dense = (np.eye(HIDDEN) + rng.normal(0, 0.2, (HIDDEN, HIDDEN))).astype(np.float32)
    out = rng.normal(0, 0.5, (HIDDEN, 2)).astype(np.float32)
    out[0] = [-1.0, 1.0]  # the sentiment direction
    return {"E": E, "P": P, "Wq": Wq, "Wk": Wk, "Wv": Wv, "dense": dense, "out": out}


def forward(w, ids, mask):
    ids, mask = np.asarray(ids)[None], np.asarray(mask)[None]
    keep = (ids != PAD).astype(np.int64)
    pos = np.cumsum(keep, axis=1) * keep + PAD
    x = w["E"][ids] + w["P"][pos]
    q, k, v = x @ w["Wq"], x @ w["Wk"], x @ w["Wv"]
    scores = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(HIDDEN)) + ((1 - mask) * -10000.0)[:, None, :]
    scores = scores - scores.max(-1, keepdims=True)
    a = np.exp(scores)
    a = a / a.sum(-1, keepdims=True)
    h = a @ v + x
    return (np.tanh(h[:, 0] @ w["dense"]) @ w["out"])[0]


def graph(w):
    init = [
        numpy_helper.from_array(w["E"], "roberta.embeddings.word_embeddings.weight"),
        numpy_helper.from_array(w["P"], "roberta.embeddings.position_embeddings.weight"),
        numpy_helper.from_array(w["Wq"], "Wq"), numpy_helper.from_array(w["Wk"], "Wk"),
        numpy_helper.from_array(w["Wv"], "Wv"), numpy_helper.from_array(w["dense"], "dense"),
        numpy_helper.from_array(w["out"], "out_proj"),
        numpy_helper.from_array(np.array(PAD, dtype=np.int64), "pad"),
        numpy_helper.from_array(np.array(1, dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
        numpy_helper.from_array(np.array(-10000.0, dtype=np.float32), "neg"),
        numpy_helper.from_array(np.array(1.0 / np.sqrt(HIDDEN), dtype=np.float32), "scale"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axes1"),
        numpy_helper.from_array(np.array(0, dtype=np.int64), "zero"),
    ]
    nodes = [
        # position_ids = cumsum(ids != pad) * (ids != pad) + pad
        helper.make_node("Equal", ["input_ids", "pad"], ["is_pad"]),
        helper.make_node("Not", ["is_pad"], ["not_pad"]),
        helper.make_node("Cast", ["not_pad"], ["keep"], to=TensorProto.INT64),
        helper.make_node("CumSum", ["keep", "axis1"], ["count"]),
        helper.make_node("Mul", ["count", "keep"], ["count_kept"]),
        helper.make_node("Add", ["count_kept", "pad"], ["position_ids"]),
        helper.make_node("Gather", ["roberta.embeddings.word_embeddings.weight", "input_ids"], ["we"]),
        helper.make_node("Gather", ["roberta.embeddings.position_embeddings.weight", "position_ids"], ["pe"]),
        helper.make_node("Add", ["we", "pe"], ["x"]),
        helper.make_node("MatMul", ["x", "Wq"], ["q"]),
        helper.make_node("MatMul", ["x", "Wk"], ["k"]),
        helper.make_node("MatMul", ["x", "Wv"], ["v"]),
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
        helper.make_node("MatMul", ["q", "kt"], ["qk"]),
        helper.make_node("Mul", ["qk", "scale"], ["scores0"]),
        # additive mask (1 - attention_mask) * -10000 over keys
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Sub", ["one", "mask_f"], ["inv"]),
        helper.make_node("Mul", ["inv", "neg"], ["bias0"]),
        helper.make_node("Unsqueeze", ["bias0", "axes1"], ["bias"]),
        helper.make_node("Add", ["scores0", "bias"], ["scores"]),
        helper.make_node("Softmax", ["scores"], ["attn"], axis=-1),
        helper.make_node("MatMul", ["attn", "v"], ["ctx"]),
        helper.make_node("Add", ["ctx", "x"], ["h"]),
        helper.make_node("Gather", ["h", "zero"], ["cls"], axis=1),
        helper.make_node("MatMul", ["cls", "dense"], ["pooled0"]),
        helper.make_node("Tanh", ["pooled0"], ["pooled"]),
        helper.make_node("MatMul", ["pooled", "out_proj"], ["logits"]),
    ]
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 2])
    g = helper.make_graph(nodes, "tiny-roberta", [ids, mask], [logits], init)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


REFERENCE_TEXTS = [
    "a good film", "a bad film", "I didn't love it, but it's good!!!!!", "soooo good... in 2000",
    "First paragraph.\n\nSecond one is bad.", "a <mask> film",
]


def main():
    merges = train_merges(TRAIN, MERGES)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for b in range(256):
        vocab[BYTE[b]] = len(vocab)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    mask_id = len(vocab)
    ranks = {m: i for i, m in enumerate(merges)}
    w = weights(vocab)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(vocab, merges, mask_id), f, ensure_ascii=False)
    config = {
        "architectures": ["RobertaForSequenceClassification"], "model_type": "roberta",
        "vocab_size": mask_id + 1, "hidden_size": HIDDEN, "num_hidden_layers": 1, "num_attention_heads": 1,
        "intermediate_size": HIDDEN, "max_position_embeddings": MAX_POS, "type_vocab_size": 1,
        "pad_token_id": PAD, "bos_token_id": 0, "eos_token_id": 2,
        "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}, "label2id": {"NEGATIVE": 0, "POSITIVE": 1},
    }
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    onnx.save(graph(w), os.path.join(OUT, "model.onnx"))
    ref = []
    for t in REFERENCE_TEXTS:
        if "<mask>" in t:
            a, b = t.split("<mask>")
            ids = encode(a.rstrip(" "), vocab, ranks)[:-1] + [mask_id] + encode(b, vocab, ranks)[1:]
        else:
            ids = encode(t, vocab, ranks)
        ref.append({"text": t, "input_ids": ids, "logits": [float(x) for x in forward(w, ids, [1] * len(ids))]})
    about = ("logits from scripts/make_roberta_test_model.py's numpy forward pass of the graph's weights; "
             "input_ids from its own BPE (OpenAI's original loop)")
    with open(os.path.join(OUT, "reference.json"), "w", encoding="utf-8") as f:
        json.dump({"about": about, "sentences": ref}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote", OUT, "vocab", mask_id + 1, "merges", len(merges))


if __name__ == "__main__":
    main()
