package counterfactual

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/lucid-nlp/lucid/models/modeltest"
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
		require.Len(t, cols, 4, "line %d", line)
		label, text, want := cols[0], cols[1], cols[2]
		count[label]++
		if cols[3] == "name-left" {
			count["name-left"]++
		}
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
	// Of the 40 swaps still made, 38 are coherent; 16 leave a name of the
	// changed person (14 of them surnames in lower-case text the lists
	// cannot see), so 24 are coherent by the stricter reading.
	assert.Equal(t, map[string]int{"coherent": 38, "incoherent": 2, "skipped": 10, "name-left": 16}, count)
}

// TestSST2GenderSwaps counts the gender swaps (gender and names_gender_*
// families) and skips on the SST-2 dev split, the README's figures. It
// skips when the data set is not beside the repository.
func TestSST2GenderSwaps(t *testing.T) {
	quoted := regexp.MustCompile(`\([^)]*\)|"[^"]*"`)
	path := modeltest.SharedFile(t, "data/sst2/dev.tsv")
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	fams := mustSelect(t, "gender", "names_gender")
	sc := bufio.NewScanner(f)
	require.True(t, sc.Scan()) // header
	rows, swaps, skips, notSwapped := 0, 0, 0, 0
	reasons := map[string]int{}
	for sc.Scan() {
		_, text, ok := strings.Cut(sc.Text(), "\t")
		require.True(t, ok)
		rows++
		sw, sk := CounterfactualsWithSkips(text, fams)
		swaps += len(sw)
		skips += len(sk)
		if len(sw) == 0 && len(sk) > 0 {
			notSwapped++
		}
		for _, s := range sk {
			// The reason without the words it quotes.
			reasons[strings.Join(strings.Fields(quoted.ReplaceAllString(s.Reason, "…")), " ")]++
		}
	}
	require.NoError(t, sc.Err())
	t.Logf("SST-2 dev: %d rows, %d gender swaps, %d skips (%d rows with no gender swap): %v", rows, swaps, skips, notSwapped, reasons)
	assert.Equal(t, 872, rows)
	assert.Equal(t, 102, swaps)
	assert.Equal(t, 46, skips)
	assert.Equal(t, 43, notSwapped)
}
