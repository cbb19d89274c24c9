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
multi_label/   a whole model folder (model.onnx, tokenizer.json, config.json
               with problem_type multi_label_classification and id2label
               toxic, insult, threat): logits[b, k] = sum_s mask[b, s] *
               ML[input_ids[b, s], k], one sigmoid per label. The tokenizer
               is a WordPiece over the 20-token vocabulary VOCAB_WORDS.
regression/    the same with one output (score = sum_s mask * R[input_ids]);
               its config.json has num_labels 1 and neither problem_type nor
               id2label, as transformers writes a regression head with
               default labels (LABEL_0; one output means regression).
dynamic_labels/ multi_label/'s graph alone, its logits declared [batch, labels]
               with a dynamic label count, as some exports write them: the
               count is read by running one row.
"""
import json
import os
import sys
from types import SimpleNamespace

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_models import tokenizer_json  # noqa: E402 (stdlib-only at import)

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


# The WordPiece vocabulary of multi_label/ and regression/: ids are indexes.
VOCAB_WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "you", "are", "an", "idiot", "i", "love", "this",
               "hate", "kill", "stupid", "great", "movie", "good", "bad", "the"]
ML_LABELS = ["toxic", "insult", "threat"]
# Per-token logit contributions, multiples of 1/8 (exact in float32): [CLS]
# carries the bias, the other special tokens and plain words add nothing.
ML_ROWS = {"[CLS]": [-1, -1, -1.5], "you": [0.25, 0.5, 0.125], "idiot": [2, 1.5, 0], "stupid": [1.5, 1, 0],
           "hate": [1, 0, 0.5], "kill": [1.5, 0, 2.5], "love": [-1, -0.5, -0.5], "great": [-0.5, -0.25, 0],
           "good": [-0.5, -0.25, 0], "bad": [0.25, 0, 0]}
R_ROWS = {"[CLS]": 0.125, "love": 1.25, "great": 1.5, "good": 1, "bad": -1, "hate": -1.5, "stupid": -0.75,
          "idiot": -0.5, "kill": -1.25}


def weight_table(rows, width):
    t = np.zeros((len(VOCAB_WORDS), width), dtype=np.float32)
    for word, v in rows.items():
        t[VOCAB_WORDS.index(word)] = v
    return t


def wordpiece_tokenizer():
    """A bert-base-uncased-style tokenizer.json over VOCAB_WORDS: the one
    export_models.py writes for the shipped model, over this vocabulary."""
    ids = {w: i for i, w in enumerate(VOCAB_WORDS)}
    wp = SimpleNamespace(pad=ids["[PAD]"], unk=ids["[UNK]"], cls=ids["[CLS]"], sep=ids["[SEP]"], mask=ids["[MASK]"],
                         vocab_list=VOCAB_WORDS)
    return tokenizer_json(wp)


def head_graph(folder, weights, width):
    """model.onnx with logits[b, k] = sum_s mask[b, s] * weights[input_ids[b, s], k]."""
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", width])
    nodes = [
        helper.make_node("Gather", ["W", "input_ids"], ["embeds"], axis=0),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "axis2"], ["mask3"]),
        helper.make_node("Mul", ["embeds", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["logits"], keepdims=0),
    ]
    inits = [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"),
             numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1")]
    save(helper.make_graph(nodes, folder, [ids_input(), mask], [out], inits), folder)


def head_folder(folder, weights, config):
    """A model folder: head_graph, a WordPiece tokenizer.json and config.json."""
    head_graph(folder, weights, weights.shape[1])
    with open(os.path.join(OUT, folder, "tokenizer.json"), "w") as f:
        json.dump(wordpiece_tokenizer(), f, indent=1)
        f.write("\n")
    base = {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": len(VOCAB_WORDS),
            "max_position_embeddings": 64, "pad_token_id": 0}
    base.update(config)
    with open(os.path.join(OUT, folder, "config.json"), "w") as f:
        json.dump(base, f, indent=2)
        f.write("\n")


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
    head_folder("multi_label", weight_table(ML_ROWS, len(ML_LABELS)), {
        "problem_type": "multi_label_classification",
        "id2label": {str(i): l for i, l in enumerate(ML_LABELS)},
        "label2id": {l: i for i, l in enumerate(ML_LABELS)}})
    head_graph("dynamic_labels", weight_table(ML_ROWS, len(ML_LABELS)), "labels")
    head_folder("regression", weight_table({w: [v] for w, v in R_ROWS.items()}, 1), {"num_labels": 1})
    print("wrote", OUT)


if __name__ == "__main__":
    main()
