#!/usr/bin/python3
"""Dynamically quantize an ONNX classifier to int8, as ONNX Runtime's
quantize_dynamic does, with nothing but python3-onnx and numpy.

    /usr/bin/python3 scripts/quantize_onnx.py SRC_DIR OUT_DIR [--per-channel] [--reduce-range] [--gemm]
    /usr/bin/python3 scripts/quantize_onnx.py --model IN.onnx OUT.onnx [...]

Each MatMul whose second input is a constant float weight (an initializer)
becomes, as in onnxruntime.quantization.quantize_dynamic's QOperator format:

    DynamicQuantizeLinear(A) -> A_quantized (uint8), A_scale, A_zero_point
    MatMulInteger(A_quantized, W_quantized (int8), A_zero_point, W_zero_point) -> int32
    Cast(int32 -> float) * (A_scale * W_scale) -> the MatMul's output

One DynamicQuantizeLinear serves every MatMul that reads the same
activation (the query, key and value projections share one), as ORT's does.
Weights are int8, symmetric (zero point 0), scale max|W| / 127 per tensor
(or per output column with --per-channel; --reduce-range uses ORT's
reduced range [-64, 64], scale max|W| / 64, which avoids the int16
saturation of u8s8 products on x86 CPUs without VNNI). MatMuls of two activations (attention scores) stay
float, and so do the embedding tables (Gather) and LayerNorms, as ORT's
default keeps them. Gemm (pooler, classifier head) stays float as in ORT's
dynamic mode unless --gemm, which quantizes Gemm(alpha=1, beta=1,
transA=0) with a constant B the same way and adds its bias C.

Note what dynamic quantization means for a batch: DynamicQuantizeLinear
takes one scale and zero point for the whole activation tensor, so a row's
output depends slightly on the other rows (and the padding) in its batch.

A folder (SRC_DIR) is written as a Lucid model folder: model.onnx and
model_embeds.onnx quantized with the same weight scales (so the two graphs
compute the same function), embeddings.onnx, tokenizer.json and config.json
copied unchanged (the embedding lookup is float in both models, as above),
and a README.md saying so. model_grad.onnx (the float model's hand-written
backward pass) is not copied: its gradients would be the float model's, so
grad×input and saliency refuse the quantized folder and ig takes finite
differences through the int8 graph. reference.json (PyTorch's float
outputs) is not copied either.
"""

import argparse
import json
import os
import shutil
import sys

import numpy as np

try:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError:
    sys.exit("quantize_onnx.py needs the onnx Python package (Debian: apt-get install python3-onnx python3-numpy)")

COPIED = ("tokenizer.json", "config.json", "embeddings.onnx")
QUANTIZED = ("model.onnx", "model_embeds.onnx")


def weight_scale(w, per_channel, reduce_range):
    """Symmetric int8 scale of a [K, N] weight: per tensor, or per column N."""
    qmax = 64.0 if reduce_range else 127.0  # ORT's ranges: [-64, 64] reduced, [-127, 127] symmetric
    absmax = np.abs(w).max(axis=0) if per_channel else np.abs(w).max()
    absmax = np.asarray(absmax, dtype=np.float64)
    # An all-zero weight (or column) gets scale 1: every value quantizes to 0.
    scale = np.where(absmax > 0, absmax / qmax, 1.0).astype(np.float32)
    return scale, qmax


def quantize_weight(w, per_channel, reduce_range):
    scale, qmax = weight_scale(w, per_channel, reduce_range)
    q = np.clip(np.rint(w / scale), -qmax, qmax).astype(np.int8)
    return q, scale


class Quantizer:
    def __init__(self, model, per_channel=False, reduce_range=False, gemm=False):
        self.model = model
        self.per_channel = per_channel
        self.reduce_range = reduce_range
        self.gemm = gemm
        self.inits = {i.name: i for i in model.graph.initializer}
        self.weights = {}      # float weight name (and transposition) -> (q name, scale name, zp name)
        self.activations = {}  # activation name -> (q name, scale name, zp name)
        self.new_inits = []
        self.quantized_nodes = 0
        self.skipped = []      # (op, name, reason)

    def opset(self):
        for o in self.model.opset_import:
            if o.domain in ("", "ai.onnx"):
                return o.version
        return 0

    def constant_weight(self, name):
        init = self.inits.get(name)
        if init is None or init.data_type != TensorProto.FLOAT:
            return None
        w = numpy_helper.to_array(init)
        return w if w.ndim == 2 else None

    def weight(self, name, w, transposed):
        key = (name, transposed)
        if key not in self.weights:
            base = name + ("_T" if transposed else "")
            q, scale = quantize_weight(w, self.per_channel, self.reduce_range)
            zp = np.zeros(scale.shape, dtype=np.int8)
            names = (base + "_quantized", base + "_scale", base + "_zero_point")
            for n, arr in zip(names, (q, scale, zp)):
                self.new_inits.append(numpy_helper.from_array(arr, n))
            self.weights[key] = names
        return self.weights[key]

    def activation(self, name, out):
        if name not in self.activations:
            names = (name + "_quantized", name + "_scale", name + "_zero_point")
            out.append(helper.make_node("DynamicQuantizeLinear", [name], list(names), name=name + "_QuantizeLinear"))
            self.activations[name] = names
        return self.activations[name]

    def matmul_integer(self, node, a, wname, w, transposed, result, out):
        aq, ascale, azp = self.activation(a, out)
        wq, wscale, wzp = self.weight(wname, w, transposed)
        base = node.name or result
        acc = base + "_output_quantized"
        out.append(helper.make_node("MatMulInteger", [aq, wq, azp, wzp], [acc], name=base + "_quant"))
        scales = base + "_scales_mul:0"
        out.append(helper.make_node("Mul", [ascale, wscale], [scales], name=base + "_scales_mul"))
        cast = acc + "_cast_output"
        out.append(helper.make_node("Cast", [acc], [cast], name=acc + "_cast", to=TensorProto.FLOAT))
        out.append(helper.make_node("Mul", [cast, scales], [result], name=base + "_output_scale_mul"))
        self.quantized_nodes += 1

    def run(self):
        if self.opset() < 11:
            raise ValueError(f"opset {self.opset()}: DynamicQuantizeLinear needs ai.onnx opset 11 or later")
        g = self.model.graph
        out = []
        for node in g.node:
            if node.op_type == "MatMul":
                w = self.constant_weight(node.input[1])
                if w is None:
                    self.skipped.append(("MatMul", node.name, "second input is not a 2-D float initializer"))
                    out.append(node)
                    continue
                self.matmul_integer(node, node.input[0], node.input[1], w, False, node.output[0], out)
            elif node.op_type == "Gemm" and self.gemm:
                attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
                w = self.constant_weight(node.input[1])
                if (w is None or attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0
                        or attrs.get("transA", 0) != 0):
                    self.skipped.append(("Gemm", node.name, "B not a float initializer, or alpha/beta/transA set"))
                    out.append(node)
                    continue
                transposed = attrs.get("transB", 0) == 1
                if transposed:
                    w = np.ascontiguousarray(w.T)
                has_bias = len(node.input) > 2 and node.input[2] != ""
                result = node.output[0] + "_matmul" if has_bias else node.output[0]
                self.matmul_integer(node, node.input[0], node.input[1], w, transposed, result, out)
                if has_bias:
                    out.append(helper.make_node("Add", [result, node.input[2]], [node.output[0]],
                                                name=(node.name or node.output[0]) + "_bias_add"))
            else:
                out.append(node)
        del g.node[:]
        g.node.extend(out)
        # Drop the float weights nothing reads any more.
        used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
        keep = [i for i in g.initializer if i.name in used]
        del g.initializer[:]
        g.initializer.extend(keep + self.new_inits)
        inputs = [i for i in g.input if i.name not in self.inits or i.name in used]
        del g.input[:]
        g.input.extend(inputs)
        return self.model


def quantize_file(src, dst, per_channel=False, reduce_range=False, gemm=False):
    model = onnx.load(src)
    q = Quantizer(model, per_channel, reduce_range, gemm)
    q.run()
    if q.quantized_nodes == 0:
        raise ValueError(f"{src}: no MatMul{'/Gemm' if gemm else ''} with a constant float weight to quantize")
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    return q


def card(src, per_channel, reduce_range, gemm, stats, ort=False):
    tool = "onnxruntime.quantization.quantize_dynamic" if ort else "scripts/quantize_onnx.py"
    lines = [
        "# int8 dynamically quantized copy",
        "",
        f"Written by `{tool}` from `{os.path.abspath(src)}`.",
        "",
        "Quantized (DynamicQuantizeLinear + MatMulInteger, int8 symmetric weights, "
        + ("per output column" if per_channel else "per tensor")
        + (", 7-bit range" if reduce_range else "") + "):",
    ]
    for name, q in stats:
        lines.append(f"- {name}: {q.quantized_nodes} MatMul{'/Gemm' if gemm else ''} nodes quantized, "
                     f"{len(q.skipped)} MatMul{'/Gemm' if gemm else ''} left float (those of two activations)")
    lines += [
        "",
        "Float, unchanged: the embedding tables (embeddings.onnx and the Gathers inside the",
        "graphs), LayerNorms, softmax" + ("" if gemm else ", the pooler and classifier Gemms") + ".",
        "Not copied: model_grad.onnx (the float model's backward pass: its gradients would not",
        "be this model's), so grad×input and saliency refuse this folder and ig uses finite",
        "differences through the int8 graph; reference.json (the float model's outputs).",
        "",
        "Dynamic quantization takes one activation scale per tensor, i.e. per batch: a row's",
        "logits move slightly with the other rows in its batch.",
        "",
    ]
    return "\n".join(lines)


class ORTStats:
    """What onnxruntime.quantization.quantize_dynamic did to one graph."""

    def __init__(self, path):
        ops = [n.op_type for n in onnx.load(path).graph.node]
        self.quantized_nodes = ops.count("MatMulInteger")
        self.skipped = [("MatMul", "", "left float")] * ops.count("MatMul")


def ort_quantize_file(src, dst, per_channel=False, reduce_range=False, gemm=False):
    """quantize_file through ONNX Runtime's own tool (where it is installed)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    ops = ["MatMul", "Gemm"] if gemm else ["MatMul"]
    quantize_dynamic(src, dst, weight_type=QuantType.QInt8, per_channel=per_channel,
                     reduce_range=reduce_range, op_types_to_quantize=ops)
    return ORTStats(dst)


def have_ort_quantizer():
    try:
        import onnxruntime.quantization  # noqa: F401
        return True
    except ImportError:
        return False


def quantize_folder(src, dst, per_channel=False, reduce_range=False, gemm=False, ort=False):
    """Writes dst, a quantized copy of the Lucid model folder src; with ort,
    through onnxruntime.quantization.quantize_dynamic instead of Quantizer."""
    quantize = ort_quantize_file if ort else quantize_file
    if not os.path.isfile(os.path.join(src, "model.onnx")):
        raise ValueError(f"{src}: no model.onnx (want a Lucid model folder)")
    if os.path.abspath(src) == os.path.abspath(dst):
        raise ValueError(f"{dst}: the output folder must differ from the source")
    os.makedirs(dst, exist_ok=True)
    for f in COPIED:
        p = os.path.join(src, f)
        if os.path.isfile(p):
            shutil.copyfile(p, os.path.join(dst, f))
    stats = []
    for f in QUANTIZED:
        p = os.path.join(src, f)
        if os.path.isfile(p):
            stats.append((f, quantize(p, os.path.join(dst, f), per_channel, reduce_range, gemm)))
    with open(os.path.join(dst, "README.md"), "w") as fh:
        fh.write(card(src, per_channel, reduce_range, gemm, stats, ort))
    return stats


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src", help="model folder (or, with --model, an .onnx file)")
    p.add_argument("dst", help="output folder (or, with --model, an .onnx file)")
    p.add_argument("--model", action="store_true", help="quantize one .onnx file instead of a folder")
    p.add_argument("--per-channel", action="store_true", help="one weight scale per output column")
    p.add_argument("--reduce-range", action="store_true", help="7-bit weights (x86 without VNNI saturates u8s8 otherwise)")
    p.add_argument("--gemm", action="store_true", help="also quantize Gemm nodes (ORT's dynamic mode leaves them float)")
    a = p.parse_args()
    try:
        if a.model:
            q = quantize_file(a.src, a.dst, a.per_channel, a.reduce_range, a.gemm)
            stats = [(os.path.basename(a.src), q)]
        else:
            stats = quantize_folder(a.src, a.dst, a.per_channel, a.reduce_range, a.gemm)
    except (ValueError, OSError, onnx.checker.ValidationError) as e:
        sys.exit(f"quantize_onnx.py: {e}")
    for name, q in stats:
        print(f"{name}: quantized {q.quantized_nodes} nodes, left {len(q.skipped)} float", file=sys.stderr)
    print(json.dumps({"out": a.dst, "quantized": {n: q.quantized_nodes for n, q in stats}}))


if __name__ == "__main__":
    main()
