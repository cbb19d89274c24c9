package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/lucid-nlp/lucid/models"
)

// NaN or Inf model outputs are a per-text error naming the input's line:
// text output says so on standard error, --json writes an error object
// (json.Marshal would have failed on the NaN), and the count of failed
// inputs makes the command exit 1.
func TestNonFiniteOutputIsPerTextError(t *testing.T) {
	nan := float32(math.NaN())
	preds := []models.Prediction{
		{Text: "fine", Label: "POS", LabelIndex: 1, Logits: []float32{0, 1}, Probabilities: []float64{0.27, 0.73}},
		{Text: "broken", Label: "NEG", Logits: []float32{nan, 1}, Probabilities: []float64{math.NaN(), math.NaN()}},
		{Text: "inf", Label: "NEG", Logits: []float32{float32(math.Inf(1)), 0}, Probabilities: []float64{1, 0}},
	}
	for _, asJSON := range []bool{false, true} {
		var out, errw bytes.Buffer
		w := bufio.NewWriter(&out)
		p := predictPrinter{w: w, errw: &errw, json: asJSON, labels: []string{"NEG", "POS"}}
		for i, pr := range preds {
			if err := p.print(i+1, pr); err != nil {
				t.Fatalf("json=%v: print: %v", asJSON, err)
			}
		}
		w.Flush()
		if p.failed != 2 || p.total != 3 {
			t.Fatalf("json=%v: %d of %d failed, want 2 of 3", asJSON, p.failed, p.total)
		}
		if !asJSON {
			if !strings.Contains(errw.String(), "input 2: error: the model's output is not finite") || !strings.Contains(errw.String(), "input 3: error") {
				t.Fatalf("stderr %q", errw.String())
			}
			continue
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 3 {
			t.Fatalf("json lines %q", lines)
		}
		var e inputErrorJSON
		if err := json.Unmarshal([]byte(lines[1]), &e); err != nil || e.Line != 2 || !strings.Contains(e.Error, "not finite") {
			t.Fatalf("line 2: %q (%v)", lines[1], err)
		}
	}
}
