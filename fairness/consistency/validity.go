package consistency

import (
	"reflect"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// Validity is how often an edit generator makes a valid test: of Labelled
// edits it made on SST-2 dev sentences, read and labelled by hand, Valid
// were grammatical with an unambiguous expected direction (the text's
// meaning kept, for an invariance edit; its verdict reversed or
// strengthened, for a directional one). A test's failure rate mixes the
// model's errors with the generator's; this says how much of it the
// generator may own.
type Validity struct {
	Valid    int            `json:"valid"`
	Labelled int            `json:"labelled"`
	Rate     float64        `json:"rate"`
	CI       stats.Interval `json:"ci"`
	// Sample names the labelled edits.
	Sample string `json:"sample"`
}

// validitySample is where the labelled edits are, relative to the
// repository.
const validitySample = "fairness/consistency/testdata/validity.tsv (SST-2 dev, labelled by hand)"

// generatorValidity are the counts of testdata/validity.tsv: for each
// generator, the first edits it makes going through SST-2 dev's 872
// sentences in a seeded order (rand.NewPCG(7, 7).Perm), 100 in all; for
// negation and intensifier every edit they make on dev (13 and 21
// sentences apply). TestGeneratorValidity recounts them from the file
// after regenerating every
// edit in it with the current generators: if a generator's output
// changes, that test fails until the changed edits are labelled again.
// "lowercase" is missing: SST-2 is lower case, so it never applies there.
var generatorValidity = map[string][2]int{
	"typo":                {10, 10},
	"punctuation":         {8, 8},
	"titlecase":           {8, 8},
	"expand-contractions": {10, 10},
	"contract":            {10, 10},
	"names-places":        {10, 10},
	"whitespace":          {10, 10},
	"negation":            {13, 13},
	"intensifier":         {20, 21},
}

// GeneratorValidity is the measured validity of the built-in test named
// name (DefaultTests), with its Wilson 95% interval; ok is false for a
// test that was not measured.
func GeneratorValidity(name string) (Validity, bool) {
	c, ok := generatorValidity[name]
	if !ok {
		return Validity{}, false
	}
	return Validity{Valid: c[0], Labelled: c[1], Rate: float64(c[0]) / float64(c[1]), CI: stats.Wilson(c[0], c[1], stats.Z95), Sample: validitySample}, true
}

// isBuiltin says whether ts runs the built-in edit of its name, whose
// validity was measured (a custom test under a built-in name was not).
func isBuiltin(ts Test) bool {
	for _, d := range DefaultTests() {
		if d.Name == ts.Name {
			return reflect.ValueOf(d.Edit).Pointer() == reflect.ValueOf(ts.Edit).Pointer()
		}
	}
	return false
}
