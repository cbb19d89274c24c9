#!/usr/bin/python3
"""Write a BERT-base-shaped model folder with random weights, for speed work.

    /usr/bin/python3 scripts/make_base_model.py OUT [--layers 12 --hidden 768]

OUT gets model.onnx (12 layers x 768 hidden, 12 heads, 3072 feed-forward,
30,522-token vocabulary, 512 positions: ~110M parameters, ~420 MB),
config.json (BERT-base's sizes and two labels) and the shipped model's
tokenizer.json (the same uncased WordPiece vocabulary BERT-base uses). The
graph is exported as Hugging Face's exports are (torch.onnx.export, opset
14, dynamic batch and sequence axes), from the plain-PyTorch BERT in
scripts/export_models.py, so ONNX Runtime sees the operators and shapes a
real BERT-base export has and costs the same per row.

Random weights make its predictions and attributions meaningless: use it to
measure speed and memory (`lucid bench --model OUT`), never accuracy. Write
it outside the repository (or into a folder git ignores): the file is far
too large to commit. Needs Debian's python3-torch and python3-onnx.
"""

import argparse
import importlib.util
import json
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED = os.path.join(ROOT, "models", "sst2-mini-bert")


def load_exporter():
    """scripts/export_models.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("export_models", os.path.join(ROOT, "scripts", "export_models.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", help="output model folder (created; must not be inside the repository's tracked files)")
    p.add_argument("--layers", type=int, default=12)
    p.add_argument("--hidden", type=int, default=768)
    p.add_argument("--heads", type=int, default=12)
    p.add_argument("--intermediate", type=int, default=0, help="feed-forward width (default 4 x hidden)")
    p.add_argument("--seed", type=int, default=13)
    args = p.parse_args()
    if args.layers < 1 or args.hidden < 1 or args.heads < 1 or args.hidden % args.heads:
        sys.exit(f"make_base_model: --hidden {args.hidden} must be a positive multiple of --heads {args.heads}, "
                 f"and --layers {args.layers} positive")
    import torch  # Debian's python3-torch

    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    exp = load_exporter()
    labels = ["NEGATIVE", "POSITIVE"]
    cfg = {
        "architectures": ["BertForSequenceClassification"],
        "model_type": "bert",
        "vocab_size": 30522,
        "hidden_size": args.hidden,
        "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads,
        "intermediate_size": args.intermediate or 4 * args.hidden,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": 512,
        "type_vocab_size": 2,
        "layer_norm_eps": 1e-12,
        "pad_token_id": 0,
        "id2label": {str(i): l for i, l in enumerate(labels)},
        "label2id": {l: i for i, l in enumerate(labels)},
    }
    os.makedirs(args.out, exist_ok=True)
    model = exp.build_model(torch, cfg)
    model.eval()
    ids = torch.tensor([[101, 1037, 2204, 3185, 102], [101, 2919, 102, 0, 0]])
    mask = (ids != 0).long()
    tt = torch.zeros_like(ids)
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(model, (ids, mask, tt), os.path.join(args.out, "model.onnx"),
                          input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                        "logits": {0: "batch"}}, opset_version=14, do_constant_folding=True)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    shutil.copy(os.path.join(SHIPPED, "tokenizer.json"), os.path.join(args.out, "tokenizer.json"))
    params = sum(p.numel() for p in model.parameters())
    size = os.path.getsize(os.path.join(args.out, "model.onnx"))
    print(f"wrote {args.out}: {args.layers} layers x {args.hidden}, {params / 1e6:.1f}M parameters, "
          f"model.onnx {size / 1e6:.0f} MB (random weights: for speed, not accuracy)")


if __name__ == "__main__":
    main()
