package report

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
)

// pairExplanation is a sentence pair's explanation: "good film" and
// "bad plot", each word a feature of its own text (segment 0 or 1), the
// offsets of the second text's words counting in the second text.
func pairExplanation() *attribution.Result {
	r := explanation("good film", 0.7, 0.3, 0.1)
	pair := "bad plot"
	r.TextPair = &pair
	zero, one := 0, 1
	r.Features[0].Segment, r.Features[1].Segment = &zero, &zero
	for _, f := range words(pair, -0.2, -0.05) {
		f.Segment = &one
		r.Features = append(r.Features, f)
	}
	return r
}

// TestPairHeatmaps: the two texts get a heatmap each, with their own
// features; no feature of the second text is placed in the first.
func TestPairHeatmaps(t *testing.T) {
	first, second := pairHeatmaps(pairExplanation(), 0.3)
	require.NotNil(t, second)
	text := func(h Heat) (all, toks string) {
		for _, s := range h.Segs {
			all += s.Text
			if s.Tok {
				toks += "[" + s.Text + "]"
			}
		}
		return
	}
	a, at := text(first)
	b, bt := text(*second)
	assert.Equal(t, "good film", a)
	assert.Equal(t, "[good][film]", at)
	assert.Equal(t, "bad plot", b)
	assert.Equal(t, "[bad][plot]", bt)
	assert.Zero(t, first.Unplaced+second.Unplaced)

	one, none := pairHeatmaps(explanation("good film", 0.7, 0.3, 0.1), 0.3)
	assert.Nil(t, none, "one text: one heatmap")
	_, ot := text(one)
	assert.Equal(t, "[good][film]", ot)
}

// TestBrowserPairExplanation renders a pair's explanation page in
// headless Chromium: both texts shown apart, each feature once, no
// script errors.
func TestBrowserPairExplanation(t *testing.T) {
	bin := chromium(t)
	page := writePage(t, t.TempDir(), "pair.html", func(f *os.File) error {
		return WriteExplanations(f, []*attribution.Result{pairExplanation()})
	})
	dom, stderr := browse(t, bin, page, "--dump-dom")
	errs, console := jsProblems(t, dom, stderr)
	assert.Empty(t, errs, "#js-errors")
	assert.Empty(t, console, "console messages")
	first := strings.Index(dom, "First text:")
	second := strings.Index(dom, "Second text (text_pair):")
	require.True(t, first >= 0 && second > first, "the page labels the two texts, first then second")
	tok := regexp.MustCompile(`<span class="tok [^"]*"[^>]*>([^<]*)</span>`)
	var heat []string
	for _, m := range tok.FindAllStringSubmatch(dom[first:], -1) {
		heat = append(heat, m[1])
	}
	require.GreaterOrEqual(t, len(heat), 4)
	assert.Equal(t, []string{"good", "film", "bad", "plot"}, heat[:4], "the first text's words, then the second's, each in its own heatmap")
	between := dom[first:second]
	assert.Contains(t, between, ">good<")
	assert.NotContains(t, between, ">bad<", "no word of the second text in the first heatmap")
}
