package counterfactual

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "families.json")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestLoadFamilies(t *testing.T) {
	p := writeFile(t, `{
		"occupation": [["actor", "actors"], ["actress", "actresses"]],
		"city": [["london", ""], ["paris", "the louvre"], ["lagos", "lekki"]]
	}`)
	fs, err := LoadFamilies(p)
	require.NoError(t, err)
	require.Len(t, fs, 2)
	// Sorted by name; groups named after their first term.
	assert.Equal(t, "city", fs[0].Name)
	assert.Equal(t, []Group{
		{Name: "london", Terms: []string{"london", ""}},
		{Name: "paris", Terms: []string{"paris", "the louvre"}},
		{Name: "lagos", Terms: []string{"lagos", "lekki"}},
	}, fs[0].Groups)
	assert.Equal(t, "occupation", fs[1].Name)

	got := Counterfactuals("The actors met in Lagos near Lekki.", fs)
	assert.Equal(t, []string{
		"lagos→london: The actors met in London near Lekki.",
		"lagos→paris: The actors met in Paris near Lekki.",
		"lekki→the louvre: The actors met in Lagos near The louvre.",
		"actors→actresses: The actresses met in Lagos near Lekki.",
	}, texts(got))
}

func TestLoadFamiliesErrors(t *testing.T) {
	cases := []struct {
		name    string
		content string
		want    []string // substrings of the error
	}{
		{"not JSON", `{"gender": [["he"], ["she"]`, []string{"families file", "want {\"family\""}},
		{"wrong shape", `{"gender": ["he", "she"]}`, []string{"families file", "cannot unmarshal"}},
		{"trailing data", `{"a": [["x"], ["y"]]} {}`, []string{"data after the JSON object"}},
		{"no families", `{}`, []string{"defines no families"}},
		{"one group", `{"solo": [["he", "him"]]}`, []string{`family "solo" has 1 group(s), want at least 2`}},
		{"unequal groups", `{"g": [["he", "him"], ["she"]]}`, []string{`family "g": group 2 ("she") has 1 terms, group 1 ("he") has 2`}},
		{"bad term", `{"g": [["mr."], ["mrs."]]}`, []string{`family "g": group 1 ("mr."), term 1 "mr."`, "must start and end with a letter or digit"}},
		{"term on two lines", `{"g": [["old\tman"], ["young man"]]}`, []string{`term 1 "old\tman"`, "one line"}},
		{"empty group", `{"g": [["", ""], ["a", "b"]]}`, []string{`group 1 ("group 1") has only empty terms`}},
		{"position without counterpart", `{"g": [["a", "b"], ["c", ""]]}`, []string{`family "g": position 2 has a term in 1 group(s)`}},
		{"no groups", `{"g": []}`, []string{`family "g" has 0 group(s)`}},
		{"empty groups", `{"g": [[], []]}`, []string{`group 1 ("group 1") has no terms`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, c.content)
			_, err := LoadFamilies(p)
			require.Error(t, err)
			for _, w := range c.want {
				assert.ErrorContains(t, err, w)
			}
			assert.ErrorContains(t, err, p, "the error names the file")
		})
	}

	_, err := LoadFamilies(filepath.Join(t.TempDir(), "missing.json"))
	require.ErrorContains(t, err, "missing.json")
}

func TestNewFamilyErrors(t *testing.T) {
	cases := []struct {
		name   string
		fam    string
		groups []Group
		want   string
	}{
		{"no name", " ", []Group{{Name: "a", Terms: []string{"x"}}, {Name: "b", Terms: []string{"y"}}}, "family has no name"},
		{"unnamed group", "f", []Group{{Name: "a", Terms: []string{"x"}}, {Name: "", Terms: []string{"y"}}}, `family "f": group 2 has no name`},
		{"duplicate group name", "f", []Group{{Name: "a", Terms: []string{"x"}}, {Name: "a", Terms: []string{"y"}}}, `groups 1 and 2 are both named "a"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewFamily(c.fam, c.groups...)
			require.ErrorContains(t, err, c.want)
		})
	}

	// Groups opening with the same term get distinct names from the file.
	fs, err := LoadFamilies(writeFile(t, `{"f": [["a", "b"], ["a", "c"]]}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "a (group 2)"}, []string{fs[0].Groups[0].Name, fs[0].Groups[1].Name})
}
