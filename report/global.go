package report

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/global"
)

// WriteGlobal writes the page of a global explanation (lucid explain
// --global): per label, bar charts of the words that push towards it,
// against it, and the most important by mean |attribution| (shap's bar
// plot), each with its 95% interval, and a table of the same numbers with
// example texts. Every printed number carries a data-key naming its place
// in global.json ("top.1.towards.0.mean"), so a test can check the page
// against the JSON.
func WriteGlobal(w io.Writer, rep *global.Report) error {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "global", buildGlobal(rep)); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

type globalView struct {
	R      *global.Report
	Labels []globalLabelV
	// Examples of the words in the top lists, by word.
	Words []globalWordV
}

type globalLabelV struct {
	Label  string
	Charts []globalChartV
}

type globalChartV struct {
	ID, Title, Caption string
	Empty              bool
	W, H               int
	Top, Bottom        float64
	X0, LabelX, ValueX float64
	Ticks              []globalTickV
	Bars               []globalBarV
}

type globalTickV struct {
	X     float64
	Label string
}

type globalBarV struct {
	Word, Title      string
	Y, BarX, BarW    float64
	BarY, CapLo      float64
	CapHi            float64
	HasCI            bool
	LX, HX           float64
	Class            string
	Value, Low, High Num
	Count            int
	CountKey         string
}

type globalWordV struct {
	Word     string
	Count    int
	Examples []string
}

// Chart geometry, in pixels.
const (
	gChartW    = 600
	gLabelW    = 150
	gValueW    = 150
	gRowH      = 22
	gTopPad    = 8
	gBottomPad = 26
	gWordChars = 22
)

func buildGlobal(rep *global.Report) globalView {
	v := globalView{R: rep}
	seen := map[string]bool{}
	for l, lt := range rep.Top {
		lv := globalLabelV{Label: lt.Label}
		lv.Charts = append(lv.Charts,
			globalChart(fmt.Sprintf("top.%d.towards", l), "Towards "+lt.Label, "mean attribution, largest first, with 95% interval", lt.Towards, "pos", false),
			globalChart(fmt.Sprintf("top.%d.against", l), "Against "+lt.Label, "mean attribution, most negative first, with 95% interval", lt.Against, "neg", false),
			globalChart(fmt.Sprintf("top.%d.importance", l), "Importance for "+lt.Label, "mean |attribution| (as shap's bar plot)", lt.Importance, "imp", true))
		v.Labels = append(v.Labels, lv)
		for _, list := range [][]global.TopWord{lt.Towards, lt.Against, lt.Importance} {
			for _, tw := range list {
				seen[tw.Word] = true
			}
		}
	}
	for _, w := range rep.Words {
		if seen[w.Word] {
			v.Words = append(v.Words, globalWordV{Word: w.Word, Count: w.Count, Examples: w.Examples})
		}
	}
	return v
}

// globalChart draws words as horizontal bars on one linear scale that
// holds 0, every value and every interval end; abs charts mean |attribution|
// (no interval: the t interval is of the signed mean).
func globalChart(key, title, caption string, words []global.TopWord, class string, abs bool) globalChartV {
	c := globalChartV{ID: key, Title: title, Caption: caption, W: gChartW, Top: gTopPad,
		LabelX: gLabelW - 6, ValueX: gChartW - gValueW + 8}
	c.H = gTopPad + gRowH*max(1, len(words)) + gBottomPad
	c.Bottom = float64(c.H - gBottomPad)
	if len(words) == 0 {
		c.Empty = true
		return c
	}
	value := func(tw global.TopWord) float64 {
		if abs {
			return tw.Stats.MeanAbs
		}
		return tw.Stats.Mean
	}
	lo, hi := 0.0, 0.0
	for _, tw := range words {
		for _, x := range []float64{value(tw), tw.Stats.Low, tw.Stats.High} {
			if abs && x != value(tw) {
				continue
			}
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				lo, hi = min(lo, x), max(hi, x)
			}
		}
	}
	if hi == lo {
		hi = lo + 1
	}
	left, right := float64(gLabelW), float64(gChartW-gValueW)
	x := func(v float64) float64 { return left + (v-lo)/(hi-lo)*(right-left) }
	c.X0 = x(0)
	for _, t := range ticks(lo, hi) {
		c.Ticks = append(c.Ticks, globalTickV{X: x(t), Label: fmtFloat(t, tickDigits(hi-lo))})
	}
	for i, tw := range words {
		val := value(tw)
		y := gTopPad + gRowH*float64(i) + gRowH/2
		b := globalBarV{Word: shorten(tw.Word), Y: y, BarY: y - 7, CapLo: y - 5, CapHi: y + 5, Class: class, Count: tw.Count,
			CountKey: fmt.Sprintf("%s.%d.count", key, i)}
		x0, x1 := x(0), x(val)
		b.BarX, b.BarW = min(x0, x1), math.Abs(x1-x0)
		field := "mean"
		if abs {
			field = "mean_abs"
		}
		b.Value = signedOrPlain(fmt.Sprintf("%s.%d.stats.%s", key, i, field), val, abs)
		if !abs && !math.IsNaN(tw.Stats.Low) && !math.IsNaN(tw.Stats.High) {
			b.HasCI = true
			b.LX, b.HX = x(tw.Stats.Low), x(tw.Stats.High)
			b.Low = signed(fmt.Sprintf("%s.%d.stats.low", key, i), tw.Stats.Low)
			b.High = signed(fmt.Sprintf("%s.%d.stats.high", key, i), tw.Stats.High)
		}
		b.Title = fmt.Sprintf("%s: %s (n = %d)", isolate(tw.Word), b.Value.Text, tw.Count)
		if b.HasCI {
			b.Title = fmt.Sprintf("%s: %s [%s, %s] (n = %d)", isolate(tw.Word), b.Value.Text, b.Low.Text, b.High.Text, tw.Count)
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

func signedOrPlain(key string, v float64, plain bool) Num {
	if plain {
		return num(key, v)
	}
	return signed(key, v)
}

// ticks are about five round values from lo to hi.
func ticks(lo, hi float64) []float64 {
	step := math.Pow(10, math.Floor(math.Log10((hi-lo)/4)))
	for _, m := range []float64{1, 2, 5, 10} {
		if (hi-lo)/(step*m) <= 5 {
			step *= m
			break
		}
	}
	var out []float64
	for t := math.Ceil(lo/step) * step; t <= hi+step*1e-9; t += step {
		out = append(out, math.Round(t/step)*step)
	}
	return out
}

// tickDigits is how many decimals tell the ticks of a span apart.
func tickDigits(span float64) int {
	return max(0, min(4, int(math.Ceil(-math.Log10(span/4)))+1))
}

// shorten cuts a word for a chart's label column.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= gWordChars {
		return isolate(s)
	}
	r := []rune(s)
	return isolate(string(r[:gWordChars-1]) + "…")
}
