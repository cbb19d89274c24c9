package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/fairness/group"
	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/models"
)

// A multi-label classifier (one sigmoid per label: toxicity, moderation)
// is audited one label at a time: label L is a binary classifier "L or
// not", predicted when p(L) ≥ its threshold, whose gold label is whether
// the row lists L. Each label gets its own State over the same single
// pass of the file (each text is scored once; a label's checks read the
// shared scores), so every check a single-label audit runs — groups,
// matched frames, counterfactual swaps, consistency edits, slices, the
// data scan — runs per label with unchanged rules. The group verdicts of
// all labels are then corrected as one Holm family (labels × group
// columns × pairs × metrics, group.CorrectAcrossLabels), since together
// they make one label-by-group verdict. The other checks keep their own
// families per label, each stated beside its verdict.

// DefaultLabelSep separates the labels of a list cell ("toxic|insult").
const DefaultLabelSep = "|"

// DefaultThreshold decides a multi-label classifier's labels when no
// threshold is given: p ≥ 0.5.
const DefaultThreshold = 0.5

// MultiLabel is the multi-label part of a report.
type MultiLabel struct {
	// GoldFrom says where the gold labels came from, in words.
	GoldFrom string `json:"gold_from"`
	// Labels are the per-label audits, in the classifier's label order.
	Labels []LabelAudit `json:"labels"`
	// Table is the label-by-group table: every label × group column ×
	// group, with the group's predicted-positive rate, TPR and FPR.
	Table []LabelGroupCell `json:"label_by_group"`
	// Verdicts are each label × group column's verdict under the joint
	// family.
	Verdicts []LabelColumnVerdict `json:"label_column_verdicts"`
	// Family is the one Holm family of every group test of every label.
	Family stats.Family `json:"family"`
	// Verdict is the label-by-group verdict: the worst of Verdicts.
	Verdict stats.Verdict `json:"verdict"`
}

// LabelAudit is one label's audit.
type LabelAudit struct {
	Label     string  `json:"label"`
	Threshold float64 `json:"threshold"`
	ScoreCol  string  `json:"score_col,omitempty"`
	// Positives is the rate of rows predicted L; GoldPositives the rate
	// of labelled rows that list L (nil when no row is labelled).
	Positives     Rate  `json:"predicted_rate"`
	GoldPositives *Rate `json:"gold_rate,omitempty"`
	// Report is the label's own report (labels "not L" and "L").
	Report *Report `json:"report"`
}

// LabelGroupCell is one cell of the label-by-group table.
type LabelGroupCell struct {
	Label        string       `json:"label"`
	Column       string       `json:"column"`
	Group        string       `json:"group"`
	Rows         int          `json:"rows"`
	PositiveRate group.Metric `json:"positive_rate"`
	TPR          group.Metric `json:"tpr"`
	FPR          group.Metric `json:"fpr"`
}

// LabelColumnVerdict is one label's verdict on one group column.
type LabelColumnVerdict struct {
	Label   string        `json:"label"`
	Column  string        `json:"column"`
	Verdict stats.Verdict `json:"verdict"`
	Failing []string      `json:"failing,omitempty"`
}

// multiSkipped are the checks a multi-label audit does not run per label.
var multiSkipped = map[string]string{
	CheckFaithfulness: "per-label explanations are lucid explain --target LABEL's; the audit's faithfulness check explains one target",
	CheckStability:    "per-label explanations are lucid explain --target LABEL's; the audit's stability check explains one target",
}

// goldReader reads a row's multi-label gold labels.
type goldReader struct {
	labels []string
	list   int    // index of the list column among the read columns, −1: none
	sep    string // list separator
	cols   []int  // per label: index of its 0/1 column, −1: none
	names  []string
	from   string
}

// read returns, per label, 1 (listed), 0 (not listed) or −1 (unlabelled),
// or why the row's gold cell is malformed.
func (g *goldReader) read(groups []string) ([]int, string) {
	out := make([]int, len(g.labels))
	for i := range out {
		out[i] = -1
	}
	if g.list >= 0 {
		for i := range out {
			out[i] = 0
		}
		raw := strings.TrimSpace(groups[g.list])
		var items []string
		if strings.HasPrefix(raw, "[") {
			if err := json.Unmarshal([]byte(raw), &items); err != nil {
				return nil, fmt.Sprintf("label list %q: %q is not a JSON list of label names", g.names[0], abbreviate(raw))
			}
		} else if raw != "" {
			items = strings.Split(raw, g.sep)
		}
		for _, it := range items {
			it = strings.TrimSpace(it)
			if it == "" {
				continue
			}
			k := slices.IndexFunc(g.labels, func(l string) bool { return strings.EqualFold(l, it) })
			if k < 0 {
				return nil, fmt.Sprintf("label list %q: %q is not one of the labels %s", g.names[0], abbreviate(it), strings.Join(g.labels, ", "))
			}
			out[k] = 1
		}
		return out, ""
	}
	for i, c := range g.cols {
		if c < 0 {
			continue
		}
		raw := strings.ToLower(strings.TrimSpace(groups[c]))
		switch raw {
		case "":
		case "1", "1.0", "true", "yes":
			out[i] = 1
		case "0", "0.0", "false", "no":
			out[i] = 0
		default:
			return nil, fmt.Sprintf("label column %q: %q is not 0 or 1", g.names[i], abbreviate(raw))
		}
	}
	return out, ""
}

// multiConfig checks a multi-label configuration and settles its labels'
// thresholds.
func multiConfig(cfg *Config, labels []string) ([]float64, error) {
	if len(labels) == 0 {
		return nil, errors.New("audit: a multi-label audit needs the label names (the classifier's, or Config.Labels with --score-cols)")
	}
	switch {
	case cfg.FitThresholds != "" || cfg.Thresholds != nil:
		return nil, errors.New("audit: group thresholds (--fit-thresholds, --thresholds) are fitted for one positive label; a multi-label audit decides each label at its own threshold (--threshold, --thresholds-file)")
	case cfg.Suite != nil:
		return nil, fmt.Errorf("audit: the test suite %q targets one label; run it against a single label's model", cfg.Suite.Name)
	case cfg.ScoreCol != "" || cfg.PredictionCol != "":
		return nil, errors.New("audit: a multi-label audit of given outputs reads one score column per label (--score-cols), not --score-col or --prediction-col")
	case cfg.Positive != "":
		return nil, fmt.Errorf("audit: --positive %q picks one label; a multi-label audit audits every label", cfg.Positive)
	case cfg.LabelListCol != "" && len(cfg.LabelCols) > 0:
		return nil, fmt.Errorf("audit: give the gold labels as one list column (%q) or as one column per label (%q), not both", cfg.LabelListCol, cfg.LabelCols)
	case len(cfg.ScoreCols) > 0 && len(cfg.ScoreCols) != len(labels):
		return nil, fmt.Errorf("audit: %d score columns (%q) for %d labels (%s): give one per label, in the labels' order", len(cfg.ScoreCols), cfg.ScoreCols, len(labels), strings.Join(labels, ", "))
	}
	for _, ch := range cfg.Checks {
		if why, ok := multiSkipped[ch]; ok {
			return nil, fmt.Errorf("audit: check %s does not run on a multi-label model: %s", ch, why)
		}
	}
	for _, c := range cfg.LabelCols {
		if !slices.ContainsFunc(labels, func(l string) bool { return strings.EqualFold(l, c) }) {
			return nil, fmt.Errorf("audit: label column %q is not named after one of the labels %s (a 0/1 column per label, named as the label)", c, strings.Join(labels, ", "))
		}
	}
	if cfg.Threshold == 0 && !cfg.ThresholdSet {
		cfg.Threshold = DefaultThreshold
	}
	thr := make([]float64, len(labels))
	for i := range thr {
		thr[i] = cfg.Threshold
	}
	for name, v := range cfg.LabelThresholds {
		k := slices.IndexFunc(labels, func(l string) bool { return strings.EqualFold(l, name) })
		if k < 0 {
			return nil, fmt.Errorf("audit: threshold for %q: not one of the labels %s", name, strings.Join(labels, ", "))
		}
		thr[k] = v
	}
	for i, v := range thr {
		if math.IsNaN(v) || v < 0 || v > 1 {
			return nil, fmt.Errorf("audit: threshold %v for label %q: want a probability from 0 to 1, like 0.5", v, labels[i])
		}
	}
	if cfg.LabelSep == "" {
		cfg.LabelSep = DefaultLabelSep
	}
	return thr, nil
}

// probCache scores each text once through the multi-label classifier and
// hands every label's projection the same probabilities: the rows while
// reading, and the counterfactual and consistency edits, which every
// label scores. It is bounded in entries and in bytes (texts are up to the
// reader's field cap long): when full it is emptied (texts then get
// scored again; nothing is wrong, only slower).
type probCache struct {
	clf    Classifier
	labels []string
	max    int
	mu     sync.Mutex
	m      map[string]cached
	bytes  int // the texts' and probabilities' bytes held in m
}

type cached struct {
	p   []float64
	err error
}

const (
	probCacheSize  = 1 << 17
	probCacheBytes = 256 << 20
)

func (c *probCache) get(ctx context.Context, texts []string) ([]cached, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]cached, len(texts))
	var missing []string
	where := map[string][]int{} // a missing text's places in texts
	for i, t := range texts {
		if e, ok := c.m[t]; ok {
			out[i] = e
			continue
		}
		if _, ok := where[t]; !ok {
			missing = append(missing, t)
		}
		where[t] = append(where[t], i)
	}
	if len(missing) == 0 {
		return out, nil
	}
	preds, err := c.clf.Predict(ctx, missing)
	if err != nil {
		return nil, err
	}
	if len(preds) != len(missing) {
		return nil, fmt.Errorf("audit: the classifier returned %d predictions for %d texts", len(preds), len(missing))
	}
	added := 0
	for i, p := range preds {
		if p.Err == nil {
			if len(p.Probabilities) != len(c.labels) {
				return nil, fmt.Errorf("audit: the classifier returned %d probabilities for %q, want one per label (%d)", len(p.Probabilities), abbreviate(missing[i]), len(c.labels))
			}
			for k, v := range p.Probabilities {
				if !(v >= 0 && v <= 1) {
					return nil, fmt.Errorf("audit: the classifier gave label %q the probability %v for %q: a multi-label head gives each label a sigmoid probability in [0, 1]", c.labels[k], v, abbreviate(missing[i]))
				}
			}
		}
		added += len(missing[i]) + 8*len(p.Probabilities)
	}
	if len(c.m)+len(missing) > c.max || c.bytes+added > probCacheBytes {
		clear(c.m)
		c.bytes = 0
	}
	for i, p := range preds {
		e := cached{p: p.Probabilities, err: p.Err}
		c.m[missing[i]] = e
		for _, j := range where[missing[i]] {
			out[j] = e
		}
	}
	c.bytes += added
	return out, nil
}

// labelView is one label of a multi-label classifier as a binary
// classifier: labels ["not L", "L"], probabilities [1 − p, p], predicted L
// when p ≥ threshold.
type labelView struct {
	cache     *probCache
	idx       int
	threshold float64
	labels    []string
}

func (v labelView) Labels() []string { return v.labels }

func (v labelView) Predict(ctx context.Context, texts []string) ([]models.Prediction, error) {
	got, err := v.cache.get(ctx, texts)
	if err != nil {
		return nil, err
	}
	out := make([]models.Prediction, len(texts))
	for i, g := range got {
		out[i].Text = texts[i]
		if g.err != nil {
			out[i].Err = g.err
			continue
		}
		p := g.p[v.idx]
		out[i].Probabilities = []float64{1 - p, p}
		if p >= v.threshold {
			out[i].LabelIndex = 1
		}
		out[i].Label = v.labels[out[i].LabelIndex]
	}
	return out, nil
}

// runMultiLabel is Run for a multi-label classifier, or for given
// outputs with one score column per label.
func runMultiLabel(ctx context.Context, clf Classifier, cfg Config, start time.Time) (*Report, error) {
	labels := cfg.Labels
	if clf != nil {
		labels = clf.Labels()
		if len(cfg.ScoreCols) > 0 {
			return nil, errors.New("audit: --score-cols audits given outputs: give no model")
		}
	} else if len(labels) == 0 {
		labels = cfg.LabelCols
		if len(labels) == 0 {
			labels = cfg.ScoreCols
		}
	}
	thr, err := multiConfig(&cfg, labels)
	if err != nil {
		return nil, err
	}
	if clf == nil && len(cfg.ScoreCols) == 0 {
		return nil, errors.New("audit: a multi-label audit needs the model, or one score column per label (--score-cols)")
	}
	listCol := cfg.LabelListCol
	if listCol == "" && len(cfg.LabelCols) == 0 {
		listCol = cfg.Dataset.LabelCol
	}
	var skipped []SkippedCheck
	if len(cfg.Checks) == 0 {
		for _, ch := range AllChecks {
			if _, modelOnly := modelOnlyChecks[ch]; clf == nil && modelOnly {
				continue // the outputs' own skip reason comes from each label's State
			}
			if why, ok := multiSkipped[ch]; ok {
				skipped = append(skipped, SkippedCheck{Check: ch, Reason: "not per label: " + why})
				continue
			}
			cfg.Checks = append(cfg.Checks, ch)
		}
		if clf == nil {
			cfg.Checks = nil // each label's State settles the outputs' checks
		}
	}

	cache := &probCache{clf: clf, labels: labels, max: probCacheSize, m: map[string]cached{}}
	states := make([]*State, len(labels))
	views := make([]Classifier, len(labels))
	for i, l := range labels {
		c := cfg
		c.Head = engine.SingleLabel
		c.Labels = []string{"not " + l, l}
		c.Positive = l
		c.LabelListCol, c.LabelCols, c.ScoreCols, c.LabelThresholds = "", nil, nil, nil
		c.Dataset.LabelCol, c.Dataset.IgnoreLabels = "", true
		c.Source = nil
		c.Progress = nil
		var view Classifier
		if clf != nil {
			view = labelView{cache: cache, idx: i, threshold: thr[i], labels: c.Labels}
			views[i] = view
		} else {
			c.ScoreCol = cfg.ScoreCols[i]
			c.decisionThreshold, c.decisionSet = thr[i], true
		}
		st, err := NewState(view, c)
		if err != nil {
			return nil, fmt.Errorf("audit: label %q: %w", l, err)
		}
		// IgnoreLabels reads no label column; the gold labels come in as
		// read columns (below) and are set per label.
		st.cfg.Dataset.IgnoreLabels = true
		states[i] = st
	}

	// One reader for every label: the union of the columns each label's
	// State reads, then the gold columns.
	var union columnSet
	maps := make([][]int, len(states))
	for i, st := range states {
		for k, name := range st.read.names {
			maps[i] = append(maps[i], union.add(name, st.read.roles[k]))
		}
	}
	gold := &goldReader{labels: labels, list: -1, sep: cfg.LabelSep}
	switch {
	case listCol != "":
		gold.list = union.add(listCol, "--label-list-col")
		gold.names = []string{listCol}
		gold.from = fmt.Sprintf("list column %q (labels separated by %q, or a JSON list; an empty cell lists none)", listCol, cfg.LabelSep)
	case len(cfg.LabelCols) > 0:
		gold.cols = make([]int, len(labels))
		gold.names = make([]string, len(labels))
		for i := range gold.cols {
			gold.cols[i] = -1
		}
		for _, c := range cfg.LabelCols {
			k := slices.IndexFunc(labels, func(l string) bool { return strings.EqualFold(l, c) })
			gold.cols[k] = union.add(c, "--label-cols")
			gold.names[k] = c
		}
		gold.from = fmt.Sprintf("one 0/1 column per label (%s; an empty cell leaves the label unlabelled)", strings.Join(cfg.LabelCols, ", "))
	default:
		gold.from = "none: no label column, so the audit is unlabelled (positive rates only)"
	}
	opts := states[0].cfg.Dataset
	opts.LabelCol, opts.IgnoreLabels = "", true
	opts.GroupCols, opts.GroupRoles = slices.Clone(union.names), slices.Clone(union.roles)

	rowsRead := 0
	var interrupted error
	readStart := time.Now()
	err = ReadBatches(ctx, cfg.Source, cfg.Name, opts, states[0].cfg.BatchSize, func(b Batch) error {
		// Score every text once before the labels read the shared scores.
		if clf != nil && len(b.Rows) > 0 {
			texts := make([]string, len(b.Rows))
			for i, r := range b.Rows {
				texts[i] = r.Text
			}
			if _, err := cache.get(ctx, texts); err != nil {
				return err
			}
		}
		golds := make([][]int, len(b.Rows))
		var bad []SkippedRow
		var rows []int
		for i, r := range b.Rows {
			g, why := gold.read(r.Groups)
			if why != "" {
				bad = append(bad, SkippedRow{Source: b.Source, Line: r.Line, Reason: why})
				continue
			}
			golds[i] = g
			rows = append(rows, i)
		}
		for li, st := range states {
			lb := Batch{Source: b.Source, Reconciliation: b.Reconciliation,
				Skipped: append(slices.Clone(b.Skipped), bad...),
				Columns: dataset.Columns{Text: b.Columns.Text, Groups: pick(b.Columns.Groups, maps[li])}}
			for _, i := range rows {
				r := b.Rows[i]
				lb.Rows = append(lb.Rows, dataset.Row{Line: r.Line, Text: r.Text, Label: golds[i][li], LabelRaw: labelRaw(golds[i][li]),
					Groups: pick(r.Groups, maps[li])})
			}
			if err := st.Add(ctx, lb); err != nil {
				return fmt.Errorf("label %q: %w", labels[li], err)
			}
		}
		rowsRead += len(rows)
		if cfg.Progress != nil && len(rows) > 0 {
			st := states[0]
			cfg.Progress(Progress{Rows: st.rows, Skipped: st.skipped, Elapsed: time.Since(start), Stage: "reading"})
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			return nil, err
		}
		interrupted = ctx.Err()
	}
	timings := []Timing{{Phase: "reading", Seconds: time.Since(readStart).Seconds(), Items: rowsRead}}

	ml := &MultiLabel{GoldFrom: gold.from}
	var joint []group.Labelled
	for i, st := range states {
		if cfg.Progress != nil {
			cfg.Progress(Progress{Rows: st.rows, Skipped: st.skipped, Elapsed: time.Since(start), Stage: "label " + labels[i]})
		}
		rep, err := finish(ctx, st, views[i], nil, interrupted, start, timings)
		if rep == nil {
			return nil, fmt.Errorf("audit: label %q: %w", labels[i], err)
		}
		if err != nil && interrupted == nil {
			return nil, fmt.Errorf("audit: label %q: %w", labels[i], err)
		}
		rep.Model = cfg.ModelName
		la := LabelAudit{Label: labels[i], Threshold: thr[i], Positives: rep.Prediction, Report: rep}
		if len(cfg.ScoreCols) > 0 {
			la.ScoreCol = cfg.ScoreCols[i]
		}
		if st.labelled > 0 {
			r := wilsonRate(st.goldPositives(), st.labelled)
			la.GoldPositives = &r
		}
		ml.Labels = append(ml.Labels, la)
		for _, g := range rep.Groups {
			joint = append(joint, group.Labelled{Label: labels[i], Report: g})
		}
	}
	fam := group.CorrectAcrossLabels(joint, stats.DefaultAlpha)
	ml.Family = fam
	ml.Verdict = stats.Verdict{Status: stats.Info, Reason: "no group column compared (give --group-col)"}
	worst := stats.Info
	counts := map[stats.Status]int{}
	for i := range ml.Labels {
		la := &ml.Labels[i]
		st := states[i]
		la.Report.Summary = summarize(la.Report, st.cfg)
		for _, g := range la.Report.Groups {
			ml.Verdicts = append(ml.Verdicts, LabelColumnVerdict{Label: la.Label, Column: g.Column, Verdict: g.Verdict, Failing: g.Failing})
			counts[g.Verdict.Status]++
			worst = stats.Worse(worst, g.Verdict.Status)
			for _, gs := range g.Groups {
				ml.Table = append(ml.Table, LabelGroupCell{Label: la.Label, Column: g.Column, Group: gs.Group, Rows: gs.Count,
					PositiveRate: gs.PositiveRate, TPR: gs.TPR, FPR: gs.FPR})
			}
		}
	}
	if len(ml.Verdicts) > 0 {
		ml.Verdict = stats.Verdict{Status: worst, Reason: fmt.Sprintf("%d labels × %d group columns: %d fail, %d warn, %d pass, %d info; %s",
			len(labels), len(ml.Verdicts)/len(labels), counts[stats.Fail], counts[stats.Warn], counts[stats.Pass], counts[stats.Info], fam)}
	}

	first := ml.Labels[0].Report
	rep := &Report{Model: cfg.ModelName, Data: cfg.Name, Labels: labels, Seed: cfg.Seed, Head: headName(engine.MultiLabel),
		GeneratedAt: start.UTC().Format(time.RFC3339), Checks: first.Checks, SkippedChecks: append(skipped, first.SkippedChecks...),
		Rule: first.Rule, Rows: first.Rows, Labelled: first.Labelled, Unlabelled: first.Unlabelled, Skipped: first.Skipped,
		SkippedExamples: first.SkippedExamples, Reconciliation: first.Reconciliation, Timings: timings,
		Partial: first.Partial, PartialReason: first.PartialReason, Family: &ml.Family, MultiLabel: ml}
	if t := timings[0]; t.Seconds > 0 {
		rep.RowsPerSecond = float64(t.Items) / t.Seconds
	}
	rep.Summary = multiSummary(rep, ml)
	rep.Seconds = time.Since(start).Seconds()
	return rep, interrupted
}

// multiSummary is a multi-label report's findings: the data's, the
// label-by-group verdict, then each label's own findings marked with the
// label.
func multiSummary(rep *Report, ml *MultiLabel) []Finding {
	var out []Finding
	first := ml.Labels[0].Report.Summary
	for _, f := range first {
		if f.Check == "data" && !strings.HasPrefix(f.Message, "Accuracy") {
			out = append(out, f)
		}
	}
	for _, sk := range rep.SkippedChecks {
		if !slices.ContainsFunc(first, func(f Finding) bool { return f.Check == sk.Check && f.Status == "info" }) {
			out = append(out, Finding{Check: sk.Check, Status: "info", Message: "Not run: " + sk.Reason + "."})
		}
	}
	if len(ml.Verdicts) > 0 {
		out = append(out, Finding{Check: "groups", Status: string(ml.Verdict.Status), Message: "Label by group: " + ml.Verdict.Reason + "."})
	}
	for _, la := range ml.Labels {
		for _, f := range la.Report.Summary {
			if f.Check == "data" || (f.Status == "info" && strings.HasPrefix(f.Message, "Not run")) {
				continue
			}
			f.Message = fmt.Sprintf("Label %s: %s", la.Label, f.Message)
			out = append(out, f)
		}
	}
	return out
}

// pick returns xs at the indexes idx.
func pick(xs []string, idx []int) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = xs[i]
	}
	return out
}

func labelRaw(g int) string {
	if g < 0 {
		return ""
	}
	return strconv.Itoa(g)
}

// goldPositives counts the labelled rows whose gold label is the
// positive one.
func (s *State) goldPositives() int { return s.goldPos }
