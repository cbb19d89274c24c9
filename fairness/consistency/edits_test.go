package consistency

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func seeded() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

// na marks an edit that must not apply.
const na = "<not applicable>"

func TestEdits(t *testing.T) {
	cases := []struct {
		edit string
		in   string
		want string
	}{
		// Typo: one adjacent pair of a non-keyword word of ≥ 4 letters,
		// first letter kept.
		{"typo", "a gorgeous , witty , seductive movie .", "a gorgeous , witty , seductive moive ."},
		{"typo", "The film isn't bad, it's fun!", "The flim isn't bad, it's fun!"},
		{"typo", "the movie is great", "the moive is great"},
		{"typo", "not good but great", na}, // only keywords and short words
		{"typo", "Great fun", na},
		{"typo", "a boo", na},

		{"punctuation", "a gorgeous , witty , seductive movie .", "a gorgeous , witty , seductive movie"},
		{"punctuation", "The film isn't bad, it's fun!", "The film isn't bad, it's fun"},
		{"punctuation", "What?! ", na}, // a question stays one
		{"punctuation", "good old-fashioned slash-and-hack is back !", "good old-fashioned slash-and-hack is back"},
		{"punctuation", "Great fun", "Great fun."},
		{"punctuation", " ... ", na},
		{"punctuation", "", na},

		{"lowercase", "The Film IS Great", "the film is great"},
		{"lowercase", "already lower .", na},
		{"titlecase", "it 's a charming journey .", "It 's A Charming Journey ."},
		{"titlecase", "the film ISN'T bad", "The Film Isn't Bad"},
		{"titlecase", "Title Case", na},

		{"expand-contractions", "The film isn't bad, it's fun!", "The film is not bad, it is fun!"},
		{"expand-contractions", "it 's a charming and often affecting journey .", "it is a charming and often affecting journey ."},
		{"expand-contractions", "you ca n't miss it , it wo n't wait", "you can not miss it , it will not wait"},
		{"expand-contractions", "I can't, WON'T, They’re", "I cannot, WILL NOT, They are"},
		{"expand-contractions", "I'm sure it's been done", "I am sure it has been done"},
		{"expand-contractions", "the film's score", na}, // a possessive is not "is"
		{"expand-contractions", "though it 's become almost redundant", "though it has become almost redundant"},
		{"contract", "This is not bad. It is fun.", "This isn't bad. It's fun."},
		{"contract", "this is not a movie you can not miss .", "this is n't a movie you ca n't miss ."},
		{"contract", "It is what it is and I am happy.", "It's what it is and I'm happy."},
		{"contract", "WE ARE NOT amused, I cannot", "WE'RE NOT amused, I can't"},
		{"contract", "I have a dog", na},
		{"contract", "that is", na},                                       // the verb ends the clause
		{"contract", "in hindsight , it is n't even all that dumb .", na}, // never "it 's n't"

		{"names-places", "John flew from London to New York.", "Michael flew from Paris to Los Angeles."},
		{"names-places", "THOMAS met claire in los  angeles", "JOHN met mary in london"},
		{"names-places", "Johnson of Londonderry", na},

		{"whitespace", "a gorgeous , witty , seductive movie .", "a gorgeous , witty , seductive  movie ."},
		{"whitespace", "STUNNING", "STUNNING "},
		{"whitespace", "", na},

		{"negation", "the movie is great", "the movie is not great"},
		{"negation", "it 's a charming and often affecting journey .", "it 's not a charming and often affecting journey ."},
		{"negation", "THE FILM IS GOOD", "THE FILM IS NOT GOOD"},
		{"negation", "this is not so bad .", na},
		{"negation", "this is so bad .", "this is not so bad ."},
		{"negation", "detox is ultimately a pointless endeavor .", "detox is not ultimately a pointless endeavor ."},
		{"negation", "lathan and diggs are charming .", "lathan and diggs are not charming ."},
		{"negation", "The film's score is dull and pretentious.", "The film's score is not dull and pretentious."},
		// Refused: where the edit is not a clear reversal of the verdict
		// (issue 18's cases among them).
		{"negation", "I'm sure", na}, // no evaluative predicate
		{"negation", "a gorgeous , witty , seductive movie .", "not a gorgeous , witty , seductive movie ."}, // one noun phrase
		{"negation", "An awful film", "Not an awful film"},
		{"negation", "a dull film is what you get .", na}, // a noun phrase as a subject
		{"negation", "a dull film ; the cast tries .", na},
		{"negation", "a better title might be swept under the rug .", na},
		{"negation", "an interesting story , i found myself struggling .", na},
		{"negation", "Great fun", na},                                        // no article: not the noun-phrase form
		{"negation", "The plot thickens", na},                                // no copula to negate
		{"negation", "it 's fun lite .", na},                                 // a bare noun phrase, not a predicate adjective
		{"negation", "affleck and jackson are good sparring partners .", na}, // ditto
		{"negation", "too restrained to be cerebral , too dull and pretentious to be engaging", na},
		{"negation", "though it 's become almost redundant to say so , kudos go to leigh .", na},
		{"negation", "the movie is beautiful to behold and engages one in a sense of epic struggle .", na},
		{"negation", "the characters are interesting and often very creatively constructed .", na},
		{"negation", "the film that he made is dull .", na},    // the copula is not the main clause's
		{"negation", "the film is dull , but it is fun .", na}, // a contrast
		{"negation", "is it good ?", na},                       // a question
		{"negation", "a coarse and stupid gross-out .", na},
		{"negation", "in a way , the film feels like a breath of fresh air .", na},
		{"negation", "they should have called it gutterball .", na},
		{"negation", "whaley 's determination to immerse you in sheer , unrelenting wretchedness is exhausting .", na},
		{"negation", "The film isn't bad", na},
		{"negation", "never again", na},
		{"negation", "  ", na},

		{"intensifier", "a gorgeous , witty , seductive movie .", "a really gorgeous , witty , seductive movie ."}, // extreme: "really" only
		{"intensifier", "an awful film", "a really awful film"},
		{"intensifier", "the film is dull and pretentious .", "the film is extremely dull and pretentious ."},
		{"intensifier", "it 's a clever film .", "it 's an extremely clever film ."},
		{"intensifier", "Pacino seems clever.", "Pacino seems extremely clever."},
		// Refused (issue 18's cases among them).
		{"intensifier", "The film isn't bad, it's fun!", na}, // a negation: direction doubtful
		{"intensifier", "Great fun", na},                     // "fun" is not gradable here, "great" opens a fragment
		{"intensifier", "too restrained to be cerebral , too dull and pretentious to be engaging", na},
		{"intensifier", "good old-fashioned slash-and-hack is back !", na},
		{"intensifier", "it 's an offbeat treat that pokes fun at the democratic exercise .", na},
		{"intensifier", "in a way , the film feels like a breath of fresh air .", na},
		{"intensifier", "expect the same-old , lame-old slasher nonsense .", na},
		{"intensifier", "thanks to eisenberg 's sweet nephew , roger dodger is compelling .", "thanks to eisenberg 's sweet nephew , roger dodger is extremely compelling ."}, // not the nephew's "sweet"
		{"intensifier", "a sometimes tedious film .", na},
		{"intensifier", "the film tries too hard to be funny .", na},
		{"intensifier", "a dull film with a clever twist .", na}, // both polarities
		{"intensifier", "not good , but very fun", na},
		{"intensifier", "a film", na},
	}
	tests := map[string]Edit{}
	for _, ts := range DefaultTests() {
		tests[ts.Name] = ts.Edit
	}
	for _, c := range cases {
		t.Run(c.edit+"/"+c.in, func(t *testing.T) {
			edit := tests[c.edit]
			require.NotNil(t, edit, c.edit)
			got, ok := edit(c.in, seeded())
			if c.want == na {
				assert.False(t, ok, "got %q", got)
				return
			}
			require.True(t, ok)
			assert.Equal(t, c.want, got)
		})
	}
}

// Over many seeds a typo is always one of the word's allowed swaps, and
// every one of them turns up.
func TestTypoChoices(t *testing.T) {
	allowed := map[string]bool{"the mvoie !": true, "the moive !": true, "the movei !": true}
	seen := map[string]bool{}
	for seed := range uint64(60) {
		got, ok := Typo("the movie !", rand.New(rand.NewPCG(seed, 0)))
		require.True(t, ok)
		require.True(t, allowed[got], "unexpected typo %q", got)
		seen[got] = true
	}
	assert.Len(t, seen, len(allowed))

	// Never a keyword, whatever the seed.
	for seed := range uint64(40) {
		got, ok := Typo("not a great movie", rand.New(rand.NewPCG(seed, 7)))
		require.True(t, ok)
		assert.True(t, strings.HasPrefix(got, "not a great "), got)
	}
}

func TestHasNegation(t *testing.T) {
	for _, s := range []string{"not bad", "I don't know", "it is n't", "Nothing works", "NEVER", "a film without charm", "I can’t", "nowhere-man"} {
		assert.True(t, HasNegation(s), s)
	}
	for _, s := range []string{"a notable film", "nonetheless", "knot", "on the nose", "nothingness"} {
		assert.False(t, HasNegation(s), s)
	}
}

// Odd inputs never panic, and an edit that applies changes the text.
func TestEditsRobust(t *testing.T) {
	odd := []string{"", " ", "'", "’", "\xff\xfe", "n't", "a", "A", "an", "I", "it 's", "?!", "É", "not\xffgood", "très bien !"}
	for _, ts := range DefaultTests() {
		for _, s := range odd {
			assert.NotPanics(t, func() {
				if got, ok := ts.Edit(s, seeded()); ok {
					assert.NotEqual(t, s, got, "%s(%q)", ts.Name, s)
				}
			}, "%s(%q)", ts.Name, s)
		}
	}
}
