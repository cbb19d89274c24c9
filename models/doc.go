// Package models holds the model-directory contract: a folder with
// model.onnx, tokenizer.json and config.json (plus model_embeds.onnx and
// embeddings.onnx for path attributions). ReadFolder checks a folder against
// the contract and reads its labels and maximum length; Load opens it as a
// Classifier (tokenizer plus ONNX Runtime model) with a plain Predict call.
//
// The small default model that ships with Lucid lives in
// models/sst2-mini-bert/ (see its README.md); DefaultDir finds it.
package models
