package models

import (
	"embed"
	"io/fs"
)

// The default model's files, compiled into every binary that imports this
// package (about 38 MB), so the default model needs no folder on disk.
// reference.json (PyTorch's outputs, for tests) stays out.
//
//go:embed sst2-mini-bert/model.onnx sst2-mini-bert/model_embeds.onnx sst2-mini-bert/embeddings.onnx sst2-mini-bert/model_grad.onnx
//go:embed sst2-mini-bert/tokenizer.json sst2-mini-bert/config.json sst2-mini-bert/README.md
var embedded embed.FS

// EmbeddedName is Folder.Dir of the embedded default model, as messages and
// results (an explanation's "model") show it.
const EmbeddedName = "embedded:" + DefaultName

// Embedded returns the embedded copy of the default model: a file system
// whose root is the model folder (model.onnx, tokenizer.json, config.json,
// model_embeds.onnx, embeddings.onnx, model_grad.onnx and the model card README.md).
func Embedded() fs.FS {
	sub, err := fs.Sub(embedded, DefaultName)
	if err != nil {
		// fs.Sub fails only on an invalid path; DefaultName is a constant.
		panic(err)
	}
	return sub
}
