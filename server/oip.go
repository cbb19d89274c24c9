package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/models"
)

// Open Inference Protocol v2 (REST). Shapes follow the protocol's
// inference_rest.md: metadata tensors {name, datatype, shape}; an
// inference request {id?, parameters?, inputs: [{name, shape, datatype,
// parameters?, data}], outputs?: [{name, parameters?}]}; a response
// {model_name, model_version?, id?, parameters?, outputs: [{name, shape,
// datatype, parameters?, data}]}, data row-major and flat; errors
// {"error": "..."}. Every model has the one version "1": the model paths
// answer with and without /versions/1, any other version is 404.

// Output tensor names of infer.
const (
	OutputProbabilities = "probabilities"
	OutputLogits        = "logits"
	OutputLabel         = "label"
	// InputText is the name the metadata gives the BYTES input (any name
	// is accepted for the one input).
	InputText = "text"
)

// TensorMetadata describes a tensor in model metadata.
type TensorMetadata struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
}

// ModelMetadata is GET /v2/models/{name}.
type ModelMetadata struct {
	Name     string           `json:"name"`
	Versions []string         `json:"versions,omitempty"`
	Platform string           `json:"platform"`
	Inputs   []TensorMetadata `json:"inputs"`
	Outputs  []TensorMetadata `json:"outputs"`
}

// InferInput is one input tensor of an inference request.
type InferInput struct {
	Name       string          `json:"name"`
	Shape      []int           `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters map[string]any  `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data"`
}

// InferRequest is POST /v2/models/{name}/infer's body.
type InferRequest struct {
	ID         string         `json:"id,omitempty"`
	Parameters map[string]any `json:"parameters,omitempty"`
	Inputs     []InferInput   `json:"inputs"`
	Outputs    []struct {
		Name       string         `json:"name"`
		Parameters map[string]any `json:"parameters,omitempty"`
	} `json:"outputs,omitempty"`
}

// InferOutput is one output tensor of an inference response.
type InferOutput struct {
	Name       string         `json:"name"`
	Shape      []int          `json:"shape"`
	Datatype   string         `json:"datatype"`
	Parameters map[string]any `json:"parameters,omitempty"`
	Data       any            `json:"data"`
}

// InferResponse is infer's answer.
type InferResponse struct {
	ModelName    string         `json:"model_name"`
	ModelVersion string         `json:"model_version,omitempty"`
	ID           string         `json:"id,omitempty"`
	Parameters   map[string]any `json:"parameters,omitempty"`
	Outputs      []InferOutput  `json:"outputs"`
}

// readyWait is the longest a readiness check waits for the models' warm-up
// before it answers 503 (a probe's own timeout is usually shorter, which
// reads as not ready too).
const readyWait = 30 * time.Second

// waitReady waits until the models (all, or m alone) are warm; false
// when the request ends or readyWait passes first.
func (s *Server) waitReady(ctx context.Context, only *servedModel) bool {
	timer := time.NewTimer(readyWait)
	defer timer.Stop()
	for _, name := range s.order {
		m := s.models[name]
		if only != nil && m != only {
			continue
		}
		select {
		case <-m.ready:
		case <-ctx.Done():
			return false
		case <-timer.C:
			return false
		}
	}
	return true
}

// WaitReady waits until every model has warmed up (what
// /v2/health/ready waits for), or ctx ends; a benchmark calls it before
// it starts its clock, so that the warm-up does not share the CPU with
// its first requests.
func (s *Server) WaitReady(ctx context.Context) error {
	for _, name := range s.order {
		select {
		case <-s.models[name].ready:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// serverReady is GET /v2/health/ready: it answers once every model has
// warmed up (see servedModel.warmUp), so ready means no request pays for
// a first run.
func (s *Server) serverReady(w http.ResponseWriter, r *http.Request) {
	if !s.waitReady(r.Context(), nil) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]bool{"ready": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ready": true})
}

func (s *Server) serverMetadata(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"name": "lucid", "version": "1", "extensions": []string{}})
}

func (s *Server) modelMetadata(w http.ResponseWriter, r *http.Request) {
	m := s.model(w, r, r.PathValue("name"))
	if m == nil {
		return
	}
	writeJSON(w, http.StatusOK, m.metadata())
}

// metadata is the model's metadata, for REST and gRPC alike.
func (m *servedModel) metadata() ModelMetadata {
	n := len(m.labels())
	return ModelMetadata{Name: m.name, Versions: []string{modelVersion}, Platform: "onnxruntime_onnx",
		Inputs: []TensorMetadata{{Name: InputText, Datatype: "BYTES", Shape: []int{-1}}},
		Outputs: []TensorMetadata{{Name: OutputProbabilities, Datatype: "FP32", Shape: []int{-1, n}},
			{Name: OutputLogits, Datatype: "FP32", Shape: []int{-1, n}}, {Name: OutputLabel, Datatype: "BYTES", Shape: []int{-1}}}}
}

func (s *Server) modelReady(w http.ResponseWriter, r *http.Request) {
	m := s.model(w, r, r.PathValue("name"))
	if m == nil {
		return
	}
	if !s.waitReady(r.Context(), m) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"name": m.name, "ready": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": m.name, "ready": true})
}

func (s *Server) infer(w http.ResponseWriter, r *http.Request) {
	m := s.model(w, r, r.PathValue("name"))
	if m == nil {
		return
	}
	var req InferRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	texts, pairs, err := s.inferInputs(req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	names := make([]string, len(req.Outputs))
	for i, o := range req.Outputs {
		names[i] = o.Name
	}
	want, err := wantOutputs(names)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	preds, err := m.predictPairs(r.Context(), texts, pairs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp := InferResponse{ModelName: m.name, ModelVersion: modelVersion, ID: req.ID, Outputs: m.inferOutputs(preds, want)}
	var warnings []string
	for i, t := range texts {
		for _, w := range models.TextWarnings(t + pairText(pairs, i)) {
			warnings = append(warnings, fmt.Sprintf("inputs[0].data[%d]: %s", i, w))
		}
	}
	if warnings != nil {
		resp.Parameters = map[string]any{"warnings": warnings}
	}
	writeJSON(w, http.StatusOK, resp)
}

// wantOutputs reads the outputs an infer request names (REST or gRPC):
// all three when it names none.
func wantOutputs(names []string) (map[string]bool, error) {
	if len(names) == 0 {
		return map[string]bool{OutputProbabilities: true, OutputLogits: true, OutputLabel: true}, nil
	}
	want := map[string]bool{}
	for _, name := range names {
		if name != OutputProbabilities && name != OutputLogits && name != OutputLabel {
			return nil, badRequest("outputs: unknown output %q; this model has %s, %s and %s", name, OutputProbabilities, OutputLogits, OutputLabel)
		}
		want[name] = true
	}
	return want, nil
}

// inferOutputs builds infer's output tensors, for REST and gRPC alike:
// probabilities and logits FP32 [n, labels] row-major ([]float32), label
// BYTES [n] ([]string), those in want, in that order.
func (m *servedModel) inferOutputs(preds []predicted, want map[string]bool) []InferOutput {
	labels := m.labels()
	n, k := len(preds), len(labels)
	var outs []InferOutput
	if want[OutputProbabilities] {
		data := make([]float32, 0, n*k)
		for _, p := range preds {
			for _, v := range p.probs {
				data = append(data, float32(v))
			}
		}
		outs = append(outs, InferOutput{Name: OutputProbabilities, Shape: []int{n, k}, Datatype: "FP32", Data: data})
	}
	if want[OutputLogits] {
		data := make([]float32, 0, n*k)
		for _, p := range preds {
			data = append(data, p.logits...)
		}
		outs = append(outs, InferOutput{Name: OutputLogits, Shape: []int{n, k}, Datatype: "FP32", Data: data})
	}
	if want[OutputLabel] {
		data := make([]string, n)
		for i, p := range preds {
			data[i] = labels[p.best]
		}
		outs = append(outs, InferOutput{Name: OutputLabel, Shape: []int{n}, Datatype: "BYTES", Data: data})
	}
	return outs
}

// inferTexts reads the one BYTES input: shape [N] or [N, 1], data a flat
// (or, as some clients send it, nested) array of N strings.
func (s *Server) inferTexts(req InferRequest) ([]string, error) {
	if len(req.Inputs) != 1 {
		return nil, badRequest("inputs: want exactly one input (BYTES, shape [N], the texts), got %d", len(req.Inputs))
	}
	in := req.Inputs[0]
	if in.Datatype != "BYTES" {
		return nil, badRequest("inputs[0] %q: datatype %q: want BYTES (the texts)", in.Name, in.Datatype)
	}
	if !(len(in.Shape) == 1 || (len(in.Shape) == 2 && in.Shape[1] == 1)) {
		return nil, badRequest("inputs[0] %q: shape %v: want [N] or [N, 1]", in.Name, in.Shape)
	}
	var flat []string
	if err := json.Unmarshal(in.Data, &flat); err != nil {
		flat = nil
		var nested [][]string
		if err2 := json.Unmarshal(in.Data, &nested); err2 != nil {
			return nil, badRequest("inputs[0] %q: data: want an array of strings: %v", in.Name, err)
		}
		for _, row := range nested {
			flat = append(flat, row...)
		}
	}
	if in.Shape[0] != len(flat) {
		return nil, badRequest("inputs[0] %q: shape %v says %d texts, data has %d", in.Name, in.Shape, in.Shape[0], len(flat))
	}
	return flat, s.checkTexts(flat, s.cfg.MaxInstances, "inputs[0].data")
}

// checkTexts applies the per-request limits on texts, maxN being
// --max-instances.
func (s *Server) checkTexts(texts []string, maxN int, where string) error {
	return s.checkTextsLimit(texts, maxN, "--max-instances", where)
}

// checkTextsLimit is checkTexts with flag naming the option that sets
// maxN. (Invalid UTF-8 in a JSON body is refused before decoding, by
// decodeJSON; the check here is for the other ways in.)
func (s *Server) checkTextsLimit(texts []string, maxN int, flag, where string) error {
	switch {
	case len(texts) == 0:
		return badRequest("%s is empty: want at least one text", where)
	case len(texts) > maxN:
		return badRequest("%s has %d texts, above this server's limit of %d per request (%s)", where, len(texts), maxN, flag)
	}
	for i, t := range texts {
		if len(t) > s.cfg.MaxTextBytes {
			return badRequest("%s[%d] is %d bytes long, above this server's limit of %d bytes (--max-text)", where, i, len(t), s.cfg.MaxTextBytes)
		}
		if !utf8.ValidString(t) {
			return badRequest("%s[%d] is not valid UTF-8", where, i)
		}
	}
	return nil
}
