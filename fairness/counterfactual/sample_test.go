package counterfactual

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSST2Sample replays the hand-judged sample of gender swaps on SST-2
// dev (testdata/sst2_gender_sample.tsv; see its header): each labelled
// row's swap must still be produced exactly, and a row marked skipped
// must no longer be. When the generator changes what a row gives, this
// test fails until the row is read and relabelled by hand. The counts are
// the figures the README quotes.
func TestSST2Sample(t *testing.T) {
	f, err := os.Open("testdata/sst2_gender_sample.tsv")
	require.NoError(t, err)
	defer f.Close()
	fams := mustSelect(t, "gender", "names_gender")
	count := map[string]int{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		require.Len(t, cols, 3, "line %d", line)
		label, text, want := cols[0], cols[1], cols[2]
		count[label]++
		var got []string
		for _, s := range Counterfactuals(text, fams) {
			got = append(got, s.Text)
		}
		switch label {
		case "coherent", "incoherent":
			assert.Contains(t, got, want, "line %d: the swap read by hand is no longer made; read the new output and relabel", line)
		case "skipped":
			assert.NotContains(t, got, want, "line %d", line)
		default:
			t.Fatalf("line %d: label %q, want coherent, incoherent or skipped", line, label)
		}
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, map[string]int{"coherent": 46, "incoherent": 3, "skipped": 1}, count)
}
