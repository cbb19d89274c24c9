// Package counterfactual audits a text classifier for sensitivity to
// identity terms. Every text that mentions a term of a family (gender,
// given names, religion, nationality, age, or families read from a file) is
// rewritten with the term swapped for its counterpart in each other group
// of the family ("he" → "she", "church" → "mosque"), and the change in the
// target label's probability is measured. A fair model moves little; large
// moves point at learnt associations worth explaining.
//
// A family is a set of groups of interchangeable terms, aligned by
// position: the i-th term of one group corresponds to the i-th term of
// every other group. One swap replaces every occurrence of one term (in any
// letter case) by one counterpart, so each measured change is due to exactly
// one (term → replacement) pair, and swapping back restores the text.
//
// Swaps stay grammatical and on one axis. A gender swap changes one
// person: the name (within its ethnicity-associated group, to a name of
// the other gender: names_gender_<group>) or the gendered word, the title
// and the pronouns that refer to that person, together; a text that
// mentions two people, both genders, a name no list swaps, or a "her"
// whose role (object or possessive) its next word does not tell is not
// swapped, and CounterfactualsWithSkips says why. Articles follow the new
// word ("an old film" → "a young film"), and given names also swap across
// ethnicity-associated groups within one gender (names_ethnicity_female,
// names_ethnicity_male); see Counterfactuals.
//
// Matching is by whole words, case-insensitive; the replacement takes the
// case pattern of the word it replaces (He → She, HE → SHE). Words are runs
// of letters, digits and combining marks, so "he's", "(she)" and "him." all
// match and "the" never matches inside "theme".
//
// The built-in families are our own lists (SOURCES.md). They are proxies, not
// facts about people: a given name says nothing certain about anyone's
// gender or ethnicity, and words such as "old", "french" or "christian"
// have other senses ("an old film", "french fries", Christian Bale). The
// audit measures how the model reacts to the words, nothing more.
//
// Audit scores texts in batches as they stream in. Each direction (family,
// group A → group B) gets a paired analysis of the signed Δp with one
// difference per text (t interval, sign, paired t and Wilcoxon tests),
// Holm-corrected across the family's directions and judged by stats.Decide
// against Config.Tolerance; flip rates get Wilson intervals and an exact
// test against Config.FlipTolerance. Memory is bounded by the number of
// (term → replacement) pairs and directions seen, a sample of at most
// Config.ReservoirSize differences per direction, and the K worst
// examples kept for later explanation.
//
// An Audit is mergeable state: audits of parts of a stream (on other
// workers, say) combine with Merge, and travel with MarshalBinary and
// UnmarshalBinary, into the result one audit of the whole stream gives,
// byte for byte. Every choice that could depend on arrival order is made
// by content instead: the Wilcoxon sample keeps the texts with the
// smallest hash (bottom-k), the worst examples break ties in |Δp| by
// their text, and sums are exact (see Audit).
package counterfactual
