// Package models holds the model-directory contract: a folder with
// model.onnx, tokenizer.json and config.json (plus model_embeds.onnx and
// embeddings.onnx for path attributions, and optionally model_grad.onnx,
// the gradient graph that engine/onnx checks and runs). ReadFolder checks a folder against
// the contract and reads its labels (id2label, else LABEL_i), its head
// (problem_type: single-label softmax, multi-label sigmoids, or a
// regression score) and maximum length; Load opens it as a Classifier
// (tokenizer plus ONNX Runtime model) with a plain Predict call whose
// probabilities follow the head.
//
// The small default model that ships with Lucid lives in
// models/sst2-mini-bert/ (see its README.md) and is embedded in every
// binary that imports this package (Embedded, about 38 MB): Default and
// LoadDefault use that copy unless $LUCID_MODEL names a folder, so a
// built binary works from any directory. ReadFolderFS and LoadFolder open
// any folder held in an fs.FS the same way.
package models
