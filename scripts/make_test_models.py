#!/usr/bin/python3
"""Write the tiny ONNX graphs that engine/onnx's tests load.

They are committed under engine/onnx/testdata/ (a few kilobytes); rerun this
script (Debian's python3-onnx) only to change them:

    /usr/bin/python3 scripts/make_test_models.py

additive/      a valid 3-label classifier whose logits are known exactly:
               logits[b, k] = sum_s mask[b, s] * W[input_ids[b, s], k]
               + 0.5 * sum_s token_type_ids[b, s] * k; with model_embeds.onnx
               and embeddings.onnx (embeddings are rows of W, hidden = 3),
               and model_grad.onnx: d logits[b, k] / d inputs_embeds[b, s, h]
               = mask[b, s] * (h == k), chained with the derivative of the
               chosen score (probability, logit, log-odds) by the logits.
no_input_ids/  takes "tokens" instead of input_ids.
extra_input/   also takes "position_ids", which the contract does not know.
no_logits/     names its output "scores".
int32_ids/     takes int32 input_ids.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "engine", "onnx", "testdata")
VOCAB, LABELS = 16, 3
# W[i, k] = (i + 1) * (k - 1) / 8: distinct, exactly representable values.
W = np.array([[(i + 1) * (k - 1) / 8 for k in range(LABELS)] for i in range(VOCAB)], dtype=np.float32)


def ids_input(name="input_ids", elem=TensorProto.INT64):
    return helper.make_tensor_value_info(name, elem, ["batch", "sequence"])


def save(graph, folder, name="model.onnx"):
    os.makedirs(os.path.join(OUT, folder), exist_ok=True)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(OUT, folder, name))


def classifier_nodes(embeds_name):
    """Nodes from embeds [b, s, 3] + mask + types to logits [b, 3]."""
    return [
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "axis2"], ["mask3"]),
        helper.make_node("Mul", [embeds_name, "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["summed"], keepdims=0),
        helper.make_node("Cast", ["token_type_ids"], ["tt_f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["tt_f", "axis1"], ["tt_sum"], keepdims=1),
        helper.make_node("Mul", ["tt_sum", "tt_scale"], ["tt_logits"]),
        helper.make_node("Add", ["summed", "tt_logits"], ["logits"]),
    ]


def consts():
    return [
        numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array([[0.0, 0.5, 1.0]], dtype=np.float32), "tt_scale"),
    ]


def grad_graph(embeds_in, mask, types, logits):
    """model_grad.onnx for additive/: logits and d score / d inputs_embeds."""
    target = helper.make_tensor_value_info("target", TensorProto.INT64, ["batch"])
    output = helper.make_tensor_value_info("output", TensorProto.INT64, [1])
    grad = helper.make_tensor_value_info("gradient", TensorProto.FLOAT, ["batch", "sequence", LABELS])
    n = helper.make_node
    nodes = classifier_nodes("inputs_embeds") + [
        n("Unsqueeze", ["target", "axis1"], ["target2"]),
        n("Equal", ["labels_row", "target2"], ["onehot_b"]),
        n("Cast", ["onehot_b"], ["onehot"], to=TensorProto.FLOAT),
        n("Softmax", ["logits"], ["probs"], axis=1),
        n("Mul", ["probs", "onehot"], ["pt_terms"]),
        n("ReduceSum", ["pt_terms", "axis1"], ["pt"], keepdims=1),
        n("Sub", ["onehot", "probs"], ["oh_minus_p"]),
        n("Mul", ["pt", "oh_minus_p"], ["d_prob"]),
        n("Mul", ["onehot", "big"], ["oh_big"]),
        n("Sub", ["logits", "oh_big"], ["others_logits"]),
        n("Softmax", ["others_logits"], ["others_soft"], axis=1),
        n("Sub", ["one", "onehot"], ["not_oh"]),
        n("Mul", ["others_soft", "not_oh"], ["others"]),
        n("Sub", ["onehot", "others"], ["d_logodds"]),
        n("Equal", ["kinds", "output"], ["kind_b"]),
        n("Cast", ["kind_b"], ["kind"], to=TensorProto.FLOAT),
        n("Gather", ["kind", "i0"], ["k0"], axis=0),
        n("Gather", ["kind", "i1"], ["k1"], axis=0),
        n("Gather", ["kind", "i2"], ["k2"], axis=0),
        n("Mul", ["d_prob", "k0"], ["t0"]),
        n("Mul", ["onehot", "k1"], ["t1"]),
        n("Mul", ["d_logodds", "k2"], ["t2"]),
        n("Add", ["t0", "t1"], ["t01"]),
        n("Add", ["t01", "t2"], ["dz"]),
        n("Unsqueeze", ["dz", "axis1"], ["dz3"]),
        n("Mul", ["mask3", "dz3"], ["gradient"]),
    ]
    extra = [
        numpy_helper.from_array(np.arange(LABELS, dtype=np.int64).reshape(1, LABELS), "labels_row"),
        numpy_helper.from_array(np.arange(3, dtype=np.int64), "kinds"),
        numpy_helper.from_array(np.array(1e9, dtype=np.float32), "big"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
        numpy_helper.from_array(np.array(0, dtype=np.int64), "i0"),
        numpy_helper.from_array(np.array(1, dtype=np.int64), "i1"),
        numpy_helper.from_array(np.array(2, dtype=np.int64), "i2"),
    ]
    return helper.make_graph(nodes, "additive_grad", [embeds_in, mask, types, target, output], [logits, grad],
                             consts() + extra)


def main():
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])
    types = helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, ["batch", "sequence"])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", LABELS])
    table = numpy_helper.from_array(W, "W")

    gather = helper.make_node("Gather", ["W", "input_ids"], ["embeds"], axis=0)
    save(helper.make_graph([gather] + classifier_nodes("embeds"), "additive", [ids_input(), mask, types], [logits],
                           [table] + consts()), "additive")
    embeds_in = helper.make_tensor_value_info("inputs_embeds", TensorProto.FLOAT, ["batch", "sequence", LABELS])
    save(helper.make_graph(classifier_nodes("inputs_embeds"), "additive_embeds", [embeds_in, mask, types], [logits],
                           consts()), "additive", "model_embeds.onnx")
    embeds_out = helper.make_tensor_value_info("inputs_embeds", TensorProto.FLOAT, ["batch", "sequence", LABELS])
    save(helper.make_graph([helper.make_node("Gather", ["W", "input_ids"], ["inputs_embeds"], axis=0)], "lookup",
                           [ids_input()], [embeds_out], [table]), "additive", "embeddings.onnx")

    save(grad_graph(embeds_in, mask, types, logits), "additive", "model_grad.onnx")

    tokens = ids_input("tokens")
    g = helper.make_node("Gather", ["W", "tokens"], ["embeds"], axis=0)
    save(helper.make_graph([g] + classifier_nodes("embeds"), "no_input_ids", [tokens, mask, types], [logits],
                           [table] + consts()), "no_input_ids")

    pos = ids_input("position_ids")
    add_pos = helper.make_node("Add", ["input_ids", "position_ids"], ["ids2"])
    g = helper.make_node("Gather", ["W", "ids2"], ["embeds"], axis=0)
    save(helper.make_graph([add_pos, g] + classifier_nodes("embeds"), "extra_input", [ids_input(), mask, types, pos],
                           [logits], [table] + consts()), "extra_input")

    scores = helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", LABELS])
    nodes = [gather] + classifier_nodes("embeds")
    nodes[-1] = helper.make_node("Add", ["summed", "tt_logits"], ["scores"])
    save(helper.make_graph(nodes, "no_logits", [ids_input(), mask, types], [scores], [table] + consts()), "no_logits")

    g = helper.make_node("Gather", ["W", "input_ids"], ["embeds"], axis=0)
    save(helper.make_graph([g] + classifier_nodes("embeds"), "int32_ids",
                           [ids_input(elem=TensorProto.INT32), mask, types], [logits], [table] + consts()), "int32_ids")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
