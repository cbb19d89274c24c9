#!/usr/bin/python3
"""Write the tiny ONNX graphs that engine/onnx's tests load.

They are committed under engine/onnx/testdata/ (a few kilobytes); rerun this
script (Debian's python3-onnx) only to change them:

    /usr/bin/python3 scripts/make_test_models.py

additive/      a valid 3-label classifier whose logits are known exactly:
               logits[b, k] = sum_s mask[b, s] * W[input_ids[b, s], k]
               + 0.5 * sum_s token_type_ids[b, s] * k; with model_embeds.onnx
               and embeddings.onnx (embeddings are rows of W, hidden = 3).
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
