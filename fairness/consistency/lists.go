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

// Where the directional edits apply. Negation and intensifiers have an
// expected direction only when the sentiment of the text rests on the
// edited word; these lists are the rules that say so (see AddNegation and
// AddIntensifier).
var (
	// positiveAdjectives and negativeAdjectives split the evaluative
	// adjectives by polarity: a text holding both has no single direction.
	positiveAdjectives = set(
		"good", "great", "excellent", "amazing", "wonderful", "brilliant",
		"funny", "perfect", "beautiful", "fantastic", "enjoyable",
		"entertaining", "charming", "clever", "witty", "smart", "original",
		"gorgeous", "lovely", "moving", "touching", "powerful", "compelling",
		"engaging", "impressive", "nice", "fun", "thoughtful", "hilarious",
		"solid", "memorable", "satisfying", "intelligent", "inventive",
		"creative", "delightful", "superb", "heartfelt", "exciting",
		"interesting", "best", "better", "remarkable", "stunning",
		"mesmerizing", "refreshing", "riveting", "gripping", "affecting",
	)
	negativeAdjectives = set(
		"bad", "awful", "terrible", "boring", "dull", "poor", "horrible",
		"stupid", "silly", "tedious", "predictable", "weak", "lame", "bland",
		"disappointing", "mediocre", "pointless", "dumb", "ugly",
		"pretentious", "annoying", "painful", "forgettable", "clumsy",
		"dreadful", "lousy", "sloppy", "lifeless", "uninteresting", "worst",
		"worse", "tiresome", "unfunny", "ridiculous", "absurd", "wretched",
		"flawed",
	)
	// gradableAdjectives take any intensifier ("very dull"); extreme ones
	// only "really" ("really superb", never "very superb"). Comparatives,
	// superlatives, "perfect" and words whose evaluative sense depends on
	// the phrase ("fun" as a noun, "moving" as a verb, "original" of a
	// version, "sweet", "fresh", "warm", "sad") are in neither, so they
	// are never intensified.
	gradableAdjectives = set(
		"good", "funny", "beautiful", "enjoyable", "entertaining", "charming",
		"clever", "witty", "smart", "lovely", "touching", "powerful",
		"compelling", "engaging", "impressive", "nice", "thoughtful",
		"memorable", "satisfying", "intelligent", "inventive", "creative",
		"heartfelt", "exciting", "interesting", "refreshing", "bad", "boring",
		"dull", "poor", "stupid", "silly", "tedious", "predictable", "weak",
		"lame", "bland", "disappointing", "mediocre", "dumb", "ugly",
		"pretentious", "annoying", "painful", "forgettable", "clumsy",
		"sloppy", "uninteresting", "tiresome", "unfunny", "flawed",
	)
	extremeAdjectives = set(
		"great", "excellent", "amazing", "wonderful", "brilliant", "fantastic",
		"gorgeous", "hilarious", "superb", "stunning", "delightful",
		"remarkable", "mesmerizing", "riveting", "gripping", "awful",
		"terrible", "horrible", "dreadful", "lousy", "ridiculous", "absurd",
		"wretched", "pointless", "lifeless",
	)
	// copulas are the forms of "be" after which "not" negates the
	// predicate; contracted ones ("'s", "'re", "'m") only after a pronoun.
	copulas      = set("is", "are", "was", "were", "am", "'s", "'re", "'m", "’s", "’re", "’m")
	joinedCopula = set("it's", "that's", "he's", "she's", "there's", "what's", "this's", "you're", "we're", "they're", "i'm",
		"it’s", "that’s", "he’s", "she’s", "there’s", "what’s", "you’re", "we’re", "they’re", "i’m")
	copulaSubjects = set("it", "that", "he", "she", "there", "what", "this", "here", "you", "we", "they", "i")
	// linkingVerbs take a predicative adjective the intensifier may
	// strengthen ("seems dull" → "seems very dull").
	linkingVerbs = set("seems", "seem", "seemed", "feels", "feel", "felt", "looks", "look", "looked",
		"remains", "remain", "becomes", "become", "became", "sounds", "proves", "proved", "stays")
	// notPredicate follows a copula that is not the predicate's: "'s
	// been" is "has been", "is going to", "is to".
	notPredicate = set("been", "become", "got", "gotten", "going", "to", "had", "done", "made", "come", "gone", "taken")
	// contrastWords make the direction of an edit doubtful: "dull, but
	// fun" negated or intensified on one side says nothing clear about
	// the whole.
	contrastWords = set("but", "yet", "though", "although", "however", "while", "whereas", "despite", "except", "instead",
		"nevertheless", "nonetheless", "otherwise", "if", "unless", "than", "rather", "even", "only", "still", "almost",
		"when", "whenever", "too", "enough")
	// subordinators and relatives mark a subject that is not one: "the
	// film that he made is ..." puts the negation in the wrong clause. A
	// noun phrase's prepositions and "and" are allowed ("the acting in
	// this film is", "lathan and diggs are").
	subordinators = set("that", "which", "who", "whom", "whose", "where", "when", "because", "as", "since", "until",
		"whether", "like", "after", "before", "to", "or")
	// fragmentStoppers are words that make an opening noun phrase part
	// of a clause (a modal, a subject pronoun): such a text is not one
	// noun phrase to negate.
	fragmentStoppers = set("can", "could", "will", "would", "shall", "should", "may", "might", "must",
		"i", "we", "you", "he", "she", "they", "it")
	comparatives = set("better", "best", "worse", "worst")
	// predicateLead are the words that may stand between a copula and
	// the predicate's adjective.
	predicateLead = set("a", "an", "the", "so", "very", "really", "quite", "pretty", "truly", "just", "too", "most",
		"more", "genuinely", "simply", "such", "thoroughly", "utterly", "always", "often", "consistently", "also")
)
