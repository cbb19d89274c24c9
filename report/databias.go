package report

import (
	"cmp"
	"math"
	"slices"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/fairness/databias"
	"github.com/lucid-nlp/lucid/fairness/group"
)

// maxUnits is how many units of one list the page shows in full: the
// judged ones by severity and size first; the rest are counted.
const maxUnits = 15

type dataBiasV struct {
	R             *databias.Report
	Rows, Labeled Num
	Share         MetricV
	Tolerance     Num
	Lists         []dbListV
	Skewed        []dbSkewedV
	// Weighted is the weighted group-by-label table (--weight-col).
	Weighted *weightedV
}

type dbListV struct {
	Kind, Name string
	Rows       Num
	Verdict    verdictV
	Units      []dbUnitV
	More       int
	Note       string
}

type dbUnitV struct {
	What, Name, Group      string
	Rows, Labelled         Num
	Share, Elsewhere, Diff MetricV
	Ratio                  MetricV
	P                      Num
	PMI                    Num
	Verdict                verdictV
}

type dbSkewedV struct {
	Family, Term, Label string
	PMI                 Num
	Share               MetricV
	Samples             []databias.Sample
}

// estimate shows a databias estimate with its interval under key.
func estimate(key string, v, low, high databias.Number) MetricV {
	return metricV(key, group.Metric{Value: float64(v), Low: float64(low), High: float64(high)})
}

func buildDataBias(r *databias.Report) *dataBiasV {
	v := &dataBiasV{R: r, Rows: count("databias:rows", r.Rows), Labeled: count("databias:labelled_rows", r.Labelled),
		Share:     estimate("databias:positive_share", r.PositiveShare.Value, r.PositiveShare.Low, r.PositiveShare.High),
		Tolerance: num("databias:tolerance", r.Tolerance)}
	if r.Weighted != nil {
		v.Weighted = buildWeighted(r.Weighted)
	}
	lists := append(append([]databias.List{}, r.Families...), r.Columns...)
	for _, l := range lists {
		k := "databias:" + l.Kind + ":" + l.Name + ":"
		lv := dbListV{Kind: l.Kind, Name: l.Name, Rows: count(k+"rows", l.Rows), Verdict: verdict(k+"verdict", l.Verdict)}
		type item struct {
			what string
			u    databias.Unit
		}
		var items []item
		for _, u := range l.Groups {
			items = append(items, item{"group", u})
		}
		for _, u := range l.Terms {
			items = append(items, item{"term", u})
		}
		slices.SortStableFunc(items, func(a, b item) int {
			return cmp.Or(cmp.Compare(b.u.Verdict.Status.Severity(), a.u.Verdict.Status.Severity()),
				cmp.Compare(absOr0(b.u.Difference.Value), absOr0(a.u.Difference.Value)))
		})
		if l.Kind == "column" {
			for i := range items {
				items[i].what = "value"
			}
		}
		for i, it := range items {
			if i == maxUnits {
				lv.More = len(items) - maxUnits
				break
			}
			u := it.u
			uk := k + it.what + ":" + u.Name + ":"
			pos := slices.Index(r.Labels, r.Positive)
			uv := dbUnitV{What: it.what, Name: u.Name, Group: u.Group, Rows: count(uk+"rows", u.Rows), Labelled: count(uk+"labelled", u.Share.Of),
				Share:     estimate(uk+"positive_share", u.Share.Value, u.Share.Low, u.Share.High),
				Elsewhere: estimate(uk+"elsewhere_positive_share", u.Elsewhere.Value, u.Elsewhere.Low, u.Elsewhere.High),
				Diff:      estimate(uk+"difference", u.Difference.Value, u.Difference.Low, u.Difference.High),
				Ratio:     estimate(uk+"ratio", u.Ratio.Value, u.Ratio.Low, u.Ratio.High),
				P:         pNum(uk+"p_holm", float64(u.PHolm)), PMI: dash, Verdict: verdict(uk+"verdict", u.Verdict)}
			if pos >= 0 && pos < len(u.PMI) {
				uv.PMI = signed(uk+"pmi_positive", float64(u.PMI[pos]))
			}
			lv.Units = append(lv.Units, uv)
		}
		if l.Kind == "family" {
			lv.Note = visible(l.Name) + ": " + itoa(l.TermsFound) + " of its " + itoa(l.TermsListed) + " terms occur"
		} else {
			lv.Note = itoa(l.Missing) + " rows without a value (not compared)"
			if l.PooledGroups > 0 {
				lv.Note += "; " + itoa(l.Pooled) + " rows of " + itoa(l.PooledGroups) + " small values pooled (not compared)"
			}
		}
		v.Lists = append(v.Lists, lv)
	}
	for i, s := range r.Skewed {
		k := "databias-skewed:" + itoa(i) + ":"
		v.Skewed = append(v.Skewed, dbSkewedV{Family: s.Family, Term: s.Term, Label: s.Label, PMI: signed(k+"pmi_bits", float64(s.PMI)),
			Share: estimate(k+"label_share", s.Share.Value, s.Share.Low, s.Share.High), Samples: s.Samples})
	}
	return v
}

func absOr0(v databias.Number) float64 {
	if f := math.Abs(float64(v)); finite(f) {
		return f
	}
	return 0
}

func itoa(n int) string { return count("", n).Text }

// dataBiasNames are the data strings the data scan's findings embed.
func dataBiasNames(r *audit.Report) []string {
	if r.DataBias == nil {
		return nil
	}
	var names []string
	for _, l := range append(append([]databias.List{}, r.DataBias.Families...), r.DataBias.Columns...) {
		names = append(names, l.Name)
		for _, u := range l.Groups {
			names = append(names, u.Name)
		}
	}
	for _, s := range r.DataBias.Skewed {
		names = append(names, s.Term)
	}
	return names
}
