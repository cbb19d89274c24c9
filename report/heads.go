package report

import (
	"fmt"
	"strings"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/fairness/group"
)

// The sections of multi-label and regression audits: the label-by-group
// table (each label's predicted rate per group, and its verdict on the
// column under the joint Holm family), each label's own checks, and a
// regression head's group means with their pairwise Welch tests. Every
// figure carries a data-key naming where report.json holds it:
//
//	ml:<label>:threshold | predicted_rate[:low|:high] | gold_rate
//	lg:<label>:<column>:<group>:positive_rate[:low|:high]
//	lv:<label>:<column>:verdict
//	gm:<column>:<group>:mean[:low|:high] | n
//	gmp:<column>:<a>:<b>:difference[:low|:high] | p_holm | verdict
//	rcf:<family>:<from>:<to>:mean[:low|:high] | n | verdict

type multiV struct {
	GoldFrom string
	Verdict  verdictV
	Family   familyV
	Labels   []multiLabelRowV
	Columns  []labelTableV
	Checks   []string
}

type familyV struct {
	Size    int
	Of      string
	Members []string
	Alpha   Num
}

type multiLabelRowV struct {
	Label     string
	Threshold Num
	Predicted MetricV
	Gold      *MetricV
	Checks    []labelCheckV
}

type labelCheckV struct {
	Check   string
	Verdict verdictV
}

// labelTableV is one group column's label-by-group table.
type labelTableV struct {
	Column string
	Groups []string
	Rows   []labelTableRowV
}

type labelTableRowV struct {
	Label   string
	Cells   []MetricV
	Verdict verdictV
}

func buildMulti(r *audit.Report) *multiV {
	ml := r.MultiLabel
	if ml == nil {
		return nil
	}
	v := &multiV{GoldFrom: ml.GoldFrom, Verdict: verdict("", ml.Verdict),
		Family: familyV{Size: ml.Family.Size, Of: ml.Family.Of, Members: ml.Family.Members, Alpha: num("", ml.Family.Alpha)}}
	// Per label: its threshold, rates, and the worst finding of each of
	// its checks (the label's own summary).
	for _, la := range ml.Labels {
		row := multiLabelRowV{Label: la.Label, Threshold: num("ml:"+la.Label+":threshold", la.Threshold),
			Predicted: rateV("ml:"+la.Label+":predicted_rate", la.Positives)}
		if la.GoldPositives != nil {
			g := rateV("ml:"+la.Label+":gold_rate", *la.GoldPositives)
			row.Gold = &g
		}
		worst := map[string]audit.Finding{}
		var order []string
		for _, f := range la.Report.Summary {
			if f.Check == "data" || f.Status == "info" {
				continue
			}
			w, seen := worst[f.Check]
			if !seen {
				order = append(order, f.Check)
			}
			if !seen || severity(f.Status) > severity(w.Status) {
				worst[f.Check] = f
			}
		}
		for _, c := range order {
			f := worst[c]
			row.Checks = append(row.Checks, labelCheckV{Check: c, Verdict: verdictV{Status: f.Status, Class: statusClass[f.Status], Reason: f.Message}})
		}
		v.Labels = append(v.Labels, row)
	}
	// The label-by-group tables, one per group column, groups in the
	// order of the first label's report.
	byCol := map[string]*labelTableV{}
	var cols []string
	for _, c := range ml.Table {
		t := byCol[c.Column]
		if t == nil {
			t = &labelTableV{Column: c.Column}
			byCol[c.Column] = t
			cols = append(cols, c.Column)
		}
		if !contains(t.Groups, c.Group) {
			t.Groups = append(t.Groups, c.Group)
		}
	}
	for _, col := range cols {
		t := byCol[col]
		for _, lv := range ml.Verdicts {
			if lv.Column != col {
				continue
			}
			row := labelTableRowV{Label: lv.Label, Verdict: verdict("lv:"+lv.Label+":"+col+":verdict", lv.Verdict)}
			for _, g := range t.Groups {
				cell := MetricV{Val: dash, Low: dash, High: dash, Undefined: "no rows"}
				for _, c := range ml.Table {
					if c.Label == lv.Label && c.Column == col && c.Group == g {
						cell = metricV(strings.Join([]string{"lg", lv.Label, col, g, "positive_rate"}, ":"), c.PositiveRate)
					}
				}
				row.Cells = append(row.Cells, cell)
			}
			t.Rows = append(t.Rows, row)
		}
		v.Columns = append(v.Columns, *t)
	}
	return v
}

func severity(status string) int {
	switch status {
	case "fail":
		return 3
	case "warn":
		return 2
	case "pass":
		return 1
	}
	return 0
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

type meansV struct {
	Column    string
	Tolerance Num
	Verdict   verdictV
	Family    familyV
	Groups    []meanGroupV
	Pairs     []meanPairV
	LeftOut   []string
}

type meanGroupV struct {
	Group string
	N     Num
	Mean  MetricV
	SD    Num
	Small bool
}

type meanPairV struct {
	A, B       string
	Difference MetricV
	Level      string
	PHolm      Num
	PMaterial  Num
	Verdict    verdictV
}

func buildMeans(m *group.MeanReport) meansV {
	v := meansV{Column: m.Column, Tolerance: num("", m.Tolerance), Verdict: verdict("", m.Verdict), LeftOut: m.LeftOut,
		Family: familyV{Size: m.Family.Size, Of: m.Family.Of, Members: m.Family.Members, Alpha: num("", m.Alpha)}}
	key := func(parts ...string) string { return strings.Join(append([]string{"gm", m.Column}, parts...), ":") }
	for _, g := range m.Groups {
		v.Groups = append(v.Groups, meanGroupV{Group: g.Group, N: count(key(g.Group, "n"), g.N), SD: num("", g.SD), Small: g.Small,
			Mean: metricV(key(g.Group, "mean"), group.Metric{Value: g.Mean, Low: g.Low, High: g.High})})
	}
	for _, p := range m.Pairs {
		k := "gmp:" + m.Column + ":" + p.A + ":" + p.B
		level := "—"
		if p.Confidence > 0 {
			level = fmt.Sprintf("%.4g%%", 100*p.Confidence)
		}
		v.Pairs = append(v.Pairs, meanPairV{A: p.A, B: p.B, Level: level,
			Difference: metricV(k+":difference", group.Metric{Value: p.Difference, Low: p.Low, High: p.High}),
			PHolm:      num(k+":p_holm", p.Evidence.P), PMaterial: num("", p.PMaterialHolm), Verdict: verdict(k+":verdict", p.Verdict)})
	}
	return v
}

type regCFV struct {
	Tolerance Num
	Note      string
	Verdict   verdictV
	Rows      []regCFRowV
}

type regCFRowV struct {
	Family, From, To string
	N                Num
	Mean             MetricV
	Level            string
	P                Num
	Verdict          verdictV
}

// buildRegCF shows a regression head's counterfactual directions; the
// interval shown is the one the verdict judged (its Holm level).
func buildRegCF(rc *audit.RegressionCounterfactual) *regCFV {
	if rc == nil {
		return nil
	}
	v := &regCFV{Tolerance: num("", rc.Tolerance), Note: rc.Note, Verdict: verdict("", rc.Verdict)}
	for _, d := range rc.Directions {
		k := strings.Join([]string{"rcf", d.Family, d.From, d.To}, ":")
		level := "—"
		if d.Confidence > 0 {
			level = fmt.Sprintf("%.4g%%", 100*d.Confidence)
		}
		v.Rows = append(v.Rows, regCFRowV{Family: d.Family, From: d.From, To: d.To, N: count(k+":n", d.Change.N), Level: level,
			Mean: metricV(k+":mean", group.Metric{Value: d.Evidence.Estimate, Low: d.Evidence.Low, High: d.Evidence.High}),
			P:    num("", d.Evidence.P), Verdict: verdict(k+":verdict", d.Verdict)})
	}
	return v
}
