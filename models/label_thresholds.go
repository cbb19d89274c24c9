package models

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// LabelThreshold is one entry of a per-label thresholds file: a
// multi-label model says Label when its probability is at least T. Where
// names the entry in messages (its line, or its JSON key).
type LabelThreshold struct {
	Label string
	T     float64
	Where string
}

// ParseLabelThresholds reads what lucid predict and lucid audit take as
// --label-thresholds: a JSON object {"label": t, ...} or TSV lines
// "label<TAB>t" (blank lines and lines starting with # skipped). Every t
// must be a probability in [0, 1] and no label may be given twice
// (case-insensitively); name labels the file in messages. Whether each
// entry names one of the model's labels is the caller's to check, since
// an audit of given outputs reads the file before it knows them.
func ParseLabelThresholds(raw []byte, name string) ([]LabelThreshold, error) {
	var entries []LabelThreshold
	if strings.HasPrefix(strings.TrimSpace(string(raw)), "{") {
		var m map[string]float64
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("%s: want a JSON object of label names and thresholds, {\"toxic\": 0.7}: %w", name, err)
		}
		for l, t := range m {
			entries = append(entries, LabelThreshold{Label: l, T: t, Where: strconv.Quote(l)})
		}
		sort.Slice(entries, func(a, b int) bool { return entries[a].Label < entries[b].Label })
	} else {
		for n, line := range strings.Split(string(raw), "\n") {
			line = strings.TrimRight(line, "\r")
			if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
				continue
			}
			l, v, ok := strings.Cut(line, "\t")
			if !ok {
				return nil, fmt.Errorf("%s line %d: %q: want label<TAB>threshold (or a JSON object)", name, n+1, line)
			}
			t, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return nil, fmt.Errorf("%s line %d: threshold %q is not a number", name, n+1, v)
			}
			entries = append(entries, LabelThreshold{Label: strings.TrimSpace(l), T: t, Where: fmt.Sprintf("line %d", n+1)})
		}
	}
	seen := map[string]string{}
	for _, e := range entries {
		key := strings.ToLower(e.Label)
		switch {
		case seen[key] != "":
			return nil, fmt.Errorf("%s: label %q is given twice (%s and %s)", name, e.Label, seen[key], e.Where)
		case math.IsNaN(e.T) || e.T < 0 || e.T > 1:
			return nil, fmt.Errorf("%s (%s): threshold %v for %q: want a probability in [0, 1]", name, e.Where, e.T, e.Label)
		}
		seen[key] = e.Where
	}
	return entries, nil
}

// DefaultLabelThreshold is the probability at or above which a
// multi-label model's label is reported when no threshold is given (lucid
// predict's --threshold, and the server's labels_above_threshold).
const DefaultLabelThreshold = 0.5

// LabelsAbove returns the labels whose probability is at least their
// threshold (thresholds[i] for labels[i]), most probable first, ties in
// label order; never nil, so JSON says [].
func LabelsAbove(labels []string, probs, thresholds []float64) []string {
	idx := make([]int, 0, len(labels))
	for i := range labels {
		if probs[i] >= thresholds[i] {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return probs[idx[a]] > probs[idx[b]] })
	out := make([]string, len(idx))
	for j, i := range idx {
		out[j] = labels[i]
	}
	return out
}
