#!/usr/bin/python3
"""Exact int8 reference for scripts/quantize_onnx.py's copy of a model folder
written by export_models.py train-default (the shipped BERT).

    /usr/bin/python3 scripts/int8_reference.py SRC_DIR [--per-channel] [--reduce-range] < texts > logits.jsonl

Rebuilds the float model in PyTorch from SRC_DIR/model.onnx, then replaces
every Linear that the quantizer turns into MatMulInteger (q, k, v, o, ff1,
ff2) with what the ONNX specification says the quantized graph computes:
DynamicQuantizeLinear on the activation (uint8, scale and zero point over
the whole tensor, round half to even), the product of the integers done
exactly (float64 holds every partial sum of 8-bit products), Cast to float32,
times activation scale × weight scale, plus the bias. Weights are quantized
by quantize_onnx.quantize_weight itself. Each text runs alone (batch 1, no
padding); one JSON list of logits per line. Needs python3-torch and
python3-onnx. The Go test TestQuantizedGraphEqualsExactInt8 compares ONNX
Runtime's logits with these.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no scripts/__pycache__ in the working tree
import export_models as em  # noqa: E402
import quantize_onnx as qo  # noqa: E402


def dynamic_quantize(x):
    """ONNX DynamicQuantizeLinear: uint8 values (as float64), zero point, scale."""
    lo, hi = min(0.0, float(x.min())), max(0.0, float(x.max()))
    scale = np.float32((hi - lo) / 255.0) if hi > lo else np.float32(1.0)
    zp = np.clip(np.rint(np.float32(0 - lo / scale)), 0, 255)
    q = np.clip(np.rint(x / scale) + zp, 0, 255)
    return q.astype(np.float64), zp, scale


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src")
    p.add_argument("--per-channel", action="store_true")
    p.add_argument("--reduce-range", action="store_true")
    a = p.parse_args()
    import torch
    torch.set_num_threads(1)
    cfg = json.load(open(os.path.join(a.src, "config.json")))
    vocab = json.load(open(os.path.join(a.src, "tokenizer.json")))["model"]["vocab"]
    words = [w for w, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.write("\n".join(words) + "\n")
    try:
        wp = em.WordPiece(f.name)
    finally:
        os.unlink(f.name)
    model = em.build_model(torch, cfg)
    em.load_weights_from_onnx(torch, model, os.path.join(a.src, "model.onnx"))
    model.eval()
    for layer in model.layers:
        for name in ("q", "k", "v", "o", "ff1", "ff2"):
            lin = getattr(layer, name)
            w = lin.weight.detach().numpy().T.astype(np.float32)  # [in, out]: the MatMul's B
            wq, ws = qo.quantize_weight(w, a.per_channel, a.reduce_range)
            bias = lin.bias.detach().numpy().astype(np.float32)

            def forward(x, wq=wq.astype(np.float64), ws=ws.astype(np.float32), bias=bias):
                q, zp, s = dynamic_quantize(x.detach().numpy().astype(np.float32))
                acc = (q - zp) @ wq
                y = acc.astype(np.float32) * (np.float32(s) * ws)
                return torch.from_numpy((y + bias).astype(np.float32))
            lin.forward = forward
    max_len = cfg.get("max_position_embeddings", 512)
    with torch.no_grad():
        for line in sys.stdin:
            ids = torch.tensor([wp.encode(line.rstrip("\n"), max_len)])
            logits = model(ids, torch.ones_like(ids), torch.zeros_like(ids))[0]
            print(json.dumps([float(v) for v in logits]), flush=True)


if __name__ == "__main__":
    main()
