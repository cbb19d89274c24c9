// Package onnx runs Lucid's engine.Model on ONNX Runtime through
// github.com/yalue/onnxruntime_go, on the CPU or the CUDA execution provider.
//
// It finds the ONNX Runtime shared library (an explicit path, then
// $LUCID_ORT_LIB, then the cache folder that scripts/setup_ort.sh fills),
// opens a model folder's graphs, checks their inputs and outputs against the
// model-directory contract (read from the graph, never assumed), and runs
// padded batches through a small pool of sessions; the embedding graphs and
// the optional gradient graph (model_grad.onnx, HasGradientGraph) are
// opened and checked the same way. ONNX Runtime's optimized graph can be
// cached on disk (WithGraphCache, $LUCID_GRAPH_CACHE; off by default, see
// GraphCacheEnv for the measurement), and its intra-op threads sleep
// rather than spin between operators (WithSpinning). Tensors wrap the
// caller's Go slices, so a batch is not copied on its way in or out. A
// Model says its head (engine.HeadModel: WithHead, else one output is a
// regression head and more a single-label one) and its labels (WithLabels,
// else LABEL_i for each logit, counted by running one row when the graph
// leaves the count dynamic).
package onnx
