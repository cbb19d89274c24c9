package report

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/audit"
)

// dataKeyRE finds an element's data-key and its text (elements with a
// data-key hold only text).
var dataKeyRE = regexp.MustCompile(`data-key="([^"]*)"[^>]*>([^<]*)<`)

// dataKeys returns every (key, printed text) pair of a page, unescaped.
func dataKeys(page string) [][2]string {
	var out [][2]string
	for _, m := range dataKeyRE.FindAllStringSubmatch(page, -1) {
		out = append(out, [2]string{html.UnescapeString(m[1]), strings.TrimSpace(html.UnescapeString(m[2]))})
	}
	return out
}

// reportJSON is the report as report.json has it, read back generically.
func reportJSON(t *testing.T, r *audit.Report) map[string]any {
	b, err := json.Marshal(r)
	require.NoError(t, err)
	var j map[string]any
	require.NoError(t, json.Unmarshal(b, &j))
	return j
}

// find returns the element of the JSON array list whose field is name.
func find(list any, field, name string) (map[string]any, error) {
	arr, _ := list.([]any)
	for _, e := range arr {
		if o, ok := e.(map[string]any); ok && o[field] == name {
			return o, nil
		}
	}
	return nil, fmt.Errorf("no %s %q", field, name)
}

func obj(v any) map[string]any { o, _ := v.(map[string]any); return o }

// lookup is what report.json says a data-key's number is: a float64, or
// nil for null. It follows the naming of the package documentation,
// independently of the code that writes the page.
func lookup(j map[string]any, key string) (any, error) {
	p := strings.Split(key, ":")
	sub := func(o map[string]any, i int, name string) any {
		v := o[name]
		if len(p) > i {
			return obj(v)[p[i]]
		}
		if mo, ok := v.(map[string]any); ok {
			return mo["value"]
		}
		return v
	}
	switch p[0] {
	case "rows", "labelled_rows", "skipped_rows", "seconds", "rows_per_second":
		return j[p[0]], nil
	case "accuracy", "positive_prediction_rate":
		return sub(j, 1, p[0]), nil
	case "group", "group-overall":
		col, err := find(j["groups"], "column", p[1])
		if err != nil {
			return nil, err
		}
		if p[0] == "group-overall" {
			return sub(obj(col["overall"]), 3, p[2]), nil
		}
		g, err := find(col["groups"], "group", p[2])
		if err != nil {
			return nil, err
		}
		return sub(g, 4, p[3]), nil
	case "disparity":
		col, err := find(j["groups"], "column", p[1])
		if err != nil {
			return nil, err
		}
		d, err := find(col["disparities"], "name", p[2])
		if err != nil {
			return nil, err
		}
		return sub(d, 3, "metric"), nil
	case "cf":
		f, err := find(obj(j["counterfactual"])["families"], "family", p[1])
		if err != nil {
			return nil, err
		}
		return f[p[2]], nil
	case "cf-explained":
		i, _ := strconv.Atoi(p[1])
		w, _ := strconv.Atoi(p[3])
		ex := obj(j["counterfactual"])["explained"].([]any)[i]
		return obj(obj(ex)["word_deltas"].([]any)[w])[p[4]], nil
	case "consistency":
		tr, err := find(obj(j["consistency"])["tests"], "name", p[1])
		if err != nil {
			return nil, err
		}
		if len(p) > 3 {
			return obj(tr["failure_ci"])[p[3]], nil
		}
		return tr[p[2]], nil
	case "slice":
		s, err := find(j["slices"], "name", p[1])
		if err != nil {
			return nil, err
		}
		if len(p) > 3 {
			return obj(s["ci"])[p[3]], nil
		}
		return s[p[2]], nil
	case "faithfulness":
		f, err := find(j["faithfulness"], "method", p[1])
		if err != nil {
			return nil, err
		}
		return f[p[2]], nil
	case "stability":
		for _, e := range j["explanation_stability"].([]any) {
			if o := obj(e); o["method"] == p[1] && o["setting"] == p[2] {
				return o[p[3]], nil
			}
		}
		return nil, fmt.Errorf("no stability %s %s", p[1], p[2])
	}
	return nil, fmt.Errorf("unknown key")
}

// tolerance is half a unit of the printed number's last decimal.
func tolerance(printed string) float64 {
	if i := strings.IndexByte(printed, '.'); i >= 0 {
		return 0.5*math.Pow10(-(len(printed)-i-1)) + 1e-12
	}
	return 0.5
}

// checkDataKeys compares every data-key number of a page with the report's
// JSON, and requires the keys in want to be among them; it returns the
// keys seen.
func checkDataKeys(t *testing.T, page string, r *audit.Report, want ...string) map[string]string {
	t.Helper()
	j := reportJSON(t, r)
	seen := map[string]string{}
	for _, kv := range dataKeys(page) {
		key, text := kv[0], kv[1]
		seen[key] = text
		exp, err := lookup(j, key)
		if !assertNoErr(t, err, "data-key %q", key) {
			continue
		}
		if exp == nil {
			if text != "n/a" {
				t.Errorf("data-key %q: report.json has null, page shows %q", key, text)
			}
			continue
		}
		f, ok := exp.(float64)
		if !ok {
			t.Errorf("data-key %q: report.json has %v (%T), not a number", key, exp, exp)
			continue
		}
		got, err := strconv.ParseFloat(text, 64)
		if err != nil {
			t.Errorf("data-key %q: page shows %q, not a number (report.json: %v)", key, text, f)
			continue
		}
		if d := math.Abs(got - f); d > tolerance(text) {
			t.Errorf("data-key %q: page %s, report.json %v (off by %g)", key, text, f, d)
		}
	}
	for _, k := range want {
		if _, ok := seen[k]; !ok {
			t.Errorf("page has no data-key %q", k)
		}
	}
	return seen
}

func assertNoErr(t *testing.T, err error, format string, args ...any) bool {
	t.Helper()
	if err != nil {
		t.Errorf(format+": %v", append(args, err)...)
		return false
	}
	return true
}

// wantKeys are keys the fixture's page must carry.
var wantKeys = []string{
	"rows", "labelled_rows", "skipped_rows", "seconds", "rows_per_second",
	"accuracy", "accuracy:low", "accuracy:high", "positive_prediction_rate",
	"group:gender:female:positive_rate", "group:gender:female:positive_rate:low", "group:gender:female:positive_rate:high",
	"group:gender:nonbinary:tpr", "group:gender:nonbinary:precision", "group:gender:nonbinary:count",
	"group:gender:male:disparate_impact", "group:dialect:aae:fpr", "group-overall:gender:accuracy",
	"disparity:gender:disparate_impact", "disparity:gender:disparate_impact:low", "disparity:dialect:equalized_odds_difference",
	"cf:gender:mean_abs_delta", "cf:gender:flip_rate", "cf:religion:swaps", "cf-explained:0:word:0:delta",
	"consistency:typo:failure_rate", "consistency:typo:failure_rate:high", "consistency:negation:failures",
	"consistency:titlecase:not_applicable",
	"slice:negated:accuracy", "slice:negated:gap", "slice:empty:count",
	"faithfulness:kernelshap:comprehensiveness", "faithfulness:lime:sufficiency", "faithfulness:occlusion:evaluations_per_text",
	"faithfulness:occlusion:wall_seconds_per_text",
	"stability:kernelshap:seed 43:mean_spearman", "stability:lime:seed 43:mean_top3_overlap",
}
