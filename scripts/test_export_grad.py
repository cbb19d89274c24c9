#!/usr/bin/python3
"""Checks export_models.py's gradient graphs for the Hugging Face
architectures it covers, without transformers or a download.

For BERT, MiniLM (a small BERT: model_type bert), DistilBERT and RoBERTa it
builds the script's torch re-implementation with random weights (transformers'
parameter names and module tree), exports model.onnx the way optimum does
(torch.onnx.export, opset 14, dynamic batch and sequence axes, constant
folding) into a folder with an HF-style config.json and nothing else, and
runs `export_models.py grad FOLDER` on it as a user would. That job must:
load the weights back from model.onnx bit for bit, write model_embeds.onnx
and embeddings.onnx (the folder had none) and model_grad.onnx, and pass its
own check against torch.autograd.grad (relative error ≤ 1e-4, one text at a
time and padded into a batch) or exit non-zero. It also checks the refusals:
an architecture it does not cover, and an export whose names it cannot read.

    /usr/bin/python3 scripts/test_export_grad.py [--keep DIR]

--keep DIR leaves the four folders in DIR (Lucid's Go test
engine/onnx TestHFGradientGraphs runs them through ONNX Runtime). Needs
Debian's python3-torch and python3-onnx; exits 0 with a "skip" line when
they are missing.
"""

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# Tiny shapes: the check is about the architecture, not the size. Three
# labels for RoBERTa so that a non-binary head is covered too.
CONFIGS = {
    "bert": {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": 160,
             "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64,
             "hidden_act": "gelu", "max_position_embeddings": 64, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
             "pad_token_id": 0, "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}},
    # MiniLM-L6-H384 is BertForSequenceClassification with 6 layers, 384
    # hidden, 12 heads: here 3 layers, 48 hidden, 12 heads of 4.
    "minilm": {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": 160,
               "hidden_size": 48, "num_hidden_layers": 3, "num_attention_heads": 12, "intermediate_size": 96,
               "hidden_act": "gelu", "max_position_embeddings": 64, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
               "pad_token_id": 0, "id2label": {"0": "LABEL_0", "1": "LABEL_1"}},
    "distilbert": {"architectures": ["DistilBertForSequenceClassification"], "model_type": "distilbert",
                   "vocab_size": 160, "dim": 32, "n_layers": 2, "n_heads": 4, "hidden_dim": 64,
                   "activation": "gelu", "max_position_embeddings": 64, "pad_token_id": 0,
                   "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}},
    "roberta": {"architectures": ["RobertaForSequenceClassification"], "model_type": "roberta", "vocab_size": 160,
                "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64,
                "hidden_act": "gelu", "max_position_embeddings": 66, "type_vocab_size": 1, "layer_norm_eps": 1e-5,
                "pad_token_id": 1, "id2label": {"0": "contradiction", "1": "neutral", "2": "entailment"}},
}


def load_script():
    spec = importlib.util.spec_from_file_location("export_models", os.path.join(HERE, "export_models.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def optimum_export(torch, em, model, cfg, out):
    """model.onnx as optimum writes it for a sequence classifier."""
    arch = em.hf_arch(cfg)
    names = em.hf_input_names(arch)
    pad = model.pad
    ids = torch.tensor([[3, 17, 42, 9, 4], [3, 8, 4, pad, pad]])
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    args = (ids, mask) + ((torch.zeros_like(ids),) if "token_type_ids" in names else ())
    axes = {0: "batch_size", 1: "sequence_length"}
    with torch.no_grad():
        torch.onnx.export(model, args, os.path.join(out, "model.onnx"), input_names=names, output_names=["logits"],
                          dynamic_axes={**{n: axes for n in names}, "logits": {0: "batch_size"}},
                          opset_version=14, do_constant_folding=True)
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)


def run_grad(folder):
    return subprocess.run([sys.executable, os.path.join(HERE, "export_models.py"), "grad", folder, "--threads", "1"],
                          capture_output=True, text=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", help="leave the model folders in this directory")
    args = ap.parse_args()
    try:
        import torch
        import onnx
    except ImportError as e:
        print(f"skip: scripts/test_export_grad.py needs python3-torch and python3-onnx ({e})")
        return 0
    torch.set_num_threads(1)
    em = load_script()
    root = args.keep or tempfile.mkdtemp(prefix="lucid-grad-")
    os.makedirs(root, exist_ok=True)
    failures = []
    try:
        for seed, (name, cfg) in enumerate(CONFIGS.items()):
            folder = os.path.join(root, name)
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
            torch.manual_seed(seed + 1)
            model = em.build_hf_model(torch, cfg)
            optimum_export(torch, em, model, cfg, folder)
            assert sorted(os.listdir(folder)) == ["config.json", "model.onnx"]
            # The loader reads back every parameter, bit for bit.
            back = em.load_hf_weights_from_onnx(torch, em.build_hf_model(torch, cfg), os.path.join(folder, "model.onnx"))
            want, got = model.state_dict(), back.state_dict()
            diff = max(float((want[k] - got[k]).abs().max()) for k in want)
            if diff != 0:
                failures.append(f"{name}: weights loaded from model.onnx differ by {diff}")
            r = run_grad(folder)
            if r.returncode != 0:
                failures.append(f"{name}: export_models.py grad failed ({r.returncode}): {r.stderr.strip()[-800:]}")
                continue
            line = next((ln for ln in r.stdout.splitlines() if "torch.autograd.grad" in ln), "")
            print(f"{name}: {line}")
            for f in ("model_grad.onnx", "model_embeds.onnx", "embeddings.onnx", "README.md"):
                if not os.path.exists(os.path.join(folder, f)):
                    failures.append(f"{name}: grad did not write {f}")
            g = onnx.load(os.path.join(folder, "model_grad.onnx"))
            onnx.checker.check_model(g)
            inputs = [i.name for i in g.graph.input]
            want_in = ["inputs_embeds", "attention_mask"] + (["token_type_ids"] if name in ("bert", "minilm") else []) + ["target", "output"]
            if inputs != want_in:
                failures.append(f"{name}: model_grad.onnx inputs {inputs}, want {want_in}")
            card = open(os.path.join(folder, "README.md"), encoding="utf-8").read()
            if "required ≤ 1e-4" not in card or "scripts/export_models.py grad" not in card:
                failures.append(f"{name}: the model card lacks the gradient check")
            # Run again: the card's section is replaced, not appended.
            r = run_grad(folder)
            card = open(os.path.join(folder, "README.md"), encoding="utf-8").read()
            if r.returncode != 0 or card.count("## Gradient graph") != 1:
                failures.append(f"{name}: a second grad run failed or duplicated the card section")

        # Refusals: an architecture the backward pass does not cover, and
        # an export whose parameter names it cannot read.
        bad = os.path.join(root, "gpt2")
        os.makedirs(bad, exist_ok=True)
        shutil.copy(os.path.join(root, "bert", "model.onnx"), bad)
        with open(os.path.join(bad, "config.json"), "w") as f:
            json.dump({"model_type": "gpt2", "architectures": ["GPT2ForSequenceClassification"]}, f)
        r = run_grad(bad)
        if r.returncode == 0 or "'gpt2'" not in r.stderr or "DistilBERT and RoBERTa" not in r.stderr:
            failures.append(f"gpt2 folder: want a refusal naming the model type, got {r.returncode}: {r.stderr.strip()}")
        wrong = os.path.join(root, "renamed")
        os.makedirs(wrong, exist_ok=True)
        m = onnx.load(os.path.join(root, "distilbert", "model.onnx"))
        for t in m.graph.initializer:
            if t.name.startswith("distilbert."):
                old = t.name
                t.name = "x" + str(abs(hash(old)) % 10 ** 8)
                for n in m.graph.node:
                    n.input[:] = [t.name if i == old else i for i in n.input]
        onnx.save(m, os.path.join(wrong, "model.onnx"))
        shutil.copy(os.path.join(root, "distilbert", "config.json"), wrong)
        r = run_grad(wrong)
        if r.returncode == 0 or "lacks weights for distilbert." not in r.stderr:
            failures.append(f"renamed export: want a refusal naming the missing weights, got {r.returncode}: {r.stderr.strip()}")
        shutil.rmtree(bad)
        shutil.rmtree(wrong)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print(f"ok: gradient graphs for {', '.join(CONFIGS)} match torch.autograd.grad")
    return 0


if __name__ == "__main__":
    sys.exit(main())
