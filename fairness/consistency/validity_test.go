package consistency

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// labelledEdit is one row of a hand-labelled sample of edits.
type labelledEdit struct {
	test, text, edited, label, reason string
	line                              int
}

func readLabelled(t *testing.T, path string) []labelledEdit {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	require.True(t, sc.Scan())
	require.Equal(t, "test\ttext\tedited\tlabel\treason", sc.Text())
	var out []labelledEdit
	for line := 2; sc.Scan(); line++ {
		p := strings.Split(sc.Text(), "\t")
		require.Len(t, p, 5, "%s:%d", path, line)
		require.Contains(t, []string{"valid", "invalid"}, p[3], "%s:%d", path, line)
		require.NotEmpty(t, p[4], "%s:%d: every label gives its reason", path, line)
		out = append(out, labelledEdit{p[0], p[1], p[2], p[3], p[4], line})
	}
	require.NoError(t, sc.Err())
	return out
}

// TestGeneratorValidity keeps the validity figures honest: every edit in
// the hand-labelled sample is made again by the current generator (with
// the runner's seeding at seed 1) and must come out the same, so a label
// always describes what the generator makes now; then the labels are
// counted and must be the figures GeneratorValidity reports (and README
// quotes). A change to a generator that changes an edit fails here:
// label the new edits by hand and update the counts.
func TestGeneratorValidity(t *testing.T) {
	rows := readLabelled(t, "testdata/validity.tsv")
	require.Len(t, rows, 100)
	edits := map[string]Edit{}
	for _, ts := range DefaultTests() {
		edits[ts.Name] = ts.Edit
	}
	counts := map[string][2]int{}
	for _, r := range rows {
		edit := edits[r.test]
		require.NotNil(t, edit, "line %d: no built-in test %q", r.line, r.test)
		got, ok := edit(r.text, editRNG(1, r.test, r.text))
		if !ok || got != r.edited {
			t.Errorf("line %d: the %s generator's edit of %q changed:\n labelled: %q\n now:      %q (applies: %v)\nrelabel testdata/validity.tsv by hand", r.line, r.test, r.text, r.edited, got, ok)
		}
		c := counts[r.test]
		if r.label == "valid" {
			c[0]++
		}
		c[1]++
		counts[r.test] = c
	}
	assert.Equal(t, generatorValidity, counts, "GeneratorValidity must be the labelled file's counts")
	for name, c := range counts {
		assert.GreaterOrEqual(t, c[1], 5, "%s: too few labelled edits to quote a rate", name)
	}
	v, ok := GeneratorValidity("intensifier")
	require.True(t, ok)
	assert.InDelta(t, 20.0/21, v.Rate, 1e-12)
	assert.Less(t, v.CI.Low, v.Rate)
	_, ok = GeneratorValidity("lowercase")
	assert.False(t, ok, "lowercase never applies to SST-2 (lower case): not measured")
}

// TestOldInvalidEditsAreRefused: the negation and intensifier edits that
// the generators made before they declared where they apply, labelled by
// hand in testdata/validity_before.tsv (negation 6 of 40 valid,
// intensifier 18 of 30), are no longer made: every one labelled invalid is
// now refused or edited differently.
func TestOldInvalidEditsAreRefused(t *testing.T) {
	rows := readLabelled(t, "testdata/validity_before.tsv")
	valid := map[string]int{}
	n := map[string]int{}
	for _, r := range rows {
		n[r.test]++
		if r.label == "valid" {
			valid[r.test]++
			continue
		}
		var edit Edit = AddNegation
		if r.test == "intensifier" {
			edit = AddIntensifier
		}
		got, ok := edit(r.text, editRNG(1, r.test, r.text))
		assert.False(t, ok && got == r.edited, "line %d: the invalid edit %q is still made (%s)", r.line, r.edited, r.reason)
	}
	assert.Equal(t, map[string]int{"negation": 40, "intensifier": 30}, n)
	assert.Equal(t, map[string]int{"negation": 6, "intensifier": 18}, valid)
}
