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
// Matching is by whole words, case-insensitive; the replacement takes the
// case pattern of the word it replaces (He → She, HE → SHE). Words are runs
// of letters, digits and combining marks, so "he's", "(she)" and "him." all
// match and "the" never matches inside "theme".
//
// The built-in families are our own short lists. They are proxies, not
// facts about people: a given name says nothing certain about anyone's
// gender or ethnicity, and words such as "old", "french" or "christian"
// have other senses ("an old film", "french fries", Christian Bale). The
// audit measures how the model reacts to the words, nothing more.
//
// Audit scores texts in batches as they stream in; its memory is bounded
// by the number of (term → replacement) pairs seen plus the K worst
// examples it keeps for later explanation.
package counterfactual
