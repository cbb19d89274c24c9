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

// status is the verdict status of a JSON object with a "verdict".
func status(o map[string]any) any { return obj(o["verdict"])["status"] }

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
	case "rows", "labelled_rows", "unlabelled_rows", "skipped_rows", "seconds", "rows_per_second":
		return j[p[0]], nil
	case "ml", "lg", "lv", "gm", "gmp", "rcf":
		return lookupHeads(j, p)
	case "decision_rule":
		rule := obj(j["decision_rule"])
		if p[1] == "thresholds" {
			return obj(rule["thresholds"])[p[2]], nil
		}
		return rule[p[1]], nil
	case "timing":
		t, err := find(j["timings"], "phase", p[1])
		if err != nil {
			return nil, err
		}
		if v, ok := t[p[2]]; ok || p[2] != "items" {
			return v, nil
		}
		return 0.0, nil // items is omitted when 0
	case "group-verdict":
		col, err := find(j["groups"], "column", p[1])
		if err != nil {
			return nil, err
		}
		return status(col), nil
	case "pair":
		// pair:<column>:<a>:<b>:<metric>[:low|:high|:p_holm|:verdict|:table:<i>|:n_a|:n_b]
		col, err := find(j["groups"], "column", p[1])
		if err != nil {
			return nil, err
		}
		var pair map[string]any
		for _, e := range col["pairs"].([]any) {
			if o := obj(e); o["a"] == p[2] && o["b"] == p[3] {
				pair = o
			}
		}
		if pair == nil {
			return nil, fmt.Errorf("no pair %s, %s", p[2], p[3])
		}
		test, err := find(pair["tests"], "metric", p[4])
		if err != nil {
			return nil, err
		}
		if len(p) == 5 {
			return obj(test["estimate"])["value"], nil
		}
		table, _ := test["table"].([]any)
		switch p[5] {
		case "low", "high":
			return obj(test["estimate"])[p[5]], nil
		case "verdict":
			return status(test), nil
		case "table":
			i, _ := strconv.Atoi(p[6])
			return table[i], nil
		case "n_a":
			return table[0].(float64) + table[1].(float64), nil
		case "n_b":
			return table[2].(float64) + table[3].(float64), nil
		}
		return test[p[5]], nil
	case "paired-verdict", "paired", "paired-group":
		var col map[string]any
		for _, e := range j["paired"].([]any) {
			if o := obj(e); o["column"] == p[1] {
				col = o
			}
		}
		if col == nil {
			return nil, fmt.Errorf("no paired column %q", p[1])
		}
		switch {
		case p[0] == "paired-verdict":
			return status(col), nil
		case p[0] == "paired-group":
			g, err := find(col["groups"], "group", p[2])
			if err != nil {
				return nil, err
			}
			return g[p[3]], nil
		case len(p) == 3:
			return col[p[2]], nil
		}
		for _, e := range col["pairs"].([]any) {
			if o := obj(e); o["a"] == p[2] && o["b"] == p[3] {
				switch p[4] {
				case "verdict":
					return status(o), nil
				case "p_adjusted", "positive_rate_difference":
					return o[p[4]], nil
				}
				return obj(o["score"])[p[4]], nil
			}
		}
		return nil, fmt.Errorf("no paired pair %s, %s", p[2], p[3])
	case "databias":
		// databias:<field> | databias:<kind>:<list>:<field> |
		// databias:<kind>:<list>:<group|term|value>:<name>:<field>[:low|:high]
		db := obj(j["data_bias"])
		if p[1] != "family" && p[1] != "column" {
			return sub(db, 2, p[1]), nil
		}
		lists := db["families"]
		if p[1] == "column" {
			lists = db["columns"]
		}
		l, err := find(lists, "name", p[2])
		if err != nil {
			return nil, err
		}
		if len(p) == 4 {
			if p[3] == "verdict" {
				return status(l), nil
			}
			return l[p[3]], nil
		}
		units := l["groups"]
		if p[3] == "term" {
			units = l["terms"]
		}
		u, err := find(units, "name", p[4])
		if err != nil {
			return nil, err
		}
		switch p[5] {
		case "verdict":
			return status(u), nil
		case "labelled":
			return obj(u["positive_share"])["of"], nil
		case "pmi_positive":
			labels, _ := db["labels"].([]any)
			for i, lab := range labels {
				if lab == db["positive_label"] {
					return u["pmi_bits"].([]any)[i], nil
				}
			}
			return nil, fmt.Errorf("no positive label")
		}
		return sub(u, 6, p[5]), nil
	case "databias-skewed":
		i, _ := strconv.Atoi(p[1])
		s := obj(obj(j["data_bias"])["most_skewed_terms"].([]any)[i])
		return sub(s, 3, p[2]), nil
	case "consistency-run":
		return obj(j["consistency"])[p[1]], nil
	case "databias-weighted":
		w := obj(obj(j["data_bias"])["weighted"])
		if len(p) == 2 {
			return w[p[1]], nil
		}
		col, err := find(w["columns"], "column", p[1])
		if err != nil {
			return nil, err
		}
		if p[2] == "max_gap" {
			return col["max_gap"], nil
		}
		if p[2] == "label_share" {
			i, _ := strconv.Atoi(p[3])
			return col["label_share"].([]any)[i], nil
		}
		g, err := find(col["groups"], "group", p[2])
		if err != nil {
			return nil, err
		}
		i, _ := strconv.Atoi(p[4])
		return g[p[3]].([]any)[i], nil
	case "suite-run":
		return obj(j["suite"])[p[1]], nil
	case "suite":
		tr, err := find(obj(j["suite"])["tests"], "name", p[1])
		if err != nil {
			return nil, err
		}
		switch {
		case p[2] == "failure_rate" && len(p) > 3:
			return obj(tr["failure_ci"])[p[3]], nil
		case p[2] == "p_holm":
			return obj(tr["evidence"])["p"], nil
		case p[2] == "verdict":
			return status(tr), nil
		}
		return tr[p[2]], nil
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
		// cf:<family>:<field>[:<sub>], the family row's JSON fields.
		f, err := find(obj(j["counterfactual"])["families"], "family", p[1])
		if err != nil {
			return nil, err
		}
		return field(f, p[2:])
	case "cf-dir":
		// cf-dir:<family>:<from>:<to>:<field>[:<sub>], a row of groups.
		for _, e := range obj(j["counterfactual"])["groups"].([]any) {
			if o := obj(e); o["family"] == p[1] && o["from_group"] == p[2] && o["to_group"] == p[3] {
				return field(o, p[4:])
			}
		}
		return nil, fmt.Errorf("no direction %s → %s in %s", p[2], p[3], p[1])
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
		switch {
		case p[2] == "failure_rate" && len(p) > 3:
			return obj(tr["failure_ci"])[p[3]], nil
		case p[2] == "delta":
			return obj(tr["delta"])[p[3]], nil
		case p[2] == "validity" && len(p) > 4:
			return obj(obj(tr["validity"])["ci"])[p[4]], nil
		case p[2] == "validity":
			return obj(tr["validity"])[p[3]], nil
		case p[2] == "p_holm":
			return obj(tr["evidence"])["p"], nil
		case p[2] == "verdict":
			return status(tr), nil
		}
		return tr[p[2]], nil
	case "slice":
		s, err := find(j["slices"], "name", p[1])
		if err != nil {
			return nil, err
		}
		switch {
		case p[2] == "accuracy" && len(p) > 3:
			return obj(s["ci"])[p[3]], nil
		case p[2] == "vs_rest" && len(p) > 3:
			return obj(s["evidence"])[p[3]], nil
		case p[2] == "vs_rest":
			return obj(s["evidence"])["estimate"], nil
		case p[2] == "p_holm":
			return obj(s["evidence"])["p"], nil
		case p[2] == "verdict":
			return status(s), nil
		}
		return s[p[2]], nil
	case "faithfulness":
		f, err := find(j["faithfulness"], "method", p[1])
		if err != nil {
			return nil, err
		}
		if len(p) > 3 {
			return obj(f[p[2]+"_ci"])[p[3]], nil
		}
		return f[p[2]], nil
	case "stability":
		for _, e := range j["explanation_stability"].([]any) {
			if o := obj(e); o["method"] == p[1] && o["setting"] == p[2] {
				if len(p) > 4 {
					return obj(o[p[3]+"_ci"])[p[4]], nil
				}
				if p[3] == "verdict" {
					return status(o), nil
				}
				return o[p[3]], nil
			}
		}
		return nil, fmt.Errorf("no stability %s %s", p[1], p[2])
	}
	return nil, fmt.Errorf("unknown key")
}

// field is o's field path[0] (a verdict's status for "verdict"), or its
// sub-field path[1]; an error when a named object is missing.
func field(o map[string]any, path []string) (any, error) {
	switch {
	case len(path) == 1 && path[0] == "verdict":
		if o["verdict"] == nil {
			return nil, fmt.Errorf("no verdict")
		}
		return status(o), nil
	case len(path) == 1:
		return o[path[0]], nil
	case len(path) == 2:
		sub, ok := o[path[0]].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("no object %q", path[0])
		}
		return sub[path[1]], nil
	}
	return nil, fmt.Errorf("bad field path %v", path)
}

// tolerance is half a unit of the printed number's last decimal.
func tolerance(printed string) float64 {
	scale := 1.0
	if i := strings.IndexAny(printed, "eE"); i >= 0 { // "3.1e-07": two significant digits
		exp, _ := strconv.Atoi(printed[i+1:])
		printed, scale = printed[:i], math.Pow10(exp)
	}
	if i := strings.IndexByte(printed, '.'); i >= 0 {
		return 0.5*math.Pow10(-(len(printed)-i-1))*scale + 1e-12*scale
	}
	return 0.5 * scale
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
		if st, ok := exp.(string); ok { // a verdict's status
			if text != st {
				t.Errorf("data-key %q: page shows %q, report.json has %q", key, text, st)
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
	"consistency:typo:validity:rate", "consistency:typo:validity:rate:low",
	"consistency:titlecase:not_applicable",
	"slice:negated:accuracy", "slice:negated:gap", "slice:empty:count",
	"faithfulness:kernelshap:comprehensiveness", "faithfulness:lime:sufficiency", "faithfulness:occlusion:evaluations_per_text",
	"faithfulness:occlusion:wall_seconds_per_text",
	"stability:kernelshap:seed 43:mean_spearman", "stability:lime:seed 43:mean_top3_overlap",
	// How the verdicts were earned.
	"unlabelled_rows", "decision_rule:alpha", "decision_rule:thresholds:parity_difference",
	"timing:reading:seconds", "timing:reading:items", "timing:groups:seconds", "timing:consistency:items",
	"group-verdict:gender", "pair:gender:female:male:positive_rate", "pair:gender:female:male:positive_rate:low",
	"pair:gender:female:male:positive_rate:high", "pair:gender:female:male:positive_rate:p_holm",
	"pair:gender:female:male:positive_rate:verdict", "pair:gender:female:male:positive_rate:n_b",
	"pair:dialect:sae:aae:disparate_impact", "pair:dialect:sae:aae:fpr:p_holm",
	"paired:gender:frames", "paired:gender:matched_frames", "paired-verdict:gender",
	"paired:gender:female:male:mean", "paired:gender:female:male:low", "paired:gender:female:male:high",
	"paired:gender:female:male:positive", "paired:gender:female:male:negative", "paired:gender:female:male:ties",
	"paired:gender:female:male:sign_p", "paired:gender:female:male:t_p", "paired:gender:female:male:wilcoxon_p",
	"paired:gender:female:male:p_adjusted", "paired:gender:female:male:verdict",
	"consistency:negation:saturated", "consistency:negation:at_ceiling", "consistency:typo:flips_within_tolerance",
	"consistency:negation:delta:mean", "consistency:negation:delta:low", "consistency:negation:delta:high",
	"consistency:negation:p_holm", "consistency:negation:verdict", "consistency-run:tolerance",
	"slice:negated:verdict", "slice:negated:vs_rest", "slice:negated:vs_rest:low", "slice:negated:vs_rest:high", "slice:negated:p_holm",
	"faithfulness:kernelshap:comprehensiveness:low", "stability:lime:seed 43:mean_spearman:high",
	"stability:lime:seed 43:p_below_threshold",
	"stability:lime:seed 43:verdict", "stability:kernelshap:seed 43:verdict",
	// Counterfactual verdicts: per family and per direction.
	"cf:gender:verdict", "cf:names:verdict", "cf:religion:verdict", "cf:gender:texts", "cf:gender:flips",
	"cf:gender:signed_check:estimate", "cf:gender:signed_check:low", "cf:gender:signed_check:high", "cf:gender:signed_check:p",
	"cf:gender:flip_interval:low", "cf:gender:flip_interval:high", "cf:gender:flip_check:p", "cf:names:max_abs_delta",
	"cf-dir:gender:female:male:verdict", "cf-dir:gender:female:male:signed:n", "cf-dir:gender:female:male:signed:mean",
	"cf-dir:gender:female:male:signed:low", "cf-dir:gender:female:male:signed:high", "cf-dir:gender:female:male:signed:positive",
	"cf-dir:gender:female:male:signed:negative", "cf-dir:gender:female:male:signed:ties", "cf-dir:gender:female:male:signed:sign_p",
	"cf-dir:gender:female:male:signed:t_p", "cf-dir:gender:female:male:signed:wilcoxon_p", "cf-dir:gender:female:male:signed_check:p",
	"cf-dir:gender:female:male:flip_rate", "cf-dir:gender:female:male:flip_interval:low", "cf-dir:gender:female:male:flip_interval:high",
	"cf-dir:gender:female:male:flips", "cf-dir:gender:female:male:swaps", "cf-dir:gender:female:male:flip_check:p",
	"cf-dir:gender:male:female:verdict", "cf-dir:names:european_american_female:african_american_female:signed:wilcoxon_n",
	"cf-dir:names:european_american_male:african_american_male:signed:t_p", "cf-explained:1:word:1:delta",
	// A name family's direction: figures over names.
	"cf-dir:names:african_american_female:european_american_female:clustered:n", "cf-dir:names:african_american_female:european_american_female:clustered:mean",
	"cf-dir:names:african_american_female:european_american_female:clustered:low", "cf-dir:names:african_american_female:european_american_female:clustered:t_p",
	"cf-dir:names:african_american_female:european_american_female:clustered:flip_rate", "cf-dir:names:african_american_female:european_american_female:clustered:flip_high",
}
