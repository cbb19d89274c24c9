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
// Audit scores texts in batches as they stream in. In a family of terms
// (gender, religion, …) each term has its one counterpart per group; in a
// name family (IsNameFamily) the alignment of names means nothing, so each
// name is paired with every name of each other group, or with a seeded
// subset of Config.Partners of them (PartnersOf).
//
// Each direction (family, group A → group B) is judged by stats.Decide
// against Config.Tolerance, on evidence whose unit of replication is
// stated (Design), with every test that can fail a family (each
// direction's signed and flip tests, the family's pooled flip test) in
// one Holm family:
//
//   - in a family of terms, the text: one signed Δp per text (its mean
//     over the text's swaps in the direction), t interval and paired t
//     over texts, with sign and Wilcoxon tests beside; the flip rate is
//     tested one-sided against Config.FlipTolerance over the texts' flip
//     rates;
//   - in a name family, the name: Δp averaged per source name and per
//     partner name, the estimate the mean of the source-name means, and a
//     two-way cluster-robust interval over the two sets of names (Student's
//     t, Welch–Satterthwaite degrees of freedom); flip rates likewise over
//     names (Clustered). A name repeated across hundreds of templates is
//     one name, so one name's effect cannot make a family FAIL.
//
// No check is more confident than counting swaps (or texts) as
// independent would be: a name check's interval is widened to the one
// over texts, every flip check's to the Wilson interval over swaps, and
// each takes the larger p, so no interval is zero-width because a few
// units agree.
//
// Each direction is also broken down by term kind (pronoun, title, other
// term) and, for texts added with AddFramed, by frame (Result.Strata), so
// strata pulling in opposite directions are visible; the breakdown is
// descriptive. Memory is bounded by the number of (term → replacement)
// pairs and directions seen (in a name family: names × partners), strata
// (kinds and frames) per direction, a sample of at most
// Config.ReservoirSize differences per direction, and the K worst examples
// kept for later explanation.
//
// An Audit is mergeable state: audits of parts of a stream (on other
// workers, say) combine with Merge, and travel with MarshalBinary and
// UnmarshalBinary, into the result one audit of the whole stream gives,
// byte for byte. Every choice that could depend on arrival order is made
// by content instead: the Wilcoxon sample keeps the texts with the
// smallest hash (bottom-k), the worst examples break ties in |Δp| by
// their text, and sums are exact (see Audit).
package counterfactual
