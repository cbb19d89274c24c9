package counterfactual

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustSelect(t *testing.T, names ...string) []Family {
	t.Helper()
	fs, err := SelectFamilies(Families(), names...)
	require.NoError(t, err)
	return fs
}

// texts returns the swapped texts of swaps as "term→replacement: text".
func texts(swaps []Swap) []string {
	out := make([]string, len(swaps))
	for i, s := range swaps {
		out[i] = s.Term + "→" + s.Replacement + ": " + s.Text
	}
	return out
}

func TestCounterfactualsText(t *testing.T) {
	cases := []struct {
		name   string
		family string
		text   string
		want   []string
	}{
		{"one swap per distinct term", "gender", "He said his dog likes him.", []string{
			"he→she: She said his dog likes him.",
			"his→her: He said her dog likes him.",
			"him→her: He said his dog likes her.",
		}},
		{"every occurrence of the term", "gender", "he and he", []string{"he→she: she and she"}},
		{"upper case kept", "gender", "HE LEFT", []string{"he→she: SHE LEFT"}},
		{"mixed occurrences keep their own case", "gender", "He? he! HE.", []string{"he→she: She? she! SHE."}},
		{"not inside words", "gender", "the theme is where he went", []string{"he→she: the theme is where she went"}},
		{"no match at all inside words", "gender", "the theme, there, where, shed, hernia", nil},
		{"punctuation around", "gender", "(she) said he's fine; ask him.", []string{
			"she→he: (he) said he's fine; ask him.",
			"he→she: (she) said she's fine; ask him.",
			"him→her: (she) said he's fine; ask her.",
		}},
		{"SST-2 tokenised possessive", "gender", "the man 's film", []string{"man→woman: the woman 's film"}},
		{"possessive of a word in s", "names", "James' car", []string{
			"james→emily: Emily's car", "james→darnell: Darnell's car", "james→keisha: Keisha's car",
			"james→jose: Jose's car", "james→maria: Maria's car", "james→wei: Wei's car",
			"james→mei: Mei's car",
		}},
		{"plural possessive kept", "gender", "the boys' toys", []string{"boys→girls: the girls' toys"}},
		{"her read as possessive", "gender", "I saw her.", []string{"her→his: I saw his."}},
		{"multi-word term wins over its first word", "age", "the old man sat", []string{"old man→young man: the young man sat"}},
		{"title case over words", "age", "The Old Man", []string{"old man→young man: The Young Man"}},
		{"multi-word across extra space", "age", "an old   man", []string{"old man→young man: an young man"}},
		{"multi-word replacement", "religion", "the Bible and the torah", []string{
			"bible→quran: the Quran and the torah",
			"bible→torah: the Torah and the torah",
			"bible→vedas: the Vedas and the torah",
			"bible→sutras: the Sutras and the torah",
			"bible→guru granth sahib: the Guru granth sahib and the torah",
			"torah→bible: the Bible and the bible",
			"torah→quran: the Bible and the quran",
			"torah→vedas: the Bible and the vedas",
			"torah→sutras: the Bible and the sutras",
			"torah→guru granth sahib: the Bible and the guru granth sahib",
		}},
		{"empty slots skipped", "religion", "atheism", []string{
			"atheism→christianity: christianity", "atheism→islam: islam", "atheism→judaism: judaism",
			"atheism→hinduism: hinduism", "atheism→buddhism: buddhism", "atheism→sikhism: sikhism",
		}},
		{"hyphen ends a word", "religion", "anti-muslim", []string{
			"muslim→christian: anti-christian", "muslim→jewish: anti-jewish", "muslim→hindu: anti-hindu",
			"muslim→buddhist: anti-buddhist", "muslim→sikh: anti-sikh", "muslim→atheist: anti-atheist",
		}},
		{"no terms", "gender", "a gorgeous, witty, seductive movie", nil},
		{"empty text", "gender", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Counterfactuals(c.text, mustSelect(t, c.family))
			if c.want == nil {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, c.want, texts(got))
		})
	}
}

func TestCounterfactualsFields(t *testing.T) {
	text := "Ask him, then HIM."
	got := Counterfactuals(text, mustSelect(t, "gender"))
	require.Len(t, got, 1)
	s := got[0]
	assert.Equal(t, Swap{
		Family: "gender", FromGroup: "male", ToGroup: "female",
		Term: "him", Replacement: "her",
		Text:     "Ask her, then HER.",
		Spans:    []Span{{4, 7}, {14, 17}},
		NewSpans: []Span{{4, 7}, {14, 17}},
	}, s)
	for k, sp := range s.Spans {
		assert.True(t, strings.EqualFold(text[sp.Start:sp.End], "him"))
		assert.True(t, strings.EqualFold(s.Text[s.NewSpans[k].Start:s.NewSpans[k].End], "her"))
	}

	// Spans shift with replacements of another length.
	got = Counterfactuals("he met the man", mustSelect(t, "gender"))
	require.Len(t, got, 2)
	assert.Equal(t, []Span{{11, 14}}, got[1].Spans)
	assert.Equal(t, []Span{{11, 16}}, got[1].NewSpans)
	assert.Equal(t, "woman", got[1].Text[11:16])
}

// A swap followed by the reverse swap restores the text, for every
// built-in term that is read at only one position (not "her", "his",
// "chinese", "french", "japanese", which are listed twice on purpose).
func TestSwapsAreSymmetric(t *testing.T) {
	for _, f := range Families() {
		count := map[string]int{}
		for _, g := range f.Groups {
			for _, term := range g.Terms {
				if term != "" {
					count[term]++
				}
			}
		}
		for _, g := range f.Groups {
			for _, term := range g.Terms {
				if term == "" || count[term] > 1 {
					continue
				}
				for _, form := range []string{term, strings.ToUpper(term), capitalise(term)} {
					text := fmt.Sprintf("so %s, (%s) said: %s's", form, form, form)
					for _, s := range Counterfactuals(text, []Family{f}) {
						if s.Term != term || count[s.Replacement] > 1 {
							continue
						}
						back := findSwap(Counterfactuals(s.Text, []Family{f}), s.Replacement, s.FromGroup)
						require.NotNil(t, back, "%s: no way back from %q", f.Name, s.Text)
						assert.Equal(t, text, back.Text, "%s: %s → %s → %s", f.Name, term, s.Replacement, term)
					}
				}
			}
		}
	}
}

func findSwap(swaps []Swap, term, toGroup string) *Swap {
	for i := range swaps {
		if swaps[i].Term == term && swaps[i].ToGroup == toGroup {
			return &swaps[i]
		}
	}
	return nil
}

func TestBuiltinFamilies(t *testing.T) {
	fs := Families()
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
		require.NoError(t, f.Validate())
		// No built-in term belongs to two groups: no swap leaves a text
		// as it was.
		group := map[string]string{}
		for _, g := range f.Groups {
			for _, term := range g.Terms {
				if term == "" {
					continue
				}
				if other, ok := group[term]; ok {
					assert.Equal(t, other, g.Name, "%s: %q in groups %s and %s", f.Name, term, other, g.Name)
				}
				group[term] = g.Name
				assert.Equal(t, strings.ToLower(term), term, "built-in terms are lower case")
			}
		}
	}
	assert.Equal(t, []string{"gender", "names", "religion", "nationality", "age"}, names)

	for _, name := range names {
		f := mustSelect(t, name)[0]
		for _, g := range f.Groups {
			for _, term := range g.Terms {
				if term == "" {
					continue
				}
				// Every term is found as itself in a sentence.
				swaps := Counterfactuals("x "+term+" y", []Family{f})
				require.NotEmpty(t, swaps, "%s: %q", name, term)
				assert.Equal(t, term, swaps[0].Term)
			}
		}
	}

	_, err := SelectFamilies(fs, "gender", "caste")
	require.ErrorContains(t, err, `no family "caste"`)
	require.ErrorContains(t, err, "gender, names, religion, nationality, age")
}

func TestCasePattern(t *testing.T) {
	cases := []struct {
		orig, repl, want string
	}{
		{"he", "she", "she"},
		{"He", "she", "She"},
		{"HE", "she", "SHE"},
		{"hE", "she", "she"},
		{"Old man", "young man", "Young man"},
		{"Old Man", "young man", "Young Man"},
		{"OLD MAN", "young man", "YOUNG MAN"},
		{"Mr", "mrs", "Mrs"},
		{"É", "elle", "Elle"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, withCase(c.repl, patternOf(c.orig)), "%q", c.orig)
	}
}

// Odd inputs and unvalidated families never panic.
func TestCounterfactualsRobust(t *testing.T) {
	ragged := Family{Name: "ragged", Groups: []Group{
		{Name: "a", Terms: []string{"x", "y", "z"}},
		{Name: "b", Terms: []string{"p"}},
		{Name: "c", Terms: nil},
	}}
	odd := []string{"", " ", "'", "’", "\xff\xfe", "he'", "James'", "James’", "HE\xffHE he\u0301", "y z x", strings.Repeat("he ", 1000)}
	for _, s := range odd {
		assert.NotPanics(t, func() { Counterfactuals(s, append(Families(), ragged)) }, "%q", s)
	}
	got := Counterfactuals("x y", []Family{ragged})
	assert.Equal(t, []string{"x→p: p y"}, texts(got), "only counterparts that exist")
	assert.Len(t, Counterfactuals(strings.Repeat("he ", 1000), mustSelect(t, "gender"))[0].Spans, 1000)
}
