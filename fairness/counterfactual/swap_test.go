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

// TestGrammar is the table of sentence → exact swapped sentences: pronouns
// by role, reflexives and possessives following a gender swap within the
// sentence only, a/an re-agreed, case kept, name families on one axis.
func TestGrammar(t *testing.T) {
	// skip marks a case with no swap, whose reason contains the text.
	skip := func(reason string) []string { return []string{"skip: " + reason} }
	cases := []struct {
		family string
		text   string
		want   []string
	}{
		{"gender", "I made her feel angry.", []string{"her→him: I made him feel angry."}},
		{"gender", "I saw her.", []string{"her→him: I saw him."}},
		{"gender", "She loved her new film.", []string{"she→he: He loved his new film."}},
		{"gender", "I gave her a book.", []string{"her→him: I gave him a book."}},
		{"gender", "He said his dog likes him.", []string{"he→she: She said her dog likes her."}},
		{"gender", "The book is his.", []string{"his→hers: The book is hers."}},
		{"gender", "The choice was his and nobody else's.", []string{"his→hers: The choice was hers and nobody else's."}},
		{"gender", "The prize is hers.", []string{"hers→his: The prize is his."}},
		{"gender", "The man hurt himself. He left.", []string{"man→woman: The woman hurt herself. She left."}},
		{"gender", "The woman praised herself, and her friends praised her too.", []string{"woman→man: The man praised himself, and his friends praised him too."}},
		{"gender", "Ask him, then HIM.", []string{"him→her: Ask her, then HER."}},
		{"gender", "HE LEFT", []string{"he→she: SHE LEFT"}},
		{"gender", "He? he! HE.", []string{"he→she: She? she! SHE."}},
		{"gender", "her in-laws hated her", []string{"her→his: his in-laws hated him"}},
		{"gender", "Mr. Smith and his wife.", skip(`both genders ("Mr" is male, "wife" is female)`)},
		{"gender", "the man 's film", []string{"man→woman: the woman 's film"}},
		{"gender", "the boys' toys", []string{"boys→girls: the girls' toys"}},
		{"gender", "the theme, there, where, shed, hernia", nil},
		{"gender", "The actor thanked his mother.\nShe cried.", skip("both genders")},
		{"gender", "His performance is the best thing about the film, and it is all his.", []string{"his→her: Her performance is the best thing about the film, and it is all hers."}},
		{"age", "an old film", []string{"old→young: a young film"}},
		{"age", "An old man sat", []string{"old man→young man: A young man sat"}},
		{"age", "AN OLD MAN", []string{"old man→young man: A YOUNG MAN"}},
		{"age", "A YOUNG MAN", []string{"young man→old man: AN OLD MAN"}},
		{"age", "a young woman", []string{"young woman→old woman: an old woman"}},
		{"age", "a twenty-year-old", []string{"twenty-year-old→eighty-year-old: an eighty-year-old"}},
		{"age", "The Old Man", []string{"old man→young man: The Young Man"}},
		{"age", "an old   man", []string{"old man→young man: a young man"}},
		{"nationality", "an American film", []string{"american→mexican: a Mexican film", "american→chinese: a Chinese film", "american→indian: an Indian film", "american→nigerian: a Nigerian film", "american→german: a German film", "american→french: a French film", "american→russian: a Russian film", "american→british: a British film", "american→japanese: a Japanese film", "american→brazilian: a Brazilian film", "american→iranian: an Iranian film", "american→italian: an Italian film", "american→spanish: a Spanish film", "american→korean: a Korean film", "american→vietnamese: a Vietnamese film", "american→pakistani: a Pakistani film", "american→egyptian: an Egyptian film", "american→turkish: a Turkish film", "american→canadian: a Canadian film", "american→irish: an Irish film", "american→kenyan: a Kenyan film", "american→israeli: an Israeli film", "american→ethiopian: an Ethiopian film", "american→filipino: a Filipino film", "american→colombian: a Colombian film", "american→cuban: a Cuban film", "american→iraqi: an Iraqi film", "american→australian: an Australian film"}},
		{"nationality", "An Iraqi director", []string{"iraqi→american: An American director", "iraqi→mexican: A Mexican director", "iraqi→chinese: A Chinese director", "iraqi→indian: An Indian director", "iraqi→nigerian: A Nigerian director", "iraqi→german: A German director", "iraqi→french: A French director", "iraqi→russian: A Russian director", "iraqi→british: A British director", "iraqi→japanese: A Japanese director", "iraqi→brazilian: A Brazilian director", "iraqi→iranian: An Iranian director", "iraqi→italian: An Italian director", "iraqi→spanish: A Spanish director", "iraqi→korean: A Korean director", "iraqi→vietnamese: A Vietnamese director", "iraqi→pakistani: A Pakistani director", "iraqi→egyptian: An Egyptian director", "iraqi→turkish: A Turkish director", "iraqi→canadian: A Canadian director", "iraqi→irish: An Irish director", "iraqi→kenyan: A Kenyan director", "iraqi→israeli: An Israeli director", "iraqi→ethiopian: An Ethiopian director", "iraqi→filipino: A Filipino director", "iraqi→colombian: A Colombian director", "iraqi→cuban: A Cuban director", "iraqi→australian: An Australian director"}},
		{"nationality", "a European film", nil},
		{"names_gender_european_american", "Emily hurt herself and her friend.", []string{"emily→james: James hurt himself and his friend."}},
		{"names_gender_african_american", "Darnell said he loved his role. Keisha agreed.", skip(`both genders ("Darnell" is male, "Keisha" is female)`)},
		{"names_gender_african_american", "Darnell said he loved his role.", []string{"darnell→keisha: Keisha said she loved her role."}},
		{"names_ethnicity_female", "Emily hurt herself.", []string{"emily→keisha: Keisha hurt herself.", "emily→maria: Maria hurt herself.", "emily→mei: Mei hurt herself."}},
		{"names_gender_hispanic", "James' car", nil},
		{"names_gender_european_american", "James' car", []string{"james→emily: Emily's car"}},
		{"names_ethnicity_male", "JAMES shines.", []string{"james→darnell: DARNELL shines.", "james→jose: JOSE shines.", "james→wei: WEI shines."}},
		{"religion", "the Bible and the torah", []string{"bible→quran: the Quran and the torah", "bible→torah: the Torah and the torah", "bible→vedas: the Vedas and the torah", "bible→sutras: the Sutras and the torah", "bible→guru granth sahib: the Guru granth sahib and the torah", "torah→bible: the Bible and the bible", "torah→quran: the Bible and the quran", "torah→vedas: the Bible and the vedas", "torah→sutras: the Bible and the sutras", "torah→guru granth sahib: the Bible and the guru granth sahib"}},
		{"religion", "an imam spoke", []string{"imam→priest: a priest spoke", "imam→rabbi: a rabbi spoke", "imam→pandit: a pandit spoke", "imam→monk: a monk spoke", "imam→granthi: a granthi spoke"}},
		{"religion", "anti-muslim", []string{"muslim→christian: anti-christian", "muslim→jewish: anti-jewish", "muslim→hindu: anti-hindu", "muslim→buddhist: anti-buddhist", "muslim→sikh: anti-sikh", "muslim→atheist: anti-atheist"}},
		{"religion", "atheism", []string{"atheism→christianity: christianity", "atheism→islam: islam", "atheism→judaism: judaism", "atheism→hinduism: hinduism", "atheism→buddhism: buddhism", "atheism→sikhism: sikhism"}},
		{"gender", "a gorgeous, witty, seductive movie", nil},
		{"gender", "", nil},
		{"gender", "The hero saved her.", skip("both genders")},
		{"gender", "an actress and her hour", []string{"actress→actor: an actor and his hour"}},
		{"gender", "He told her she was right.", skip(`both genders ("He" is male, "her" is female)`)},

		// Issue 18: a gender swap changes one person, or none.
		{"gender", "Alonzo found himself in an irritating situation.", skip(`the name "Alonzo" is in no names family`)},
		{"gender", "alonzo found himself in an irritating situation", skip(`the name "alonzo" is in no names family`)},
		{"names", "Alonzo found himself in an irritating situation.", nil},
		{"gender", "doting mother would shun his kids", skip(`both genders ("his" is male, "mother" is female)`)},
		{"gender", "mr. rachel and her", skip(`both genders ("mr" is male, "rachel" is female)`)},
		{"names_gender_european_american", "mr. rachel and her", skip(`both genders ("mr" is male, "rachel" is female)`)},
		{"gender", "The conversation with her was …", []string{"her→him: The conversation with him was …"}},
		{"gender", "The conversation with her was tense, and she left.", []string{"her→him: The conversation with him was tense, and he left."}},
		{"gender", "ms", []string{"ms→mr: mr"}},
		{"gender", "Ms. Lee lost her car.", []string{"ms→mr: Mr. Lee lost his car."}},
		{"gender", "MS. LEE LOST HER CAR.", []string{"ms→mr: MR. LEE LOST HIS CAR."}},
		{"gender", "Mr. Lee lost his car.", []string{"mr→mrs: Mrs. Lee lost her car."}},
		{"gender", "Miss Jones sang.", []string{"miss→mr: Mr Jones sang."}},
		{"gender", "I miss her.", []string{"her→him: I miss him."}},
		{"gender", "Lady Smith and her dog.", []string{"lady→lord: Lord Smith and his dog."}},
		{"gender", "The lady and her dog.", []string{"lady→gentleman: The gentleman and his dog."}},
		{"gender", "The Lord of the Rings", nil},
		{"gender", "Sir Ian thanked his hosts.", skip(`the name "Ian" is in no names family`)},
		{"gender", "I watched her dance.", skip(`cannot tell whether "her" before "dance"`)},
		{"gender", "I watched her arrive.", []string{"her→him: I watched him arrive."}},
		{"gender", "She fought her pursuers and her spiritual crisis.", []string{"she→he: He fought his pursuers and his spiritual crisis."}},
		{"gender", "I told her nothing.", []string{"her→him: I told him nothing."}},
		{"gender", "I saw her lovely smile.", []string{"her→his: I saw his lovely smile."}},
		{"gender", "I hugged her tightly.", []string{"her→him: I hugged him tightly."}},
		{"gender", "her determination surprised me", []string{"her→his: his determination surprised me"}},
		{"gender", "HER FILM WAS GREAT", []string{"her→his: HIS FILM WAS GREAT"}},
		{"gender", "she loves herself", []string{"she→he: he loves himself"}},
		{"gender", "His father and his brother argued.", skip(`more than one person may be meant ("father", "brother")`)},
		{"gender", "Mrs. Smith praised her daughter.", skip(`more than one person may be meant ("Mrs", "daughter")`)},
		{"gender", "the girl's mother", skip("more than one person")},
		{"gender", "Tom said he was tired.", skip(`the name "Tom" is in no names family`)},
		{"gender", "Yesterday Zorblax said he was tired.", skip(`"Zorblax" may be a name`)},
		{"gender", "Watching him was a joy.", skip(`"Watching" may be a name`)},
		{"gender", "She gave her brother a hug.", skip("both genders")},
		{"gender", "She is a mother of two and her kids adore her.", []string{"mother→father: He is a father of two and his kids adore him."}},
		{"gender", "The waitress said she was busy.", []string{"waitress→waiter: The waiter said he was busy."}},
		{"gender", "An actress found herself alone.", []string{"actress→actor: An actor found himself alone."}},
		{"gender", "James hurt himself.", skip(`the person is named ("James")`)},
		{"names_gender_european_american", "Mr. James lost his car.", []string{"james→emily: Mrs. Emily lost her car."}},
		{"names_gender_european_american", "Emily and her brother", skip("both genders")},
		{"names_gender_european_american", "Emily met Sarah and her dog.", skip(`more than one person may be meant ("Emily", "Sarah")`)},
		{"names_gender_hispanic", "Maria, the mother, smiled.", skip(`more than one person may be meant ("Maria", "mother")`)},
		{"names_gender_european_american", "Alonzo and James", skip(`more than one person may be meant ("Alonzo", "James")`)},
		{"names_gender_asian", "Wei said she was late.", skip("both genders")},
		// Lower-case text: a proper noun of properNounList may name the
		// pronouns' person; it gives way to a word that names the person.
		{"gender", "taylor appears to have blown his entire budget .", skip(`"taylor" may be a name`)},
		{"gender", "Taylor appears to have blown his entire budget.", skip(`"Taylor" may be a name`)},
		{"gender", "the actor thanked esther .", []string{"actor→actress: the actress thanked esther ."}},
		{"gender", "if director michael dowse understands his characters , he does n't hold them in contempt .", skip(`the person is named ("michael")`)},
		{"names_gender_european_american", "if director michael dowse understands his characters , he does n't hold them in contempt .", []string{"michael→jennifer: if director jennifer dowse understands her characters , she does n't hold them in contempt ."}},
		{"names_gender_european_american", "James Horner wrote his score, and Horner conducted it.", []string{"james→emily: Emily Horner wrote her score, and Horner conducted it."}},
		{"names_gender_asian", "Wei said he was late.", []string{"wei→mei: Mei said she was late."}},
		{"names_ethnicity_male", "Wei said she was late.", []string{"wei→james: James said she was late.", "wei→darnell: Darnell said she was late.", "wei→jose: Jose said she was late."}},
	}
	require.GreaterOrEqual(t, len(cases), 90)
	for _, c := range cases {
		t.Run(c.family+"/"+c.text, func(t *testing.T) {
			got, skips := CounterfactualsWithSkips(c.text, mustSelect(t, c.family))
			switch {
			case c.want == nil:
				assert.Empty(t, got)
				assert.Empty(t, skips)
			case strings.HasPrefix(c.want[0], "skip: "):
				assert.Empty(t, got)
				require.Len(t, skips, 1)
				assert.Contains(t, skips[0].Reason, strings.TrimPrefix(c.want[0], "skip: "))
			default:
				assert.Equal(t, c.want, texts(got))
				assert.Empty(t, skips)
			}
		})
	}
}

func TestArticle(t *testing.T) {
	for w, want := range map[string]string{
		"old": "an", "young": "a", "hour": "an", "honest": "an", "Honour": "an", "heir": "an",
		"university": "a", "European": "a", "one-off": "a", "uninspired": "an", "umbrella": "an",
		"UTAH": "a", "Iraqi": "an", "historic": "a", "usual": "a", "eighty": "an",
	} {
		assert.Equal(t, want, article(w), w)
	}
}

func TestSentences(t *testing.T) {
	text := "Mr. Smith left. \"Go!\" she said\nthe end... ok"
	var got []string
	for _, s := range sentences(text) {
		got = append(got, text[s.Start:s.End])
	}
	assert.Equal(t, []string{"Mr. Smith left.", " \"Go!", "\" she said\n", "the end...", " ok"}, got)
	assert.Equal(t, []Span{{0, 0}}, sentences(""))
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

	// Spans shift with replacements of another length; the pronoun the
	// gender swap rewrote is an agreement.
	got = Counterfactuals("he met the man", mustSelect(t, "gender"))
	require.Len(t, got, 1)
	assert.Equal(t, "man", got[0].Term, "credited to the word that names the person")
	assert.Equal(t, "she met the woman", got[0].Text)
	assert.Equal(t, []Span{{11, 14}}, got[0].Spans)
	assert.Equal(t, []Span{{12, 17}}, got[0].NewSpans)
	assert.Equal(t, "woman", got[0].Text[12:17])
	assert.Equal(t, []Span{{0, 2}}, got[0].Agreements)
	assert.Equal(t, []Span{{0, 3}}, got[0].NewAgreements)
}

// A swap followed by the reverse swap restores the text, for every
// built-in term that is read at only one position (not "her", "his",
// "chinese", "french", "japanese", which are listed twice on purpose) and
// is not a pronoun (pronouns are rewritten by role, tested in TestGrammar).
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
				if term == "" || count[term] > 1 || pronouns[term] {
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
	assert.Equal(t, []string{"gender", "names_ethnicity_female", "names_ethnicity_male",
		"names_gender_european_american", "names_gender_african_american", "names_gender_hispanic", "names_gender_asian",
		"religion", "nationality", "age"}, names)
	// Name families: at least 20 names a group; one axis per family.
	for _, f := range mustSelect(t, "names") {
		genders := map[Gender]int{}
		for _, g := range f.Groups {
			assert.GreaterOrEqual(t, len(g.Terms), 20, "%s/%s", f.Name, g.Name)
			genders[g.Gender]++
		}
		if strings.HasPrefix(f.Name, "names_gender_") {
			assert.Equal(t, map[Gender]int{Male: 1, Female: 1}, genders, f.Name)
		} else {
			assert.Len(t, genders, 1, "%s swaps within one gender", f.Name)
		}
	}

	for _, name := range names {
		f := mustSelect(t, name)[0]
		for _, g := range f.Groups {
			for _, term := range g.Terms {
				if term == "" || titleOnly[term] {
					continue // titleOnly terms count only before a name
				}
				// Every term is found as itself in a sentence.
				swaps := Counterfactuals("x "+term+".", []Family{f})
				require.NotEmpty(t, swaps, "%s: %q", name, term)
				assert.Equal(t, term, swaps[0].Term)
			}
		}
	}

	_, err := SelectFamilies(fs, "gender", "caste")
	require.ErrorContains(t, err, `no family "caste"`)
	require.ErrorContains(t, err, "gender, names_ethnicity_female, names_ethnicity_male, names_gender_european_american")
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

// On the Equity Evaluation Corpus' names (Kiritchenko & Mohammad 2018), a
// template with a reflexive pronoun gets no gender-family swap: the name
// would stay while "himself" became "herself". A names_gender family swaps
// the names it lists, with the pronoun.
func TestEECNamesNotLeftBehind(t *testing.T) {
	eec := map[Gender][]string{
		Male:   fields(`Alonzo Jamel Lerone Percell Theo Torrance Darnell Lamar Malik Terrence Adam Alan Andrew Frank Harry Jack Josh Justin Roger Ryan`),
		Female: fields(`Nichelle Shereen Ebony Latisha Shaniqua Jasmine Tanisha Tia Lakisha Latoya Amanda Betsy Courtney Ellen Heather Katie Kristin Melanie Nancy Stephanie`),
	}
	refl := map[Gender]string{Male: "himself", Female: "herself"}
	for g, names := range eec {
		for _, n := range names {
			text := n + " found " + refl[g] + " in an irritating situation."
			swaps, skips := CounterfactualsWithSkips(text, mustSelect(t, "gender"))
			assert.Empty(t, swaps, text)
			require.Len(t, skips, 1, text)
			assert.Contains(t, skips[0].Reason, `"`+n+`"`)
			for _, s := range Counterfactuals(text, mustSelect(t, "names_gender")) {
				assert.NotContains(t, s.Text, n, "a names_gender swap changes the name: %q", s.Text)
				assert.NotContains(t, s.Text, " "+refl[g]+" ", "and the pronoun: %q", s.Text)
			}
		}
	}
}

// A caller's family with a gender on every group swaps people too; its
// longer terms win over the built-in words inside them.
func TestPersonLevelCustomFamily(t *testing.T) {
	f, err := NewFamily("elders",
		Group{Name: "old-men", Gender: Male, Terms: []string{"old man", "grandpa"}},
		Group{Name: "old-women", Gender: Female, Terms: []string{"old woman", "grandma"}})
	require.NoError(t, err)
	got, skips := CounterfactualsWithSkips("The old man lost his hat.", []Family{f})
	assert.Empty(t, skips)
	assert.Equal(t, []string{"old man→old woman: The old woman lost her hat."}, texts(got))
	got, skips = CounterfactualsWithSkips("The old man met his grandpa.", []Family{f})
	assert.Empty(t, got)
	require.Len(t, skips, 1)
	assert.Equal(t, Skip{Family: "elders", Group: "old-men", Term: "old man",
		Reason: `more than one person may be meant ("old man", "grandpa"): pronouns cannot tell whose they are`}, skips[0])
	// Without genders the family swaps terms, as before.
	plain, err := NewFamily("elders", Group{Name: "old-men", Terms: []string{"old man"}}, Group{Name: "old-women", Terms: []string{"old woman"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"old man→old woman: The old woman lost his hat."}, texts(Counterfactuals("The old man lost his hat.", []Family{plain})))
}
