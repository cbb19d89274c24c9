package group

import (
	"encoding/json"
	"math"
	"slices"
)

// Metric is one estimate with its interval. An undefined metric has
// Value, Low and High NaN and says why in Undefined. A rate, a ratio and
// a pairwise difference have closed-form score intervals (Wilson,
// MOVER-R, Newcombe); only the across-group disparities (max − min),
// which have none, use the percentile bootstrap. A disparity whose
// resamples were all undefined has Low and High NaN and Resamples 0.
type Metric struct {
	Value float64
	// Low and High bound the interval: at the report's confidence level,
	// or for a pairwise test at the level its Holm family gives it
	// (PairTest.Confidence).
	Low, High float64
	// Resamples is the number of bootstrap resamples in which the metric
	// was defined, out of Report.Resamples; 0 for a closed-form interval.
	Resamples int
	// Undefined is why Value is NaN; empty when it is not.
	Undefined string
}

func undefined(reason string) Metric {
	nan := math.NaN()
	return Metric{Value: nan, Low: nan, High: nan, Undefined: reason}
}

// point is a metric with no interval yet.
func point(v float64, reason string) Metric {
	if reason != "" {
		return undefined(reason)
	}
	return Metric{Value: v, Low: math.NaN(), High: math.NaN()}
}

// Defined reports whether the metric has a value.
func (m Metric) Defined() bool { return m.Undefined == "" && !math.IsNaN(m.Value) }

// Width is High − Low, NaN without an interval.
func (m Metric) Width() float64 { return m.High - m.Low }

// setInterval sets the percentile interval from the resampled values, NaN
// marking a resample where the metric was undefined. An undefined metric
// keeps its NaN interval.
func (m *Metric) setInterval(reps []float64, confidence float64) {
	if !m.Defined() {
		return
	}
	vals := make([]float64, 0, len(reps))
	for _, v := range reps {
		if !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	m.Resamples = len(vals)
	if len(vals) == 0 {
		return
	}
	slices.Sort(vals)
	alpha := 1 - confidence
	m.Low, m.High = quantile(vals, alpha/2), quantile(vals, 1-alpha/2)
}

// quantile of sorted values by linear interpolation between order
// statistics (Hyndman and Fan's type 7, numpy's default).
func quantile(sorted []float64, p float64) float64 {
	h := p * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// metricJSON is Metric on the wire: nil pointers are JSON null, because
// encoding/json refuses NaN and ±Inf.
type metricJSON struct {
	Value     *float64 `json:"value"`
	Low       *float64 `json:"low"`
	High      *float64 `json:"high"`
	Resamples int      `json:"resamples"`
	Undefined string   `json:"undefined,omitempty"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// MarshalJSON writes NaN and ±Inf as null.
func (m Metric) MarshalJSON() ([]byte, error) {
	return json.Marshal(metricJSON{finite(m.Value), finite(m.Low), finite(m.High), m.Resamples, m.Undefined})
}

// UnmarshalJSON reads null back as NaN, so a report read from disk has the
// same undefined values it was written with.
func (m *Metric) UnmarshalJSON(b []byte) error {
	var j metricJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = Metric{Value: orNaN(j.Value), Low: orNaN(j.Low), High: orNaN(j.High), Resamples: j.Resamples, Undefined: j.Undefined}
	return nil
}
