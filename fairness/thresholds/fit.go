package thresholds

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Constraint is the parity a fit enforces.
type Constraint string

// The constraints Fit knows.
const (
	// DemographicParity: every group gets the same positive rate.
	DemographicParity Constraint = "demographic-parity"
	// EqualOpportunity: every group gets the same true-positive rate.
	EqualOpportunity Constraint = "equal-opportunity"
	// EqualizedOdds: every group gets the same true- and false-positive
	// rates.
	EqualizedOdds Constraint = "equalized-odds"
)

// Constraints lists them, for help texts.
var Constraints = []Constraint{DemographicParity, EqualOpportunity, EqualizedOdds}

// ParseConstraint reads a constraint's name.
func ParseConstraint(s string) (Constraint, error) {
	for _, c := range Constraints {
		if string(c) == s {
			return c, nil
		}
	}
	return "", fmt.Errorf("thresholds: unknown constraint %q (want demographic-parity, equal-opportunity or equalized-odds)", s)
}

// Metrics are the group metrics (fairness/group's pairwise test names)
// the constraint equalises.
func (c Constraint) Metrics() []string {
	switch c {
	case DemographicParity:
		return []string{"positive_rate"}
	case EqualOpportunity:
		return []string{"tpr"}
	case EqualizedOdds:
		return []string{"tpr", "fpr"}
	}
	return nil
}

// DefaultMinGroupSize is the fewest labelled rows a group needs to be
// fitted (the audit's --min-group-size).
const DefaultMinGroupSize = 30

// Options configures Fit.
type Options struct {
	Constraint Constraint
	// Column, Positive and Data name the group column, the positive label
	// and the file fitted on; they are copied into the File.
	Column, Positive, Data string
	// Seed keys the randomised decisions (see Rule); it is written into
	// the File and used wherever it is applied.
	Seed uint64
	// MinGroupSize: a group with fewer labelled rows is not fitted and
	// keeps the model's decisions; default DefaultMinGroupSize.
	MinGroupSize int
}

// Fit finds each group's rule: the most accurate rules, over the groups
// that can be fitted, under which every fitted group has the same positive
// rate (demographic parity), TPR (equal opportunity) or TPR and FPR
// (equalized odds) on the rows added to s. See the package documentation
// for the method. It fails when fewer than two groups can be fitted.
func Fit(s *Scores, o Options) (*File, error) {
	if _, err := ParseConstraint(string(o.Constraint)); err != nil {
		return nil, err
	}
	if o.MinGroupSize == 0 {
		o.MinGroupSize = DefaultMinGroupSize
	}
	if o.MinGroupSize < 0 {
		return nil, fmt.Errorf("thresholds: minimum group size %d: want 0 (the default, %d) or more", o.MinGroupSize, DefaultMinGroupSize)
	}
	f := &File{
		Format: Format, Column: o.Column, Positive: o.Positive, Constraint: o.Constraint, Objective: "accuracy",
		Score: "the model's probability of the positive label", Seed: o.Seed, Randomization: randomizationText,
		Bins: Bins{Count: NumBins, LogitMin: LogitMin, LogitMax: LogitMax}, UnfittedRule: UnfittedModel,
		Fit: FitSummary{Data: o.Data, Rows: s.Rows(), Unlabelled: s.unlabelled, MissingGroup: s.missing, MinGroupSize: o.MinGroupSize},
	}
	names := make([]string, 0, len(s.groups))
	for g := range s.groups {
		names = append(names, g)
	}
	slices.Sort(names)
	type fitted struct {
		name string
		h    *histogram
		hull []vertex
	}
	var fs []fitted
	var modelCorrect, labelled int
	for _, g := range names {
		h := s.groups[g]
		labelled += h.rows()
		modelCorrect += h.tp + h.tn
		if why := o.Constraint.unfittable(h, o.MinGroupSize); why != "" {
			f.Unfitted = append(f.Unfitted, Unfitted{Group: g, Rows: h.rows(), Reason: why})
			continue
		}
		fs = append(fs, fitted{g, h, upperHull(o.Constraint.curve(h))})
	}
	f.Fit.Labelled = labelled + s.beyondRows
	if s.missing > 0 {
		f.Unfitted = append(f.Unfitted, Unfitted{Group: "(missing)", Rows: s.missing, Reason: "empty group value"})
	}
	if s.beyondRows > 0 {
		beyond := slices.Sorted(maps.Keys(s.beyond))
		named := 0
		for _, g := range beyond {
			f.Unfitted = append(f.Unfitted, Unfitted{Group: g, Rows: s.beyond[g], Reason: fmt.Sprintf("beyond the first %d groups, the most fitted", MaxGroups)})
			named += s.beyond[g]
		}
		if rest := s.beyondRows - named; rest > 0 {
			f.Unfitted = append(f.Unfitted, Unfitted{Group: "(other groups)", Rows: rest, Reason: fmt.Sprintf("beyond the first %d groups, names not kept", MaxGroups)})
		}
	}
	if len(fs) < 2 {
		var why []string
		for _, u := range f.Unfitted {
			why = append(why, fmt.Sprintf("%q: %s", u.Group, u.Reason))
		}
		return nil, fmt.Errorf("thresholds: column %q: %d groups can be fitted, two are needed (not fitted: %s)", o.Column, len(fs), strings.Join(why, "; "))
	}

	// The objective, in correct rows, as a function of the shared rate x.
	var P, N float64
	for _, g := range fs {
		P += float64(g.h.positives())
		N += float64(g.h.negatives())
	}
	shared := func(x float64) float64 { // equalized odds: the shared TPR
		y := math.Inf(1)
		for _, g := range fs {
			y = min(y, at(g.hull, x).y)
		}
		return y
	}
	objective := func(x float64) float64 {
		if o.Constraint == EqualizedOdds {
			return P*shared(x) + N*(1-x)
		}
		total := 0.0
		for _, g := range fs {
			total += at(g.hull, x).y
		}
		return total
	}
	x := goldenMax(objective, 0, 1)
	// The optimum of a piecewise-linear objective sits on a kink; the hull
	// vertices next to the search's answer are tried too, so a group whose
	// vertex it is gets a plain threshold instead of a near-certain mix.
	best, bestF := x, objective(x)
	for _, g := range fs {
		j, _ := slices.BinarySearchFunc(g.hull, x, func(v vertex, x float64) int { return cmp.Compare(v.x, x) })
		for _, i := range []int{j - 1, j} {
			if i < 0 || i >= len(g.hull) {
				continue
			}
			c := g.hull[i].x
			if fc := objective(c); fc > bestF+1e-9*max(1, math.Abs(bestF)) || (fc >= bestF-1e-9*max(1, math.Abs(bestF)) && math.Abs(c-x) < math.Abs(best-x)) {
				best, bestF = c, fc
			}
		}
	}
	x = best
	switch o.Constraint {
	case DemographicParity:
		f.Target = Target{PositiveRate: ptr(x)}
	case EqualOpportunity:
		f.Target = Target{TPR: ptr(x)}
	case EqualizedOdds:
		f.Target = Target{FPR: ptr(x), TPR: ptr(shared(x))}
	}

	var expCorrect, fitRows, fitModelCorrect float64
	for _, g := range fs {
		m := at(g.hull, x)
		ks := []int{m.hi.k, m.lo.k} // hi has more positives: the lower bin
		probs := []float64{0, m.w, 1}
		if o.Constraint == EqualizedOdds {
			y := shared(x)
			q := 1.0
			if m.y-x > 1e-12 {
				q = clamp01((y - x) / (m.y - x))
			}
			probs = []float64{clamp01((1 - q) * x), clamp01(q*m.w + (1-q)*x), clamp01(q + (1-q)*x)}
		}
		gr := GroupRule{Group: g.name, Rule: ruleFromBins(ks, probs), Labelled: g.h.rows(), Positives: g.h.positives(), Negatives: g.h.negatives()}
		gr.Randomized = gr.Rule.Randomized()
		gr.Model = ratesOf(float64(g.h.tp), float64(g.h.fp), g.h)
		var etp, efp float64
		for b := range NumBins {
			p := gr.Rule.Probability(edges[b])
			etp += float64(g.h.pos[b]) * p
			efp += float64(g.h.neg[b]) * p
		}
		gr.Expected = ratesOf(etp, efp, g.h)
		expCorrect += etp + float64(g.h.negatives()) - efp
		fitRows += float64(g.h.rows())
		fitModelCorrect += float64(g.h.tp + g.h.tn)
		f.Groups = append(f.Groups, gr)
	}
	f.Fit.FittedRows = int(fitRows)
	f.Fit.ModelAccuracy = ratio(float64(modelCorrect), float64(labelled))
	f.Fit.ModelAccuracyFitted = ratio(fitModelCorrect, fitRows)
	f.Fit.ExpectedAccuracyFitted = ratio(expCorrect, fitRows)
	if err := f.Validate(); err != nil {
		return nil, errors.Join(errors.New("thresholds: the fitted file is invalid (a bug)"), err)
	}
	return f, nil
}

// unfittable says why a group cannot be fitted under c, "" when it can.
func (c Constraint) unfittable(h *histogram, minRows int) string {
	switch {
	case h.rows() < max(minRows, 1):
		return fmt.Sprintf("small: %d labelled rows, fewer than the minimum of %d", h.rows(), minRows)
	case c != DemographicParity && h.positives() == 0:
		return "no labelled positives: its TPR is undefined"
	case c == EqualizedOdds && h.negatives() == 0:
		return "no labelled negatives: its FPR is undefined"
	}
	return ""
}

// curve is the group's trade-off curve under c, one vertex per threshold
// bin k from NumBins (nothing positive) down to 0 (everything positive),
// so x ascends.
func (c Constraint) curve(h *histogram) []vertex {
	pts := make([]vertex, 0, NumBins+1)
	P, N := float64(h.positives()), float64(h.negatives())
	var tp, fp float64
	for k := NumBins; k >= 0; k-- {
		if k < NumBins {
			tp += float64(h.pos[k])
			fp += float64(h.neg[k])
		}
		var v vertex
		switch c {
		case DemographicParity:
			v = vertex{x: (tp + fp) / (P + N), y: tp + N - fp}
		case EqualOpportunity:
			v = vertex{x: tp / P, y: tp + N - fp}
		case EqualizedOdds:
			v = vertex{x: fp / N, y: tp / P}
		}
		v.k = k
		pts = append(pts, v)
	}
	return pts
}

// goldenMax maximises a concave f on [a, b] by golden-section search.
func goldenMax(f func(float64) float64, a, b float64) float64 {
	const invPhi = 0.6180339887498949
	c, d := b-invPhi*(b-a), a+invPhi*(b-a)
	fc, fd := f(c), f(d)
	for range 90 { // 0.618^90 < 1e-18: below float64's resolution on [0, 1]
		if fc >= fd {
			b, d, fd = d, c, fc
			c = b - invPhi*(b-a)
			fc = f(c)
		} else {
			a, c, fc = c, d, fd
			d = a + invPhi*(b-a)
			fd = f(d)
		}
	}
	return (a + b) / 2
}

func ratesOf(tp, fp float64, h *histogram) Rates {
	P, N := float64(h.positives()), float64(h.negatives())
	return Rates{PositiveRate: ratio(tp+fp, P+N), TPR: ratio(tp, P), FPR: ratio(fp, N), Accuracy: ratio(tp+N-fp, P+N)}
}

// ratio is a/b, nil (JSON null) when b is 0.
func ratio(a, b float64) *float64 {
	if b == 0 {
		return nil
	}
	return ptr(a / b)
}

func ptr(v float64) *float64 { return &v }
