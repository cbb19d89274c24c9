package server

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/internal/shorten"
)

// KServe v1 (the "V1 protocol"): GET /v1/models lists the models,
// GET /v1/models/{name} says whether one is ready, and
// POST /v1/models/{name}:predict and :explain take {"instances": [...]}
// and answer {"predictions": [...]} and {"explanations": [...]};
// {"inputs": [...]} is taken as the same as {"instances": [...]}, as
// KServe's v1 documents them (one of the two, not both).

// Instance is one input of a v1 request: a text (a JSON string, or
// {"text": "..."}) or a sentence pair (["text", "text_pair"], or
// {"text": "...", "text_pair": "..."}), encoded with the tokenizer's pair
// template. TextPair is nil for one text.
type Instance struct {
	Text     string
	TextPair *string
}

// UnmarshalJSON reads a string, [string, string], or {"text": string}
// with an optional "text_pair": string.
func (in *Instance) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*in = Instance{Text: s}
		return nil
	}
	var pair []string
	if err := json.Unmarshal(b, &pair); err == nil {
		if len(pair) != 2 {
			return badRequest(`a sentence-pair instance is ["text", "text_pair"]: two strings, not %d`, len(pair))
		}
		*in = Instance{Text: pair[0], TextPair: &pair[1]}
		return nil
	}
	var o struct {
		Text     *string `json:"text"`
		TextPair *string `json:"text_pair"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil || o.Text == nil {
		return badRequest(`an instance is a text: a JSON string or {"text": "..."}, or a sentence pair: ["text", "text_pair"] or {"text": "...", "text_pair": "..."}; not %s`, shorten.Bytes(string(b), 60))
	}
	*in = Instance{Text: *o.Text, TextPair: o.TextPair}
	return nil
}

// MarshalJSON writes a text as a string and a pair as [text, text_pair].
func (in Instance) MarshalJSON() ([]byte, error) {
	if in.TextPair != nil {
		return json.Marshal([2]string{in.Text, *in.TextPair})
	}
	return json.Marshal(in.Text)
}

// PredictRequest is :predict's body.
type PredictRequest struct {
	Instances []Instance `json:"instances"`
	Inputs    []Instance `json:"inputs"`
}

// instancesOf returns the texts of "instances" or "inputs" and the
// field's name, refusing a body with both.
func instancesOf(instances, inputs []Instance) ([]string, []*string, string, error) {
	switch {
	case instances != nil && inputs != nil:
		return nil, nil, "", badRequest(`request body has both "instances" and "inputs": send the texts in one of them`)
	case inputs != nil:
		ts, ps := texts(inputs)
		return ts, ps, "inputs", nil
	}
	ts, ps := texts(instances)
	return ts, ps, "instances", nil
}

// PredictResponse is :predict's answer, one prediction per instance.
type PredictResponse struct {
	Predictions []Prediction `json:"predictions"`
}

// ExplainRequest is :explain's body.
type ExplainRequest struct {
	Instances  []Instance        `json:"instances"`
	Inputs     []Instance        `json:"inputs"`
	Parameters ExplainParameters `json:"parameters"`
}

// ExplainResponse is :explain's answer: one attribution.Result (the JSON
// of `lucid explain --json`) per instance.
type ExplainResponse struct {
	Explanations []*attribution.Result `json:"explanations"`
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string][]string{"models": s.order})
}

func (s *Server) v1Model(w http.ResponseWriter, r *http.Request) {
	// GET /v1/models/{name}:predict matches this route; it is the verb
	// asked with the wrong method, not an unknown model.
	if _, verb, ok := strings.Cut(r.PathValue("name"), ":"); ok && (verb == "predict" || verb == "explain") {
		w.Header().Set("Allow", http.MethodPost)
		s.fail(w, r, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s %s: method not allowed; :%s takes POST", r.Method, r.URL.Path, verb))
		return
	}
	m := s.model(w, r, r.PathValue("name"))
	if m == nil {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": m.name, "ready": true})
}

// v1Labels labels a POST /v1/models/{name}:predict or :explain with its
// own endpoint and verb (others keep the route's).
func v1Labels(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, verb, ok := strings.Cut(r.PathValue("verb"), ":"); ok && (verb == verbPredict || verb == verbExplain) {
			setVerb(w, "POST /v1/models/{name}:"+verb, verb)
		}
		h(w, r)
	}
}

// v1Verb serves POST /v1/models/{name}:predict and :explain (a route
// pattern cannot split "name:verb", so the handler does).
func (s *Server) v1Verb(w http.ResponseWriter, r *http.Request) {
	name, verb, ok := strings.Cut(r.PathValue("verb"), ":")
	if !ok || (verb != "predict" && verb != "explain") {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "POST /v1/models/%s: want /v1/models/{name}:predict or /v1/models/{name}:explain", r.PathValue("verb")))
		return
	}
	m := s.model(w, r, name)
	if m == nil {
		return
	}
	if verb == verbPredict {
		s.predict(w, r, m)
	} else {
		s.explain(w, r, m)
	}
}

// texts are the instances' texts and, when any is a sentence pair, their
// second texts (nil for the instances that are one text).
func texts(in []Instance) ([]string, []*string) {
	out := make([]string, len(in))
	var pairs []*string
	for i, t := range in {
		out[i] = t.Text
		if t.TextPair != nil {
			if pairs == nil {
				pairs = make([]*string, len(in))
			}
			pairs[i] = t.TextPair
		}
	}
	return out, pairs
}

func (s *Server) predict(w http.ResponseWriter, r *http.Request, m *servedModel) {
	var req PredictRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	ts, pairs, field, err := instancesOf(req.Instances, req.Inputs)
	if err == nil {
		err = s.checkTexts(ts, s.cfg.MaxInstances, field)
	}
	if err == nil {
		err = s.checkPairs(pairs, field)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	preds, err := m.predictPairs(r.Context(), ts, pairs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp := PredictResponse{Predictions: make([]Prediction, len(preds))}
	for i, p := range preds {
		resp.Predictions[i] = m.asPrediction(p, ts[i])
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) explain(w http.ResponseWriter, r *http.Request, m *servedModel) {
	var req ExplainRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	ts, pairs, field, err := instancesOf(req.Instances, req.Inputs)
	if err == nil {
		err = s.checkTextsLimit(ts, s.cfg.MaxExplainInstances, "--max-explain-instances", field)
	}
	if err == nil {
		err = s.checkPairs(pairs, field)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	areq, out, err := m.request(req.Parameters, s.cfg.Limits)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	release, err := s.reservePairs(m, ts, pairs, areq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer release()
	results, err := m.explainPairs(r.Context(), ts, pairs, areq, out)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ExplainResponse{Explanations: results})
}

// reserve takes the explanations' estimated memory from the server-wide
// budget; release gives it back.
func (s *Server) reserve(m *servedModel, texts []string, req attribution.Request) (release func(), err error) {
	return s.reservePairs(m, texts, nil, req)
}

// reservePairs is reserve for instances of which some are sentence pairs
// (pairs as for predictPairs).
func (s *Server) reservePairs(m *servedModel, texts []string, pairs []*string, req attribution.Request) (release func(), err error) {
	est, err := m.estimatePairs(texts, pairs, req)
	if err != nil {
		return nil, err
	}
	if err := s.mem.take(est); err != nil {
		return nil, err
	}
	return func() { s.mem.give(est) }, nil
}
