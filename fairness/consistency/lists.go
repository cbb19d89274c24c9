package consistency

// Word lists for the edits, written for this package and kept small. All
// lower case.

// adjectives are sentiment-bearing adjectives of both polarities: where
// the negation edit puts "not" and the intensifier edit puts "very". A
// neutral adjective ("long", "red") is left out on purpose: intensifying
// it says nothing about the expected direction.
var adjectives = set(
	"good", "great", "bad", "awful", "terrible", "excellent", "amazing",
	"wonderful", "boring", "dull", "brilliant", "funny", "poor", "perfect",
	"beautiful", "horrible", "fantastic", "enjoyable", "entertaining",
	"charming", "clever", "witty", "smart", "stupid", "silly", "tedious",
	"predictable", "original", "fresh", "gorgeous", "lovely", "moving",
	"touching", "powerful", "weak", "lame", "bland", "compelling",
	"engaging", "impressive", "disappointing", "mediocre", "pointless",
	"dumb", "ugly", "nice", "sweet", "fun", "thoughtful", "hilarious",
	"pretentious", "annoying", "painful", "solid", "strong", "memorable",
	"forgettable", "satisfying", "clumsy", "sharp", "intelligent",
	"inventive", "creative", "delightful", "dreadful", "lousy", "superb",
	"sloppy", "lifeless", "seductive", "heartfelt", "tender", "warm",
	"cold", "exciting", "interesting", "uninteresting", "happy", "sad",
	"best", "worst", "better", "worse", "remarkable", "stunning",
	"mesmerizing", "tiresome", "unfunny", "ridiculous", "absurd",
	"wretched", "flawed", "refreshing", "riveting", "gripping",
)

// negations are the words (and the "n't" ending, checked apart) that make
// a text already negated: the negation edit does not apply to it, since a
// double negation has no clear expected direction.
var negations = set(
	"not", "no", "never", "nothing", "nobody", "none", "neither", "nor",
	"cannot", "without", "nowhere", "hardly", "barely",
)

// intensifiers are what the intensifier edit inserts.
var intensifiers = []string{"very", "really", "extremely"}

// keywords are words the typo edit never touches, because a misspelt
// keyword could change the meaning, not just the spelling: negations and
// the stems of negative contractions ("doesn" of "doesn't"), intensifiers,
// sentiment adjectives and a few sentiment verbs and nouns.
var keywords = union(adjectives, negations, set(intensifiers...), set(
	"doesn", "didn", "isn", "wasn", "aren", "weren", "couldn", "wouldn",
	"shouldn", "hasn", "haven", "hadn", "mustn", "needn",
	"love", "loved", "loves", "hate", "hated", "hates", "like", "liked",
	"likes", "dislike", "enjoy", "enjoyed", "recommend", "waste", "mess",
	"masterpiece", "fail", "fails", "failed", "failure", "disaster",
	"worth", "worthless", "fine", "well", "much", "quite", "rather",
	"too", "so", "only", "just", "but", "although", "though", "however",
))

// Neutral names and places for the swap edit, in cycles: each maps to the
// next in its list (the last to the first), so the edit is deterministic
// and a male name stays male, a city a city. These are ordinary names and
// large cities that should not matter to a sentiment model; swaps that
// carry an identity (gender, ethnicity, nationality) are the business of
// the counterfactual package.
var (
	maleNames   = []string{"john", "michael", "david", "peter", "paul", "steven", "daniel", "thomas"}
	femaleNames = []string{"mary", "anna", "emma", "susan", "linda", "julia", "helen", "claire"}
	cities      = []string{"london", "paris", "berlin", "madrid", "rome", "chicago", "boston", "toronto", "new york", "los angeles"}
)

func set(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

func union(ms ...map[string]bool) map[string]bool {
	out := make(map[string]bool)
	for _, m := range ms {
		for w := range m {
			out[w] = true
		}
	}
	return out
}
