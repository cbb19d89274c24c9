package stats

import (
	"encoding/json"
	"math"
)

// encoding/json refuses NaN and ±Inf, and undefined figures (an interval
// from one value, a test with no data) are NaN here. These types write them
// as null and read null back as NaN, so a report always encodes.

// num is a float64 that encodes NaN and ±Inf as null.
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(n)) || math.IsInf(float64(n), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(n))
}

func (n *num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = num(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*n = num(f)
	return nil
}

type pairedJSON struct {
	N         int `json:"n"`
	Mean      num `json:"mean"`
	Low       num `json:"low"`
	High      num `json:"high"`
	Positive  int `json:"positive"`
	Negative  int `json:"negative"`
	Ties      int `json:"ties"`
	SignP     num `json:"sign_p"`
	TP        num `json:"t_p"`
	WilcoxonP num `json:"wilcoxon_p"`
}

// MarshalJSON writes undefined figures as null.
func (p Paired) MarshalJSON() ([]byte, error) {
	return json.Marshal(pairedJSON{p.N, num(p.Mean), num(p.Low), num(p.High), p.Positive, p.Negative, p.Ties, num(p.SignP), num(p.TP), num(p.WilcoxonP)})
}

// UnmarshalJSON reads null back as NaN.
func (p *Paired) UnmarshalJSON(b []byte) error {
	var j pairedJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Paired{j.N, float64(j.Mean), float64(j.Low), float64(j.High), j.Positive, j.Negative, j.Ties, float64(j.SignP), float64(j.TP), float64(j.WilcoxonP)}
	return nil
}

type evidenceJSON struct {
	Estimate num     `json:"estimate"`
	Low      num     `json:"low"`
	High     num     `json:"high"`
	P        num     `json:"p"`
	Lower    num     `json:"tolerance_lower"`
	Upper    num     `json:"tolerance_upper"`
	Alpha    float64 `json:"alpha"`
	// Confidence is omitted when the caller did not state it, so reports
	// written before it existed read back the same.
	Confidence float64 `json:"confidence,omitempty"`
}

// MarshalJSON writes undefined figures as null.
func (e Evidence) MarshalJSON() ([]byte, error) {
	return json.Marshal(evidenceJSON{num(e.Estimate), num(e.Low), num(e.High), num(e.P), num(e.Lower), num(e.Upper), e.Alpha, e.Confidence})
}

// UnmarshalJSON reads null back as NaN.
func (e *Evidence) UnmarshalJSON(b []byte) error {
	var j evidenceJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = Evidence{float64(j.Estimate), float64(j.Low), float64(j.High), float64(j.P), float64(j.Lower), float64(j.Upper), j.Alpha, j.Confidence}
	return nil
}

type intervalJSON struct {
	Low  num `json:"low"`
	High num `json:"high"`
}

// MarshalJSON writes an undefined bound as null.
func (iv Interval) MarshalJSON() ([]byte, error) {
	return json.Marshal(intervalJSON{num(iv.Low), num(iv.High)})
}

// UnmarshalJSON reads null back as NaN.
func (iv *Interval) UnmarshalJSON(b []byte) error {
	var j intervalJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*iv = Interval{float64(j.Low), float64(j.High)}
	return nil
}
