#!/usr/bin/python3
"""Write Lucid model folders (the model-directory contract in README.md).

Two jobs:

  train-default   trains the small BERT-class sentiment classifier that ships
                  in models/ from ../shared/data/sst2/train.tsv, measures it on
                  dev.tsv and writes the whole folder (model.onnx,
                  model_embeds.onnx, embeddings.onnx, tokenizer.json,
                  config.json, reference.json, README.md).
                  Needs Debian's python3-torch and python3-onnx (and
                  libopenblas0-pthread, or training is ~7x slower):
                      apt-get install python3-torch python3-onnx libopenblas0-pthread
                      /usr/bin/python3 scripts/export_models.py train-default

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


def tokenizer_json(wp, max_len):
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
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        next(f)
        for line in f:
            line = line.rstrip("\r\n")
            if not line:
                continue
            label, text = line.split("\t", 1)  # both files: label<TAB>text
            rows.append((text, int(label)))
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

    train = read_tsv(os.path.join(SST2, "train.tsv"))
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
        json.dump(tokenizer_json(wp, 512), f, ensure_ascii=False)
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

    cmd = (f"/usr/bin/python3 scripts/export_models.py train-default --hidden {args.hidden} --layers {args.layers} "
           f"--heads {args.heads} --epochs {args.epochs} --batch {args.batch} --lr {args.lr} "
           f"--max-len {args.max_len} --seed {args.seed} --threads {args.threads}")
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
| training data | SST-2 `train.tsv` (67,349 phrases and sentences), {args.epochs} epochs, batch {args.batch}, AdamW lr {args.lr} with warm-up and linear decay, label smoothing 0.1, phrases truncated to {args.max_len} tokens |
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
    t.add_argument("--eval-every", type=int, default=0, help="also print dev accuracy every N steps")
    h = sub.add_parser("hf", help="export a Hugging Face sequence classifier")
    h.add_argument("model", help="hub id or local folder")
    h.add_argument("out", help="output model folder")
    args = p.parse_args()
    if args.job == "train-default":
        train_default(args)
    else:
        export_hf(args)


if __name__ == "__main__":
    main()
