#!/usr/bin/python3
"""Write Lucid model folders (the model-directory contract in README.md).

Two jobs:

  train-default   trains the small BERT-class sentiment classifier that ships
                  in models/ from ../shared/data/sst2/train.tsv (or
                  --train-file FILE, e.g. a `lucid augment` output), measures
                  it on dev.tsv and writes the whole folder (model.onnx,
                  model_embeds.onnx, embeddings.onnx, model_grad.onnx,
                  tokenizer.json, config.json, reference.json, README.md).

  grad [DIR]      writes DIR/model_grad.onnx (default: the shipped model)
                  from DIR/model.onnx's weights, checks it against
                  torch.autograd.grad (on reference.json, or random token ids
                  where the folder has none) and records the check in
                  DIR/README.md. BERT and MiniLM (model_type bert), DistilBERT
                  and RoBERTa: folders written by train-default or hf, and
                  optimum-style exports (torch.onnx.export, opset 14, with
                  transformers' parameter names), for which it also writes
                  model_embeds.onnx and embeddings.onnx when they are missing.
                  Needs Debian's python3-torch and python3-onnx (and
                  libopenblas0-pthread, or training is ~7x slower):
                      apt-get install python3-torch python3-onnx libopenblas0-pthread
                      /usr/bin/python3 scripts/export_models.py train-default

  quantize [DIR] --quantize OUT
                  writes OUT, an int8 dynamically quantized copy of DIR
                  (default: the shipped model) with ONNX Runtime's
                  quantize_dynamic where the onnxruntime package is installed,
                  else scripts/quantize_onnx.py (python3-onnx only). train-default
                  and hf take --quantize OUT too, for a quantized copy of what
                  they write.

  hf MODEL OUT    exports any Hugging Face sequence classifier (BERT,
                  DistilBERT, RoBERTa, ...) to the same contract. Needs the
                  `transformers` package and a machine that reaches the hub
                  (or a local checkpoint folder as MODEL).

The BERT here is written out in plain PyTorch (no transformers dependency) so
that training works with Debian's packages alone; its layout and parameter
names follow the original BERT so the export is an ordinary BERT graph.
"""

import argparse
import json
import math
import os
import random
import subprocess
import sys
import time
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SST2 = os.path.join(ROOT, "..", "shared", "data", "sst2")
DEFAULT_OUT = os.path.join(ROOT, "models", "sst2-mini-bert")
LABELS = ["NEGATIVE", "POSITIVE"]

REFERENCE_SENTENCES = [
    "a gorgeous , witty , seductive movie .",
    "the movie is a disaster from start to finish .",
    "it 's not a bad film , just a forgettable one .",
    "I loved every minute of it!",
    "Boring. Predictable. Too long.",
    "The acting was superb but the plot made no sense.",
    "unaffable characters wander through a beautiful landscape",
    "Café naïve, résumé — déjà vu.",
    "This film is 🔥🔥🔥 and I can't wait to see it again",
    "東京 is the setting for this charming story",
    "",
    "a " * 300 + "wonderful ending",
]


# ---------------------------------------------------------------- tokenizer --
# A reference implementation of BERT's uncased WordPiece tokenizer (the
# algorithm of Hugging Face's BertNormalizer + BertPreTokenizer + WordPiece),
# used for training and for reference.json. Lucid's Go tokenizer is tested
# against the ids written here.

def _is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


class WordPiece:
    def __init__(self, vocab_path):
        with open(vocab_path, encoding="utf-8") as f:
            self.vocab_list = [line.rstrip("\n") for line in f]
        self.vocab = {w: i for i, w in enumerate(self.vocab_list)}
        self.unk = self.vocab["[UNK]"]
        self.cls = self.vocab["[CLS]"]
        self.sep = self.vocab["[SEP]"]
        self.pad = self.vocab["[PAD]"]
        self.mask = self.vocab["[MASK]"]

    def words(self, text):
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch).startswith("C") and ch not in "\t\n\r"):
                continue
            if _is_cjk(cp):
                out.append(" " + ch + " ")
            elif ch.isspace():
                out.append(" ")
            else:
                out.append(ch)
        text = "".join(out).lower()
        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        words = []
        for chunk in text.split():
            cur = ""
            for ch in chunk:
                if _is_punct(ch):
                    if cur:
                        words.append(cur)
                        cur = ""
                    words.append(ch)
                else:
                    cur += ch
            if cur:
                words.append(cur)
        return words

    def word_ids(self, word):
        if len(word) > 100:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end, found = len(word), None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.unk]
            ids.append(found)
            start = end
        return ids

    def encode(self, text, max_len):
        ids = [self.cls]
        for w in self.words(text):
            ids.extend(self.word_ids(w))
        ids = ids[: max_len - 1] + [self.sep]
        return ids


def tokenizer_json(wp):
    """Hugging Face fast-tokenizer JSON for bert-base-uncased."""
    special = [("[PAD]", wp.pad), ("[UNK]", wp.unk), ("[CLS]", wp.cls), ("[SEP]", wp.sep), ("[MASK]", wp.mask)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True} for t, i in sorted(special, key=lambda x: x[1])
        ],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [wp.cls], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [wp.sep], "tokens": ["[SEP]"]},
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": {w: i for i, w in enumerate(wp.vocab_list)}},
    }


# -------------------------------------------------------------------- model --

def build_model(torch, cfg):
    nn = torch.nn
    H, L, A, I = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["intermediate_size"]
    drop = cfg["hidden_dropout_prob"]

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.k, self.v, self.o = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
            self.ln1 = nn.LayerNorm(H, eps=1e-12)
            self.ff1, self.ff2 = nn.Linear(H, I), nn.Linear(I, H)
            self.ln2 = nn.LayerNorm(H, eps=1e-12)
            self.drop = nn.Dropout(drop)

        def forward(self, x, bias):
            b, s, _ = x.shape
            d = H // A

            def heads(t):
                return t.view(b, s, A, d).transpose(1, 2)

            q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + bias
            ctx = torch.matmul(self.drop(torch.softmax(scores, dim=-1)), v).transpose(1, 2).reshape(b, s, H)
            x = self.ln1(x + self.drop(self.o(ctx)))
            ff = self.ff2(torch.nn.functional.gelu(self.ff1(x)))
            return self.ln2(x + self.drop(ff))

    class Bert(nn.Module):
        def __init__(self):
            super().__init__()
            self.word_embeddings = nn.Embedding(cfg["vocab_size"], H)
            self.position_embeddings = nn.Embedding(cfg["max_position_embeddings"], H)
            self.token_type_embeddings = nn.Embedding(cfg["type_vocab_size"], H)
            self.emb_ln = nn.LayerNorm(H, eps=1e-12)
            self.drop = nn.Dropout(drop)
            self.layers = nn.ModuleList([Layer() for _ in range(L)])
            self.pooler = nn.Linear(H, H)
            self.classifier = nn.Linear(H, len(cfg["id2label"]))
            for m in self.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    m.weight.data.normal_(0.0, 0.02)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    m.bias.data.zero_()

        def forward_embeds(self, inputs_embeds, attention_mask, token_type_ids):
            s = inputs_embeds.shape[1]
            pos = torch.arange(s, device=inputs_embeds.device).unsqueeze(0)
            x = inputs_embeds + self.position_embeddings(pos) + self.token_type_embeddings(token_type_ids)
            x = self.drop(self.emb_ln(x))
            bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
            for layer in self.layers:
                x = layer(x, bias)
            pooled = torch.tanh(self.pooler(x[:, 0]))
            return self.classifier(self.drop(pooled))

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.forward_embeds(self.word_embeddings(input_ids), attention_mask, token_type_ids)

    return Bert()


def read_tsv(path):
    """(text, label) pairs of a TSV file with a header. The label column is
    "label"; the text column the first of "sentence", "text", "content" (as
    Lucid's reader picks it). Other columns (such as the provenance column
    `lucid augment` adds) are ignored."""
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        header = next(f).rstrip("\r\n").split("\t")
        names = [h.strip().lower() for h in header]
        if "label" not in names:
            sys.exit(f"export_models.py: {path} has no label column (columns: {header})")
        li = names.index("label")
        ti = next((names.index(c) for c in ("sentence", "text", "content") if c in names), None)
        if ti is None or ti == li:
            sys.exit(f"export_models.py: {path} has no text column (sentence, text or content; columns: {header})")
        for n, line in enumerate(f, start=2):
            line = line.rstrip("\r\n")
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) != len(header):
                sys.exit(f"export_models.py: {path}, line {n}: {len(fields)} fields, the header has {len(header)}")
            rows.append((fields[ti], int(fields[li])))
    return rows


def batches(torch, encoded, labels, batch_size, pad, shuffle, rng):
    order = list(range(len(encoded)))
    if shuffle:
        rng.shuffle(order)
        # bucket by length inside windows of 50 batches: less padding, still random
        win = batch_size * 50
        order = [i for s in range(0, len(order), win) for i in sorted(order[s:s + win], key=lambda j: len(encoded[j]))]
        chunks = [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
        rng.shuffle(chunks)
    else:
        chunks = [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
    for idx in chunks:
        width = max(len(encoded[i]) for i in idx)
        ids = torch.full((len(idx), width), pad, dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for r, i in enumerate(idx):
            ids[r, : len(encoded[i])] = torch.tensor(encoded[i])
            mask[r, : len(encoded[i])] = 1
        yield ids, mask, torch.tensor([labels[i] for i in idx])


def accuracy(torch, model, encoded, labels, pad):
    model.eval()
    right = 0
    with torch.no_grad():
        for ids, mask, y in batches(torch, encoded, labels, 256, pad, False, None):
            logits = model(ids, mask, torch.zeros_like(ids))
            right += int((logits.argmax(-1) == y).sum())
    model.train()
    return right / len(labels)


def export_onnx(torch, model, cfg, out):
    model.eval()
    H = cfg["hidden_size"]
    ids = torch.tensor([[101, 1037, 2204, 3185, 102], [101, 2919, 102, 0, 0]])
    mask = (ids != 0).long()
    tt = torch.zeros_like(ids)
    axes = {0: "batch", 1: "sequence"}

    torch.onnx.export(model, (ids, mask, tt), os.path.join(out, "model.onnx"),
                      input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                      dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                    "logits": {0: "batch"}}, opset_version=14, do_constant_folding=True)

    class Embeds(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, inputs_embeds, attention_mask, token_type_ids):
            return self.m.forward_embeds(inputs_embeds, attention_mask, token_type_ids)

    class Lookup(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.emb = m.word_embeddings

        def forward(self, input_ids):
            return self.emb(input_ids)

    embeds = model.word_embeddings(ids).detach()
    torch.onnx.export(Embeds(model), (embeds, mask, tt), os.path.join(out, "model_embeds.onnx"),
                      input_names=["inputs_embeds", "attention_mask", "token_type_ids"], output_names=["logits"],
                      dynamic_axes={"inputs_embeds": axes, "attention_mask": axes, "token_type_ids": axes,
                                    "logits": {0: "batch"}}, opset_version=14, do_constant_folding=True)
    torch.onnx.export(Lookup(model), (ids,), os.path.join(out, "embeddings.onnx"),
                      input_names=["input_ids"], output_names=["inputs_embeds"],
                      dynamic_axes={"input_ids": axes, "inputs_embeds": axes}, opset_version=14)
    del H


# ----------------------------------------------------------------- gradient --
# ONNX Runtime has no autograd and torch.onnx.export traces only the forward
# pass, so the gradient graph is written out by hand: the module below runs
# the encoder forward, keeps what the backward pass needs, and then applies
# the chain rule layer by layer in plain tensor operations (MatMul, Erf,
# Softmax, ReduceMean, ...), which trace to ordinary ONNX ops.

GRAD_FILE = "model_grad.onnx"
# Values of the graph's "output" input; the same order as Lucid's
# evaluate.Output (prob, logit, logodds).
GRAD_OUTPUTS = ("probability", "logit", "log-odds")


def grad_spec(torch, model, cfg):
    """What the backward pass needs of a model, from build_model's BERT or
    build_hf_model's BERT, DistilBERT or RoBERTa: position and token-type
    embeddings, the embedding LayerNorm, each layer's (q, k, v, o, ln1, ff1,
    ff2, ln2) and the head (tanh pooler or RoBERTa head, or DistilBERT's
    ReLU pre-classifier), all post-LN with exact gelu."""
    if hasattr(model, "arch"):
        e = model.enc.embeddings
        # RoBERTa's one token type is a constant: its graphs, as optimum
        # writes them, take no token_type_ids.
        return {"position": e.position_embeddings, "positions": model.positions, "types": model.type_embeddings(),
                "types_input": model.arch == "bert",
                "emb_ln": e.LayerNorm, "blocks": [b.parts() for b in model.blocks()], "head": model.head(),
                "H": model.hidden, "A": model.heads}
    return {"position": model.position_embeddings,
            "positions": lambda s, dev: torch.arange(s, device=dev).unsqueeze(0),
            "types": model.token_type_embeddings, "types_input": True, "emb_ln": model.emb_ln,
            "blocks": [(l.q, l.k, l.v, l.o, l.ln1, l.ff1, l.ff2, l.ln2) for l in model.layers],
            "head": ("tanh", model.pooler, model.classifier),
            "H": cfg["hidden_size"], "A": cfg["num_attention_heads"]}


def build_grad_module(torch, model, cfg):
    """A module (inputs_embeds, attention_mask, [token_type_ids,] target,
    output) -> (logits, gradient) for model in eval mode: build_model's
    BERT, or build_hf_model's BERT/MiniLM, DistilBERT or RoBERTa (no
    token_type_ids input for the models without token types)."""
    sp = grad_spec(torch, model, cfg)
    H, A = sp["H"], sp["A"]
    d = H // A
    inv_sqrt2pi = 1.0 / math.sqrt(2.0 * math.pi)
    kind_head, head1, head2 = sp["head"]
    blocks = sp["blocks"]
    types = sp["types"]

    def ln_forward(x, ln):
        mu = x.mean(-1, keepdim=True)
        xc = x - mu
        var = (xc * xc).mean(-1, keepdim=True)
        rstd = torch.rsqrt(var + ln.eps)
        xhat = xc * rstd
        return xhat * ln.weight + ln.bias, (xhat, rstd)

    def ln_backward(dout, saved, ln):
        xhat, rstd = saved
        dxhat = dout * ln.weight
        return rstd * (dxhat - dxhat.mean(-1, keepdim=True) - xhat * (dxhat * xhat).mean(-1, keepdim=True))

    def lin(x, l):
        return torch.matmul(x, l.weight.t()) + l.bias

    def run(inputs_embeds, attention_mask, token_type_ids, target, output):
        b, s, _ = inputs_embeds.shape
        x0 = inputs_embeds + sp["position"](sp["positions"](s, inputs_embeds.device))
        if types is not None:
            x0 = x0 + (types(token_type_ids) if token_type_ids is not None else types.weight[0])
        x, emb_saved = ln_forward(x0, sp["emb_ln"])
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        saved = []
        for (lq, lk, lv, lo, ln1, ff1, ff2, ln2) in blocks:
            def heads(t):
                return t.reshape(b, s, A, d).transpose(1, 2)
            q, k, v = heads(lin(x, lq)), heads(lin(x, lk)), heads(lin(x, lv))
            p = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + bias, dim=-1)
            ctx = torch.matmul(p, v).transpose(1, 2).reshape(b, s, H)
            x1, ln1_saved = ln_forward(x + lin(ctx, lo), ln1)
            f = lin(x1, ff1)
            cdf = 0.5 * (1.0 + torch.erf(f / math.sqrt(2.0)))
            g = f * cdf
            x2, ln2_saved = ln_forward(x1 + lin(g, ff2), ln2)
            saved.append((q, k, v, p, ln1_saved, f, cdf, ln2_saved))
            x = x2
        cls = x[:, 0]
        pre = lin(cls, head1)
        if kind_head == "relu":
            hidden = torch.relu(pre)
        else:
            hidden = torch.tanh(pre)
        logits = lin(hidden, head2)

        # d score / d logits, for the three outputs Lucid attributes.
        n_labels = logits.shape[-1]
        onehot = (torch.arange(n_labels, device=logits.device).unsqueeze(0) == target.unsqueeze(1)).to(logits.dtype)
        probs = torch.softmax(logits, dim=-1)
        p_t = (probs * onehot).sum(-1, keepdim=True)
        d_prob = p_t * (onehot - probs)
        # log p_t - log(1 - p_t) = z_t - logsumexp(z_j, j != t): its
        # gradient is onehot - softmax over the other labels.
        others = torch.softmax(logits - 1e9 * onehot, dim=-1) * (1.0 - onehot)
        d_logodds = onehot - others
        kind = (torch.arange(3, device=logits.device) == output.reshape(1)).to(logits.dtype)
        dz = kind[0] * d_prob + kind[1] * onehot + kind[2] * d_logodds

        # Backward through the classifier head.
        dhidden = torch.matmul(dz, head2.weight)
        if kind_head == "relu":
            dpre = dhidden * (pre > 0).to(dhidden.dtype)
        else:
            dpre = dhidden * (1.0 - hidden * hidden)
        dcls = torch.matmul(dpre, head1.weight)
        first = (torch.arange(s, device=x.device) == 0).to(x.dtype).reshape(1, s, 1)
        dx = dcls.unsqueeze(1) * first

        for (lq, lk, lv, lo, ln1, ff1, ff2, ln2), (q, k, v, p, ln1_saved, f, cdf, ln2_saved) in zip(reversed(blocks), reversed(saved)):
            dy2 = ln_backward(dx, ln2_saved, ln2)
            dg = torch.matmul(dy2, ff2.weight)
            df = dg * (cdf + f * torch.exp(-0.5 * f * f) * inv_sqrt2pi)
            dx1 = dy2 + torch.matmul(df, ff1.weight)
            dy1 = ln_backward(dx1, ln1_saved, ln1)
            dctx = torch.matmul(dy1, lo.weight).reshape(b, s, A, d).transpose(1, 2)
            dp = torch.matmul(dctx, v.transpose(-1, -2))
            dv = torch.matmul(p.transpose(-1, -2), dctx)
            dscores = p * (dp - (dp * p).sum(-1, keepdim=True)) / math.sqrt(d)
            dq = torch.matmul(dscores, k)
            dk = torch.matmul(dscores.transpose(-1, -2), q)

            def flat(t):
                return t.transpose(1, 2).reshape(b, s, H)
            dx = (dy1 + torch.matmul(flat(dq), lq.weight) + torch.matmul(flat(dk), lk.weight)
                  + torch.matmul(flat(dv), lv.weight))
        # x0 = inputs_embeds + positions (+ token types): the gradient with
        # respect to the input embeddings is the one with respect to x0.
        return logits, ln_backward(dx, emb_saved, sp["emb_ln"])

    class Grad(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, inputs_embeds, attention_mask, token_type_ids, target, output):
            return run(inputs_embeds, attention_mask, token_type_ids, target, output)

    class GradNoTypes(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, inputs_embeds, attention_mask, target, output):
            return run(inputs_embeds, attention_mask, None, target, output)

    return (Grad(model) if sp["types_input"] else GradNoTypes(model)).eval()


def load_weights_from_onnx(torch, model, path):
    """Fill build_model's parameters from model.onnx's initializers.

    torch.onnx.export folds Linear layers on 3-D inputs into MatMul with a
    transposed copy of the weight under a generated name, so names are not
    enough: each parameter is matched by name when the export kept it, else
    by the MatMul/Gemm node that consumes it, in graph order."""
    import numpy as np
    import onnx
    from onnx import numpy_helper
    g = onnx.load(path).graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    state = model.state_dict()
    filled = {}
    for name in state:
        if name in init:
            filled[name] = init[name]
    # Linear weights in forward order, as the graph's MatMul/Gemm nodes use them.
    linears = [n for n, mod in model.named_modules() if isinstance(mod, torch.nn.Linear)]
    order = []
    for layer_i in range(len(model.layers)):
        order += [f"layers.{layer_i}.{x}" for x in ("q", "k", "v", "o", "ff1", "ff2")]
    order += ["pooler", "classifier"]
    assert sorted(order) == sorted(linears), (order, linears)
    producers = {o: n for n in g.node for o in n.output}
    mats = []
    for n in g.node:
        if n.op_type in ("MatMul", "Gemm") and len(n.input) >= 2 and n.input[1] in init:
            w = init[n.input[1]]
            trans_b = any(a.name == "transB" and a.i == 1 for a in n.attribute)
            bias = None
            if n.op_type == "Gemm" and len(n.input) > 2:
                bias = init.get(n.input[2])
            else:
                for c in g.node:
                    if c.op_type == "Add" and n.output[0] in c.input:
                        other = [i for i in c.input if i != n.output[0]][0]
                        bias = init.get(other)
                        break
            mats.append((w if trans_b else w.T, bias))
    del producers
    if len(mats) != len(order):
        raise SystemExit(f"export_models.py: {path} has {len(mats)} weight matrices, the BERT here has {len(order)}")
    for name, (w, bias) in zip(order, mats):
        if f"{name}.weight" not in filled:
            filled[f"{name}.weight"] = w
        if f"{name}.bias" not in filled and bias is not None:
            filled[f"{name}.bias"] = bias
    missing = [n for n in state if n not in filled]
    if missing:
        raise SystemExit(f"export_models.py: {path} lacks weights for {', '.join(missing)}")
    for name, arr in filled.items():
        if tuple(arr.shape) != tuple(state[name].shape):
            raise SystemExit(f"export_models.py: {path} weight for {name} has shape {arr.shape}, want {tuple(state[name].shape)}")
        state[name] = torch.from_numpy(np.array(arr, copy=True)).to(state[name].dtype)
    model.load_state_dict(state)
    return model.eval()


# ------------------------------------------------- Hugging Face architectures --
# Plain-PyTorch re-implementations of BertForSequenceClassification (BERT and
# MiniLM, which is a small BERT), DistilBertForSequenceClassification and
# RobertaForSequenceClassification in eval mode, with the parameter names and
# module tree of `transformers` (so an export of either has the same
# initializer names) and the same semantics: DistilBERT has no token types, a
# ReLU pre-classifier head and its own layer names; RoBERTa has no pooler, a
# dense + tanh + out_proj head, position ids from padding_idx + cumsum of the
# non-pad mask (padding_idx + 1 onwards for inputs_embeds, as transformers
# does) and LayerNorm eps 1e-5. Dropout is left out: everything here is
# inference. `grad` loads their weights from a folder's model.onnx, so an
# optimum- or `hf`-style export gets a gradient graph without transformers.

HF_ARCHS = ("bert", "distilbert", "roberta")


def hf_arch(cfg):
    """The architecture family of a config.json: bert (BERT, MiniLM), distilbert or roberta."""
    t = (cfg.get("model_type") or "").lower()
    if t in HF_ARCHS:
        return t
    archs = " ".join(cfg.get("architectures") or [])
    for a, name in (("distilbert", "DistilBert"), ("roberta", "Roberta"), ("bert", "Bert")):
        if name in archs:
            return a
    return None


def n_labels_of(cfg):
    if cfg.get("id2label"):
        return len(cfg["id2label"])
    return int(cfg.get("num_labels", 2))


def build_hf_model(torch, cfg):
    """A torch re-implementation of cfg's sequence classifier (random weights)."""
    nn = torch.nn
    arch = hf_arch(cfg)
    if arch is None:
        raise SystemExit(f"export_models.py: model_type {cfg.get('model_type')!r} (architectures "
                         f"{cfg.get('architectures')}): the gradient graph covers BERT, MiniLM (model_type bert), "
                         "DistilBERT and RoBERTa")
    n_labels = n_labels_of(cfg)
    if arch == "distilbert":
        H, L, A, I = cfg.get("dim", 768), cfg.get("n_layers", 6), cfg.get("n_heads", 12), cfg.get("hidden_dim", 3072)
        act = cfg.get("activation", "gelu")
        eps = 1e-12
    else:
        H, L, A, I = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["intermediate_size"]
        act = cfg.get("hidden_act", "gelu")
        eps = cfg.get("layer_norm_eps", 1e-5 if arch == "roberta" else 1e-12)
    if act != "gelu":
        raise SystemExit(f"export_models.py: activation {act!r}: the gradient graph's backward pass covers exact (erf) gelu only")
    d = H // A
    pad = cfg.get("pad_token_id", 1 if arch == "roberta" else 0)

    def attention(q, k, v, mask, b, s):
        def heads(t):
            return t.view(b, s, A, d).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        scores = torch.matmul(q / math.sqrt(d), k.transpose(-1, -2))
        scores = scores.masked_fill(mask[:, None, None, :] == 0, torch.finfo(scores.dtype).min)
        return torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(b, s, H)

    class Embeddings(nn.Module):
        def __init__(self, types):
            super().__init__()
            self.word_embeddings = nn.Embedding(cfg["vocab_size"], H, padding_idx=pad)
            self.position_embeddings = nn.Embedding(cfg["max_position_embeddings"], H,
                                                    padding_idx=pad if arch == "roberta" else None)
            if types:
                self.token_type_embeddings = nn.Embedding(cfg.get("type_vocab_size", 2), H)
            self.LayerNorm = nn.LayerNorm(H, eps=eps)

    if arch == "distilbert":
        class Attn(nn.Module):
            def __init__(self):
                super().__init__()
                self.q_lin, self.k_lin, self.v_lin, self.out_lin = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)

        class FFN(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin1, self.lin2 = nn.Linear(H, I), nn.Linear(I, H)

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.attention = Attn()
                self.sa_layer_norm = nn.LayerNorm(H, eps=eps)
                self.ffn = FFN()
                self.output_layer_norm = nn.LayerNorm(H, eps=eps)

            def forward(self, x, mask):
                b, s, _ = x.shape
                a = self.attention
                x = self.sa_layer_norm(a.out_lin(attention(a.q_lin(x), a.k_lin(x), a.v_lin(x), mask, b, s)) + x)
                return self.output_layer_norm(self.ffn.lin2(nn.functional.gelu(self.ffn.lin1(x))) + x)

            def parts(self):
                a = self.attention
                return (a.q_lin, a.k_lin, a.v_lin, a.out_lin, self.sa_layer_norm, self.ffn.lin1, self.ffn.lin2, self.output_layer_norm)

        class Transformer(nn.Module):
            def __init__(self):
                super().__init__()
                self.layer = nn.ModuleList([Block() for _ in range(L)])

        class Encoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.embeddings = Embeddings(False)
                self.transformer = Transformer()
    else:
        class SelfAttn(nn.Module):
            def __init__(self):
                super().__init__()
                self.query, self.key, self.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)

        class DenseLN(nn.Module):
            def __init__(self, i):
                super().__init__()
                self.dense = nn.Linear(i, H)
                self.LayerNorm = nn.LayerNorm(H, eps=eps)

        class Attention(nn.Module):
            def __init__(self):
                super().__init__()
                self.self = SelfAttn()
                self.output = DenseLN(H)

        class Intermediate(nn.Module):
            def __init__(self):
                super().__init__()
                self.dense = nn.Linear(H, I)

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.attention = Attention()
                self.intermediate = Intermediate()
                self.output = DenseLN(I)

            def forward(self, x, mask):
                b, s, _ = x.shape
                sa = self.attention.self
                ctx = attention(sa.query(x), sa.key(x), sa.value(x), mask, b, s)
                x = self.attention.output.LayerNorm(self.attention.output.dense(ctx) + x)
                return self.output.LayerNorm(self.output.dense(nn.functional.gelu(self.intermediate.dense(x))) + x)

            def parts(self):
                sa = self.attention.self
                return (sa.query, sa.key, sa.value, self.attention.output.dense, self.attention.output.LayerNorm,
                        self.intermediate.dense, self.output.dense, self.output.LayerNorm)

        class LayerList(nn.Module):
            def __init__(self):
                super().__init__()
                self.layer = nn.ModuleList([Block() for _ in range(L)])

        class Pooler(nn.Module):
            def __init__(self):
                super().__init__()
                self.dense = nn.Linear(H, H)

        class Encoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.embeddings = Embeddings(True)
                self.encoder = LayerList()
                if arch == "bert":
                    self.pooler = Pooler()

    class RobertaHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.dense, self.out_proj = nn.Linear(H, H), nn.Linear(H, n_labels)

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            setattr(self, arch, Encoder())
            if arch == "distilbert":
                self.pre_classifier = nn.Linear(H, H)
                self.classifier = nn.Linear(H, n_labels)
            elif arch == "roberta":
                self.classifier = RobertaHead()
            else:
                self.classifier = nn.Linear(H, n_labels)
            for m in self.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    m.weight.data.normal_(0.0, 0.02)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    m.bias.data.normal_(0.0, 0.02)
                if isinstance(m, nn.LayerNorm):
                    # Not 1 and 0, so that a loader that skipped them would show.
                    m.weight.data.normal_(1.0, 0.1)
                    m.bias.data.normal_(0.0, 0.1)
            self.arch, self.hidden, self.heads, self.pad = arch, H, A, pad
            self.n_labels = n_labels

        @property
        def enc(self):
            return getattr(self, arch)

        @property
        def word_embeddings(self):
            return self.enc.embeddings.word_embeddings

        def positions(self, s, device):
            # transformers' create_position_ids_from_inputs_embeds for
            # RoBERTa: padding_idx + 1 onwards, whatever the mask.
            off = self.pad + 1 if arch == "roberta" else 0
            return torch.arange(off, off + s, device=device).unsqueeze(0)

        def type_embeddings(self):
            e = self.enc.embeddings
            return getattr(e, "token_type_embeddings", None)

        def blocks(self):
            return self.enc.transformer.layer if arch == "distilbert" else self.enc.encoder.layer

        def head(self):
            """(kind, first, second): tanh (BERT pooler, RoBERTa head) or relu (DistilBERT)."""
            if arch == "distilbert":
                return "relu", self.pre_classifier, self.classifier
            if arch == "roberta":
                return "tanh", self.classifier.dense, self.classifier.out_proj
            return "tanh", self.enc.pooler.dense, self.classifier

        def forward_embeds(self, inputs_embeds, attention_mask, token_type_ids=None):
            e = self.enc.embeddings
            s = inputs_embeds.shape[1]
            x = inputs_embeds + e.position_embeddings(self.positions(s, inputs_embeds.device))
            te = self.type_embeddings()
            if te is not None:
                if token_type_ids is None:
                    token_type_ids = torch.zeros_like(attention_mask)
                x = x + te(token_type_ids)
            x = e.LayerNorm(x)
            for blk in self.blocks():
                x = blk(x, attention_mask)
            kind, first, second = self.head()
            h = first(x[:, 0])
            h = torch.relu(h) if kind == "relu" else torch.tanh(h)
            return second(h)

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            if arch == "roberta":
                # create_position_ids_from_input_ids: pads keep padding_idx.
                m = input_ids.ne(self.pad).long()
                pos = torch.cumsum(m, dim=1) * m + self.pad
                e = self.enc.embeddings
                x = self.word_embeddings(input_ids) + e.position_embeddings(pos)
                if token_type_ids is None:
                    token_type_ids = torch.zeros_like(input_ids)
                x = e.LayerNorm(x + e.token_type_embeddings(token_type_ids))
                for blk in self.blocks():
                    x = blk(x, attention_mask)
                kind, first, second = self.head()
                return second(torch.tanh(first(x[:, 0])))
            return self.forward_embeds(self.word_embeddings(input_ids), attention_mask, token_type_ids)

    return Classifier().eval()


def hf_input_names(arch):
    """The inputs an optimum export of arch takes: token types for BERT only."""
    return ["input_ids", "attention_mask"] + (["token_type_ids"] if arch == "bert" else [])


def load_hf_weights_from_onnx(torch, model, path):
    """Fill build_hf_model's parameters from an export's initializers.

    Parameters the export keeps under their own names (embeddings, LayerNorm,
    biases, Gemm weights of 2-D heads) are taken by name; torch.onnx.export
    folds the Linear layers on 3-D inputs into MatMul with a transposed copy
    of the weight under a generated name, so each of those is found through
    the Add that follows its MatMul, whose other input is the layer's named
    bias. The export's names may carry a prefix (optimum's, or none)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper
    g = onnx.load(path).graph
    init = {t.name: t for t in g.initializer}
    state = model.state_dict()

    def key(name):
        # Initializer name -> parameter name, allowing a leading prefix
        # (e.g. "model.") that some exporters add.
        if name in state:
            return name
        for k in state:
            if name.endswith("." + k):
                return k
        return None

    filled = {}
    for name, t in init.items():
        k = key(name)
        if k is not None:
            filled[k] = numpy_helper.to_array(t)
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    for n in g.node:
        if n.op_type == "Gemm" and len(n.input) >= 2 and n.input[1] in init and len(n.input) > 2:
            k = key(n.input[2])
            if k and k.endswith(".bias") and k[:-5] + ".weight" not in filled:
                w = numpy_helper.to_array(init[n.input[1]])
                trans_b = any(a.name == "transB" and a.i == 1 for a in n.attribute)
                filled[k[:-5] + ".weight"] = w if trans_b else w.T
        if n.op_type != "MatMul" or len(n.input) < 2 or n.input[1] not in init:
            continue
        for c in consumers.get(n.output[0], []):
            if c.op_type != "Add":
                continue
            other = [i for i in c.input if i != n.output[0]]
            k = key(other[0]) if other else None
            if k and k.endswith(".bias"):
                filled.setdefault(k[:-5] + ".weight", numpy_helper.to_array(init[n.input[1]]).T)
    missing = [n for n in state if n not in filled]
    if missing:
        raise SystemExit(f"export_models.py: {path} lacks weights for {', '.join(missing[:6])}"
                         + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
                         + f" (its initializers: {', '.join(list(init)[:6])}, ...): the gradient graph needs the "
                         "export's parameter names as transformers writes them")
    for name, arr in filled.items():
        if tuple(arr.shape) != tuple(state[name].shape):
            raise SystemExit(f"export_models.py: {path} weight for {name} has shape {arr.shape}, want {tuple(state[name].shape)}")
        state[name] = torch.from_numpy(np.array(arr, copy=True)).to(state[name].dtype)
    model.load_state_dict(state)
    return model.eval()


def export_hf_embedding_graphs(torch, model, out):
    """Write out/model_embeds.onnx and out/embeddings.onnx for a folder that
    has only model.onnx (an optimum-style export): the inputs model.onnx
    takes, with inputs_embeds in place of input_ids, and the word-embedding
    lookup."""
    arch = model.arch
    names = hf_input_names(arch)
    ids = torch.tensor([[2, 5, 7, 9, 3], [2, 8, 3, model.pad, model.pad]])
    mask = (torch.arange(5).unsqueeze(0) < torch.tensor([[5], [3]])).long()
    tt = torch.zeros_like(ids)
    axes = {0: "batch", 1: "sequence"}

    class Embeds(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, inputs_embeds, attention_mask, *tt):
            return self.m.forward_embeds(inputs_embeds, attention_mask, *tt)

    class Lookup(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.emb = m.word_embeddings

        def forward(self, input_ids):
            return self.emb(input_ids)

    e_names = ["inputs_embeds"] + names[1:]
    e_args = (model.word_embeddings(ids).detach(), mask) + ((tt,) if "token_type_ids" in names else ())
    with torch.no_grad():
        torch.onnx.export(Embeds(model), e_args, os.path.join(out, "model_embeds.onnx"),
                          input_names=e_names, output_names=["logits"],
                          dynamic_axes={**{n: axes for n in e_names}, "logits": {0: "batch"}},
                          opset_version=14, do_constant_folding=True)
        torch.onnx.export(Lookup(model), (ids,), os.path.join(out, "embeddings.onnx"),
                          input_names=["input_ids"], output_names=["inputs_embeds"],
                          dynamic_axes={"input_ids": axes, "inputs_embeds": axes}, opset_version=14)


def model_labels(model):
    """How many labels model (build_model's or build_hf_model's) outputs."""
    return model.n_labels if hasattr(model, "n_labels") else model.classifier.out_features


def has_types(torch, model, cfg):
    """Whether the model's graphs take token_type_ids."""
    return grad_spec(torch, model, cfg)["types_input"]


def export_grad(torch, model, cfg, out):
    """Write out/model_grad.onnx for model (eval mode)."""
    model.eval()
    grad = build_grad_module(torch, model, cfg)
    pad = getattr(model, "pad", 0)
    ids = torch.tensor([[2, 5, 7, 9, 3], [2, 8, 3, pad, pad]])
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    tt = torch.zeros_like(ids)
    embeds = model.word_embeddings(ids).detach()
    target = torch.tensor([1 % model_labels(model), 0])
    output = torch.tensor([0])
    axes = {0: "batch", 1: "sequence"}
    types = has_types(torch, model, cfg)
    names = ["inputs_embeds", "attention_mask"] + (["token_type_ids"] if types else [])
    args = (embeds, mask) + ((tt,) if types else ()) + (target, output)
    with torch.no_grad():
        torch.onnx.export(grad, args, os.path.join(out, GRAD_FILE),
                          input_names=names + ["target", "output"],
                          output_names=["logits", "gradient"],
                          dynamic_axes={**{n: axes for n in names},
                                        "target": {0: "batch"}, "logits": {0: "batch"}, "gradient": axes},
                          # Folding would store each weight twice (W for the
                          # backward pass, a transposed copy for the forward
                          # one); unfolded, the transposes of these small
                          # matrices run per batch and cost nothing measurable.
                          opset_version=14, do_constant_folding=False)


def synthetic_refs(model, n=4):
    """Reference inputs for a folder without reference.json: token ids drawn
    from the vocabulary (never the pad id), lengths 3 to 24."""
    rng = random.Random(7)
    vocab = model.word_embeddings.num_embeddings
    pad = getattr(model, "pad", 0)
    refs = []
    for length in (3, 8, 15, 24)[:n]:
        refs.append({"input_ids": [rng.choice([i for i in range(min(vocab, 4000)) if i != pad]) for _ in range(length)]})
    return refs


def score_of(torch, z, target, name):
    if name == "probability":
        return torch.softmax(z, -1)[target]
    if name == "logit":
        return z[target]
    return z[target] - torch.logsumexp(torch.cat([z[:target], z[target + 1:]]), 0)


def check_grad(torch, model, cfg, refs):
    """Compare the gradient module that is traced into model_grad.onnx with
    torch.autograd.grad of the model's own forward pass on each reference
    input, for every label and all three outputs, one text at a time and
    then all texts in one right-padded batch (the padding masked, its
    gradient zero). Returns, per output, the largest relative error
    max|g − g_autograd| / max|g_autograd| over inputs and labels, and the
    largest logit difference (from PyTorch's forward pass on the token ids
    and, where reference.json has them, its logits, which checks the weights
    were loaded right). (ONNX Runtime for Python is not in Debian; Lucid's
    Go tests check the .onnx file itself against finite differences.)"""
    grad = build_grad_module(torch, model, cfg)
    types = has_types(torch, model, cfg)
    worst = {k: 0.0 for k in GRAD_OUTPUTS}
    logit_diff = 0.0

    def run_grad(e, mask, tt, target, kind):
        with torch.no_grad():
            return grad(*((e, mask) + ((tt,) if types else ()) + (target, torch.tensor([kind]))))

    wants = {}
    for ri, ref in enumerate(refs):
        ids = torch.tensor([ref["input_ids"]])
        mask, tt = torch.ones_like(ids), torch.zeros_like(ids)
        with torch.no_grad():
            z_ids = model(ids, mask, tt)[0] if types else model(ids, mask)[0]
        for target in range(model_labels(model)):
            for kind, name in enumerate(GRAD_OUTPUTS):
                e = model.word_embeddings(ids).detach().requires_grad_(True)
                z = model.forward_embeds(e, mask, tt)[0]
                (want,) = torch.autograd.grad(score_of(torch, z, target, name), e)
                wants[(ri, target, kind)] = want[0]
                logits, got = run_grad(e.detach(), mask, tt, torch.tensor([target]), kind)
                rel = float((got - want).abs().max() / want.abs().max().clamp_min(1e-30))
                worst[name] = max(worst[name], rel)
                logit_diff = max(logit_diff, float((logits[0] - z.detach()).abs().max()),
                                 float((logits[0] - z_ids).abs().max()))
                if "logits" in ref:
                    logit_diff = max(logit_diff, float((logits[0] - torch.tensor(ref["logits"])).abs().max()))
    # All texts in one batch, padded to the longest: each row's gradient
    # over its own tokens is its unpadded one, and zero over the padding.
    S = max(len(r["input_ids"]) for r in refs)
    pad = getattr(model, "pad", 0)
    ids = torch.full((len(refs), S), pad, dtype=torch.long)
    mask = torch.zeros((len(refs), S), dtype=torch.long)
    for i, r in enumerate(refs):
        ids[i, :len(r["input_ids"])] = torch.tensor(r["input_ids"])
        mask[i, :len(r["input_ids"])] = 1
    e = model.word_embeddings(ids).detach()
    for target in range(model_labels(model)):
        for kind, name in enumerate(GRAD_OUTPUTS):
            _, got = run_grad(e, mask, torch.zeros_like(ids), torch.full((len(refs),), target), kind)
            for i, r in enumerate(refs):
                T = len(r["input_ids"])
                want = wants[(i, target, kind)]
                rel = float((got[i, :T] - want).abs().max() / want.abs().max().clamp_min(1e-30))
                rel = max(rel, float(got[i, T:].abs().max() / want.abs().max().clamp_min(1e-30)) if T < S else 0.0)
                worst[name] = max(worst[name], rel)
    return worst, logit_diff


GRAD_CARD_START = "<!-- gradient graph: written by scripts/export_models.py grad -->"
GRAD_CARD_END = "<!-- end gradient graph -->"


ARCH_NAMES = {"bert": "BERT (MiniLM is one)", "distilbert": "DistilBERT", "roberta": "RoBERTa"}
HEAD_NAMES = {"bert": "classifier and tanh pooler", "distilbert": "classifier and ReLU pre-classifier",
              "roberta": "RoBERTa's dense + tanh + out_proj head"}


def grad_card(worst, logit_diff, n_sentences, size, arch, out, refs_from):
    rows = ", ".join(f"{k} {v:.1e}" for k, v in worst.items())
    types = "`token_type_ids`, " if arch == "bert" else ""
    return f"""{GRAD_CARD_START}
## Gradient graph

`model_grad.onnx` ({size / 1e6:.1f} MB, {ARCH_NAMES[arch]}) takes `inputs_embeds`
[batch, seq, hidden], `attention_mask`, {types}`target` [batch] (a label index
per row) and `output` [1] (0 probability, 1 logit, 2 log-odds) and returns
`logits` [batch, labels] and `gradient` [batch, seq, hidden], the gradient of
each row's score with respect to its input embeddings. ONNX Runtime has no
autograd, so `scripts/export_models.py` writes the encoder's backward pass out
by hand ({HEAD_NAMES[arch]}, LayerNorm, GELU feed-forward, softmax
attention, embedding LayerNorm) as plain tensor operations and traces that.
It holds the encoder's weights once more (the same as `model_embeds.onnx`'s;
the word-embedding table, by far the largest, it does not need).

Checked against `torch.autograd.grad` on {n_sentences} inputs ({refs_from}),
one at a time and padded into one batch, every label, all three outputs:
largest relative error max|g − g_autograd| / max|g_autograd| is {rows}
(required ≤ 1e-4); logits agree within {logit_diff:.1e}. Lucid's Go tests
check the `.onnx` file itself against central finite differences through
`model_embeds.onnx`.

Regenerate from the folder's weights (reads `model.onnx`):

    /usr/bin/python3 scripts/export_models.py grad {out}
{GRAD_CARD_END}
"""


def write_grad(torch, model, cfg, out, arch="bert"):
    """Export model_grad.onnx, check it, and put the check in the model card."""
    export_grad(torch, model, cfg, out)
    ref_path = os.path.join(out, "reference.json")
    if os.path.exists(ref_path):
        with open(ref_path, encoding="utf-8") as f:
            refs = json.load(f)["sentences"]
        refs_from = "the sentences of `reference.json`"
    else:
        refs = synthetic_refs(model)
        refs_from = "token ids drawn at random, 3 to 24 tokens; the folder has no `reference.json`"
    # The 300-word sentence is truncated by reference.json's tokenizer to
    # the position table's length; autograd on it is slow but fine.
    worst, logit_diff = check_grad(torch, model, cfg, refs)
    print(f"model_grad.onnx vs torch.autograd.grad on {len(refs)} inputs: "
          + ", ".join(f"{k} {v:.2e}" for k, v in worst.items()) + f"; logits within {logit_diff:.1e}", flush=True)
    bad = {k: v for k, v in worst.items() if v > 1e-4}
    if bad:
        sys.exit(f"export_models.py: the gradient graph disagrees with autograd: relative error {bad} > 1e-4")
    if logit_diff > 1e-3:
        sys.exit(f"export_models.py: the gradient graph's logits differ from the model's by {logit_diff:.2e} (> 1e-3): "
                 "the weights were not loaded right")
    card_path = os.path.join(out, "README.md")
    card = open(card_path, encoding="utf-8").read() if os.path.exists(card_path) else ""
    rel = os.path.relpath(out, ROOT) if os.path.abspath(out).startswith(ROOT + os.sep) else out
    section = grad_card(worst, logit_diff, len(refs), os.path.getsize(os.path.join(out, GRAD_FILE)), arch, rel, refs_from)
    if GRAD_CARD_START in card:
        card = card[:card.index(GRAD_CARD_START)] + section + card[card.index(GRAD_CARD_END) + len(GRAD_CARD_END) + 1:]
    else:
        card = card.rstrip("\n") + "\n\n" + section
    with open(card_path, "w", encoding="utf-8") as f:
        f.write(card)


def lucid_own_bert(path):
    """Whether model.onnx is build_model's BERT (train-default's names:
    word_embeddings.weight, layers.N...) rather than a transformers-named
    export (bert.embeddings.word_embeddings.weight, ...)."""
    import onnx
    names = {t.name for t in onnx.load(path).graph.initializer}
    return "word_embeddings.weight" in names


def grad_job(args):
    try:
        import torch
    except ImportError:
        sys.exit("export_models.py: PyTorch is missing: apt-get install python3-torch python3-onnx, "
                 "then run this script with /usr/bin/python3")
    torch.set_num_threads(args.threads)
    out = args.dir
    cfg_path, model_path = os.path.join(out, "config.json"), os.path.join(out, "model.onnx")
    for p in (cfg_path, model_path):
        if not os.path.exists(p):
            sys.exit(f"export_models.py grad: {out} has no {os.path.basename(p)}")
    with open(cfg_path, encoding="utf-8") as f:
        cfg = json.load(f)
    arch = hf_arch(cfg)
    if arch is None:
        sys.exit(f"export_models.py grad: {out} is a {cfg.get('model_type')!r} model; the hand-written backward "
                 "pass covers BERT, MiniLM (model_type bert), DistilBERT and RoBERTa (post-LN, exact gelu), and the "
                 "folder keeps the finite-difference path")
    if arch == "bert" and lucid_own_bert(model_path):
        model = build_model(torch, cfg)
        load_weights_from_onnx(torch, model, model_path)
    else:
        model = build_hf_model(torch, cfg)
        load_hf_weights_from_onnx(torch, model, model_path)
        missing = [f for f in ("model_embeds.onnx", "embeddings.onnx") if not os.path.exists(os.path.join(out, f))]
        if missing:
            # An optimum-style folder (model.onnx only): ig needs these too.
            export_hf_embedding_graphs(torch, model, out)
            print(f"wrote {', '.join(os.path.join(out, f) for f in missing)} (the folder had only model.onnx)", flush=True)
    write_grad(torch, model, cfg, out, arch)
    print(f"wrote {os.path.join(out, GRAD_FILE)}", flush=True)


def find_vocab():
    try:
        d = subprocess.run(["go", "list", "-m", "-f", "{{.Dir}}", "github.com/sugarme/tokenizer"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"export_models.py: cannot locate the github.com/sugarme/tokenizer module ({e}); "
                 "run `go mod download` first or pass --vocab")
    return os.path.join(d, "pretrained", "model", "bert-base-uncased-vocab.txt")


def train_default(args):
    try:
        import torch
    except ImportError:
        sys.exit("export_models.py: PyTorch is missing: apt-get install python3-torch python3-onnx, "
                 "then run this script with /usr/bin/python3")
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)

    vocab_path = args.vocab or find_vocab()
    wp = WordPiece(vocab_path)
    cfg = {
        "architectures": ["BertForSequenceClassification"], "model_type": "bert",
        "vocab_size": len(wp.vocab_list), "hidden_size": args.hidden, "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads, "intermediate_size": 4 * args.hidden, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 512,
        "type_vocab_size": 2, "layer_norm_eps": 1e-12, "pad_token_id": wp.pad,
        "id2label": {str(i): l for i, l in enumerate(LABELS)}, "label2id": {l: i for i, l in enumerate(LABELS)},
    }

    train_file = args.train_file or os.path.join(SST2, "train.tsv")
    train = read_tsv(train_file)
    dev = read_tsv(os.path.join(SST2, "dev.tsv"))
    tr_x = [wp.encode(t, args.max_len) for t, _ in train]
    tr_y = [y for _, y in train]
    dv_x = [wp.encode(t, 512) for t, _ in dev]
    dv_y = [y for _, y in dev]
    print(f"train {len(tr_x)} rows, dev {len(dv_x)} rows", flush=True)

    model = build_model(torch, cfg)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {n_params:,}", flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr)
    steps_per_epoch = math.ceil(len(tr_x) / args.batch)
    total = steps_per_epoch * args.epochs
    warm = min(1000, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / (total - warm))))
    lossf = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    step, t0 = 0, time.time()
    dev_curve = []
    for epoch in range(args.epochs):
        for ids, mask, y in batches(torch, tr_x, tr_y, args.batch, wp.pad, True, rng):
            loss = lossf(model(ids, mask, torch.zeros_like(ids)), y)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if step % 200 == 0:
                print(f"step {step}/{total} loss {loss.item():.4f} {time.time() - t0:.0f}s", flush=True)
            if args.eval_every and step % args.eval_every == 0:
                print(f"step {step}: dev accuracy {accuracy(torch, model, dv_x, dv_y, wp.pad):.4f}", flush=True)
        acc = accuracy(torch, model, dv_x, dv_y, wp.pad)
        dev_curve.append(acc)
        print(f"epoch {epoch + 1}: dev accuracy {acc:.4f} ({time.time() - t0:.0f}s)", flush=True)
    train_secs = time.time() - t0
    model.eval()
    dev_acc = dev_curve[-1]

    out = args.out
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(wp), f, ensure_ascii=False)
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
    export_onnx(torch, model, cfg, out)

    # torch.onnx.export restores each exported wrapper's training mode
    # recursively, and a fresh wrapper module is in training mode: after the
    # exports the model is back in training mode (dropout on). Reference
    # logits must come from the eval-mode network that was exported.
    model.eval()
    refs = []
    with torch.no_grad():
        for s in REFERENCE_SENTENCES:
            ids = wp.encode(s, cfg["max_position_embeddings"])
            t = torch.tensor([ids])
            logits = model(t, torch.ones_like(t), torch.zeros_like(t))[0].tolist()
            refs.append({"text": s, "input_ids": ids, "logits": logits})
    with open(os.path.join(out, "reference.json"), "w", encoding="utf-8") as f:
        json.dump({"about": "PyTorch logits of the exported weights (eval mode, one sentence per batch); "
                            "input_ids from scripts/export_models.py's reference WordPiece tokenizer",
                   "sentences": refs}, f, ensure_ascii=False, indent=1)

    train_desc = f"`{os.path.basename(train_file)}`" if args.train_file else "SST-2 `train.tsv`"
    cmd = (f"/usr/bin/python3 scripts/export_models.py train-default --hidden {args.hidden} --layers {args.layers} "
           f"--heads {args.heads} --epochs {args.epochs} --batch {args.batch} --lr {args.lr} "
           f"--max-len {args.max_len} --seed {args.seed} --threads {args.threads}")
    if args.train_file:
        cmd += f" --train-file {args.train_file}"
    sizes = {n: os.path.getsize(os.path.join(out, n)) for n in ("model.onnx", "model_embeds.onnx", "embeddings.onnx")}
    card = f"""# sst2-mini-bert

The small default model that ships with Lucid: an English binary sentiment
classifier (labels `NEGATIVE`, `POSITIVE`), trained from scratch by
`scripts/export_models.py train-default`. It exists so that Lucid runs, and is
tested, on a real transformer without any download. It is not a strong
sentiment model; use it to try Lucid, not to judge text.

| | |
| --- | --- |
| architecture | BERT (post-LN): word, position and token-type embeddings; {args.layers} encoder layers, hidden size {args.hidden}, {args.heads} heads, feed-forward {4 * args.hidden}, GELU; tanh pooler over `[CLS]`; linear classifier |
| parameters | {n_params:,} |
| vocabulary | bert-base-uncased WordPiece (30,522 tokens), lower-cased, accents stripped |
| training data | {train_desc} ({len(tr_x):,} phrases and sentences), {args.epochs} epochs, batch {args.batch}, AdamW lr {args.lr} with warm-up and linear decay, label smoothing 0.1, phrases truncated to {args.max_len} tokens |
| training time | {train_secs / 60:.1f} minutes on {args.threads} CPU threads (PyTorch {torch.__version__}) |
| dev accuracy | **{dev_acc:.4f}** on SST-2 `dev.tsv` (872 sentences); per epoch: {", ".join(f"{a:.4f}" for a in dev_curve)} |
| files | `model.onnx` ({sizes["model.onnx"] / 1e6:.1f} MB), `model_embeds.onnx` ({sizes["model_embeds.onnx"] / 1e6:.1f} MB), `embeddings.onnx` ({sizes["embeddings.onnx"] / 1e6:.1f} MB), `tokenizer.json`, `config.json`, `reference.json` |

`reference.json` holds a dozen sentences with the token ids and the logits
PyTorch computed for them; Lucid's tests check that the Go engine reproduces
those logits within 1e-4.

Reproduce (on a machine with `../shared/data/sst2/` and Debian's
`python3-torch python3-onnx`, plus `libopenblas0-pthread`: without it Debian's
PyTorch falls back to the reference BLAS and trains about seven times slower;
about {train_secs / 60:.0f} minutes on two cores):

    {cmd}

Training is seeded, but PyTorch's CPU kernels are not bit-for-bit
deterministic across machines, so a rerun gives a model of the same quality,
not the same weights.
"""
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as f:
        f.write(card)
    # The gradient graph last: it appends its check to the model card.
    write_grad(torch, model, cfg, out)
    print(f"wrote {out}: dev accuracy {dev_acc:.4f}", flush=True)


def export_hf(args):
    try:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
    except ImportError as e:
        sys.exit(f"export_models.py hf: {e.name or e} is not installed. This job needs PyTorch and Hugging Face "
                 "`transformers` (for example `pip install torch transformers`) and a machine that reaches the "
                 "Hugging Face hub, or a local checkpoint folder.")
    out = args.out
    os.makedirs(out, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(args.model)
    if not getattr(tok, "is_fast", False):
        sys.exit(f"export_models.py hf: {args.model} has no fast tokenizer; Lucid needs tokenizer.json")
    model = AutoModelForSequenceClassification.from_pretrained(args.model).eval()
    model.config.return_dict = False
    tok.backend_tokenizer.save(os.path.join(out, "tokenizer.json"))
    model.config.to_json_file(os.path.join(out, "config.json"))
    enc = tok(["a small example", "another one here"], return_tensors="pt", padding=True)
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in enc]
    axes = {0: "batch", 1: "sequence"}

    class Logits(torch.nn.Module):
        def __init__(self, m, names, embeds):
            super().__init__()
            self.m, self.names, self.embeds = m, names, embeds

        def forward(self, *xs):
            kw = dict(zip(self.names, xs))
            if self.embeds:
                kw["inputs_embeds"] = kw.pop("input_ids")
            return self.m(**kw)[0]

    args_ids = tuple(enc[n] for n in names)
    torch.onnx.export(Logits(model, names, False), args_ids, os.path.join(out, "model.onnx"),
                      input_names=names, output_names=["logits"],
                      dynamic_axes={**{n: axes for n in names}, "logits": {0: "batch"}}, opset_version=14)
    emb_layer = model.get_input_embeddings()
    embeds = emb_layer(enc["input_ids"]).detach()
    e_names = ["inputs_embeds"] + names[1:]
    torch.onnx.export(Logits(model, names, True), (embeds,) + args_ids[1:], os.path.join(out, "model_embeds.onnx"),
                      input_names=e_names, output_names=["logits"],
                      dynamic_axes={**{n: axes for n in e_names}, "logits": {0: "batch"}}, opset_version=14)

    class Lookup(torch.nn.Module):
        def __init__(self, e):
            super().__init__()
            self.e = e

        def forward(self, input_ids):
            return self.e(input_ids)

    torch.onnx.export(Lookup(emb_layer), (enc["input_ids"],), os.path.join(out, "embeddings.onnx"),
                      input_names=["input_ids"], output_names=["inputs_embeds"],
                      dynamic_axes={"input_ids": axes, "inputs_embeds": axes}, opset_version=14)
    print(f"wrote {out}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="job", required=True)
    t = sub.add_parser("train-default", help="train and write the shipped default model")
    t.add_argument("--out", default=DEFAULT_OUT)
    t.add_argument("--vocab", help="bert-base-uncased-vocab.txt (default: from the sugarme/tokenizer Go module)")
    t.add_argument("--hidden", type=int, default=128)
    t.add_argument("--layers", type=int, default=4)
    t.add_argument("--heads", type=int, default=4)
    t.add_argument("--epochs", type=int, default=2)
    t.add_argument("--batch", type=int, default=64)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--max-len", type=int, default=66)
    t.add_argument("--seed", type=int, default=13)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--train-file", help="training TSV with a header, columns label and sentence (or text, content); "
                   "other columns are ignored, e.g. the output of `lucid augment` (default: ../shared/data/sst2/train.tsv)")
    t.add_argument("--eval-every", type=int, default=0, help="also print dev accuracy every N steps")
    g = sub.add_parser("grad", help="write model_grad.onnx (and model_embeds.onnx, embeddings.onnx where missing) for a "
                       "BERT, MiniLM, DistilBERT or RoBERTa model folder from its model.onnx")
    g.add_argument("dir", nargs="?", default=DEFAULT_OUT, help="model folder (default: the shipped model)")
    g.add_argument("--threads", type=int, default=2)
    h = sub.add_parser("hf", help="export a Hugging Face sequence classifier")
    h.add_argument("model", help="hub id or local folder")
    h.add_argument("out", help="output model folder")
    q = sub.add_parser("quantize", help="write an int8 dynamically quantized copy of a model folder")
    q.add_argument("dir", nargs="?", default=DEFAULT_OUT, help="model folder (default: the shipped model)")
    for sp in (t, h, q):
        quantize_flags(sp, required=sp is q)
    args = p.parse_args()
    if args.job == "train-default":
        train_default(args)
    elif args.job == "grad":
        grad_job(args)
    elif args.job == "hf":
        export_hf(args)
    if args.job in ("train-default", "hf", "quantize") and args.quantize:
        quantize_job(args, args.dir if args.job == "quantize" else args.out)


# ------------------------------------------------------------- quantization --

def quantize_flags(sp, required):
    sp.add_argument("--quantize", metavar="OUT", required=required,
                    help="also write an int8 dynamically quantized copy of the folder to OUT "
                         "(DynamicQuantizeLinear + MatMulInteger; model_grad.onnx is not copied)")
    sp.add_argument("--quantizer", choices=("auto", "ort", "onnx"), default="auto",
                    help="ort: onnxruntime.quantization.quantize_dynamic; onnx: scripts/quantize_onnx.py "
                         "(python3-onnx only); auto (default): ort where the onnxruntime package is installed")
    sp.add_argument("--per-channel", action="store_true", help="one weight scale per output column")
    sp.add_argument("--reduce-range", action="store_true", help="7-bit weights (avoids u8s8 saturation on x86 without VNNI)")


def quantize_job(args, src):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.dont_write_bytecode = True  # no scripts/__pycache__ in the working tree
    import quantize_onnx
    ort = args.quantizer == "ort" or (args.quantizer == "auto" and quantize_onnx.have_ort_quantizer())
    if args.quantizer == "ort" and not quantize_onnx.have_ort_quantizer():
        sys.exit("export_models.py: --quantizer ort: the onnxruntime Python package is not installed "
                 "(pip install onnxruntime), or use --quantizer onnx")
    try:
        stats = quantize_onnx.quantize_folder(src, args.quantize, args.per_channel, args.reduce_range, ort=ort)
    except (ValueError, OSError) as e:
        sys.exit(f"export_models.py quantize: {e}")
    tool = "onnxruntime.quantization.quantize_dynamic" if ort else "scripts/quantize_onnx.py"
    for name, st in stats:
        print(f"{name}: {st.quantized_nodes} MatMul nodes quantized by {tool}", flush=True)
    print(f"wrote {args.quantize} (int8, dynamic; model_grad.onnx not copied)", flush=True)


if __name__ == "__main__":
    main()
