package counterfactual

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/lucid-nlp/lucid/internal/readcap"
)

// Family is a set of groups of interchangeable terms aligned by position:
// Groups[g].Terms[i] corresponds to Groups[h].Terms[i]. An empty term is an
// empty slot: that group has no counterpart at that position (atheism has
// no place of worship), so no term is swapped into it there.
//
// A term may appear more than once. Each term is read at its first
// position (groups in order, then terms in order) and maps from there: in
// the gender family "her" is listed for both "his" and "him", and is read
// as the possessive, so "her" → "his". A term listed in two groups belongs
// to the first; if its counterpart is itself, its swap leaves the text as
// it was (up to the letter case of a mixed-case occurrence such as "hE").
//
// Build families with NewFamily, or take them from Families or
// LoadFamilies, so the term index is built once; a Family written as a
// literal works too, indexed on each use.
type Family struct {
	Name   string
	Groups []Group
	idx    *index
}

// Group is one side of a family: its terms, in the family's order, and
// the gender they name, if any. A swap between groups of different genders
// also swaps the gendered pronouns of the sentences it touches.
type Group struct {
	Name   string
	Terms  []string
	Gender Gender
}

// NewFamily checks a family and indexes its terms. Terms are matched
// case-insensitively; they must start and end with a letter or digit
// ("he", "old man", "middle-aged"; not "mr." or "'s").
func NewFamily(name string, groups ...Group) (Family, error) {
	f := Family{Name: name, Groups: groups}
	if err := f.Validate(); err != nil {
		return Family{}, err
	}
	f.idx = buildIndex(f)
	return f, nil
}

// Validate reports the first problem with the family: no name, fewer than
// two groups, groups of different lengths, a malformed term, a group with
// no terms, a group without a name or with another group's name, or a
// position with a term in only one group.
func (f Family) Validate() error {
	if strings.TrimSpace(f.Name) == "" {
		return errors.New("counterfactual: family has no name")
	}
	if len(f.Groups) < 2 {
		return fmt.Errorf("counterfactual: family %q has %d group(s), want at least 2", f.Name, len(f.Groups))
	}
	n := len(f.Groups[0].Terms)
	if n == 0 {
		return fmt.Errorf("counterfactual: family %q: group 1 (%q) has no terms", f.Name, f.Groups[0].Name)
	}
	seen := make(map[string]int, len(f.Groups))
	for g, grp := range f.Groups {
		if strings.TrimSpace(grp.Name) == "" {
			return fmt.Errorf("counterfactual: family %q: group %d has no name", f.Name, g+1)
		}
		if h, dup := seen[grp.Name]; dup {
			return fmt.Errorf("counterfactual: family %q: groups %d and %d are both named %q", f.Name, h+1, g+1, grp.Name)
		}
		seen[grp.Name] = g
		if grp.Gender != "" && grp.Gender != Male && grp.Gender != Female {
			return fmt.Errorf("counterfactual: family %q: group %d (%q) has gender %q, want %q, %q or none", f.Name, g+1, grp.Name, grp.Gender, Male, Female)
		}
		if len(grp.Terms) != n {
			return fmt.Errorf("counterfactual: family %q: group %d (%q) has %d terms, group 1 (%q) has %d; groups are aligned by position and must be the same length",
				f.Name, g+1, grp.Name, len(grp.Terms), f.Groups[0].Name, n)
		}
		nonEmpty := 0
		for i, t := range grp.Terms {
			if strings.TrimSpace(t) == "" {
				continue
			}
			nonEmpty++
			if err := checkTerm(t); err != nil {
				return fmt.Errorf("counterfactual: family %q: group %d (%q), term %d %q: %w", f.Name, g+1, grp.Name, i+1, t, err)
			}
		}
		if nonEmpty == 0 {
			return fmt.Errorf("counterfactual: family %q: group %d (%q) has only empty terms", f.Name, g+1, grp.Name)
		}
	}
	for i := range n {
		filled := 0
		for _, grp := range f.Groups {
			if strings.TrimSpace(grp.Terms[i]) != "" {
				filled++
			}
		}
		if filled < 2 {
			return fmt.Errorf("counterfactual: family %q: position %d has a term in %d group(s); a term needs a counterpart in at least one other group", f.Name, i+1, filled)
		}
	}
	return nil
}

func checkTerm(t string) error {
	t = strings.TrimSpace(t)
	first, last := []rune(t)[0], []rune(t)[len([]rune(t))-1]
	if !isWordRune(first) || !isWordRune(last) {
		return errors.New("must start and end with a letter or digit")
	}
	if strings.ContainsFunc(t, func(r rune) bool { return r == '\n' || r == '\r' || r == '\t' }) {
		return errors.New("must be on one line with single spaces between words")
	}
	return nil
}

// Families returns the built-in families, in a fixed order: gender, the
// name families (names_ethnicity_female, names_ethnicity_male, then
// names_gender_<group> for each ethnicity-associated group), religion,
// nationality, age. SOURCES.md records where each list comes from.
func Families() []Family {
	out := make([]Family, len(builtin))
	for i, b := range builtin {
		f, err := NewFamily(b.Name, b.Groups...)
		if err != nil {
			// The lists are ours and tested; a failure here is a bug.
			panic(err)
		}
		out[i] = f
	}
	return out
}

// SelectFamilies returns the families of fams with the given names, in the
// order asked. A name that is no family's but prefixes some families'
// names before an underscore selects all of them, in their order: "names"
// selects every names_… family. An unknown name is an error listing the
// known ones.
func SelectFamilies(fams []Family, names ...string) ([]Family, error) {
	out := make([]Family, 0, len(names))
	for _, n := range names {
		found := false
		for _, f := range fams {
			if strings.EqualFold(f.Name, n) {
				out = append(out, f)
				found = true
				break
			}
		}
		if !found {
			for _, f := range fams {
				if len(f.Name) > len(n) && strings.EqualFold(f.Name[:len(n)+1], n+"_") {
					out = append(out, f)
					found = true
				}
			}
		}
		if !found {
			known := make([]string, len(fams))
			for i, f := range fams {
				known[i] = f.Name
			}
			return nil, fmt.Errorf("counterfactual: no family %q (have %s)", n, strings.Join(known, ", "))
		}
	}
	return out, nil
}

// LoadFamilies reads families from a JSON file of the form
//
//	{
//	  "gender-extra": [["actor", "actors"], ["actress", "actresses"]],
//	  "city":         [["london"], ["paris"], ["lagos"]]
//	}
//
// Each key is a family; its value is a list of groups, each a list of
// terms, aligned by position across groups (here actor ↔ actress and
// actors ↔ actresses). An empty string is an empty slot (no counterpart in
// that group). Groups are named after their first non-empty term. Families
// come back sorted by name. Every problem is reported with the file, the
// family and, where it applies, the group and term.
func LoadFamilies(path string) ([]Family, error) {
	data, err := readcap.ReadFile(context.Background(), path, "families file", readcap.MaxFamiliesBytes)
	if err != nil {
		return nil, fmt.Errorf("counterfactual: reading families: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw map[string][][]string
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("counterfactual: families file %s: %w (want {\"family\": [[\"a1\", \"a2\"], [\"b1\", \"b2\"]]})", path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("counterfactual: families file %s: data after the JSON object", path)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("counterfactual: families file %s defines no families", path)
	}
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]Family, 0, len(names))
	for _, n := range names {
		groups := make([]Group, len(raw[n]))
		used := make(map[string]bool, len(groups))
		for g, terms := range raw[n] {
			name := groupName(terms, g)
			if used[name] {
				// Two groups may open with the same term; names must differ.
				name = fmt.Sprintf("%s (group %d)", name, g+1)
			}
			used[name] = true
			groups[g] = Group{Name: name, Terms: terms}
		}
		f, err := NewFamily(n, groups...)
		if err != nil {
			return nil, fmt.Errorf("%w (in %s)", err, path)
		}
		out = append(out, f)
	}
	return out, nil
}

func groupName(terms []string, g int) string {
	for _, t := range terms {
		if t = strings.TrimSpace(t); t != "" {
			return strings.ToLower(t)
		}
	}
	return fmt.Sprintf("group %d", g+1)
}

// isWordRune says what a word is made of: letters, digits and combining
// marks. Everything else (spaces, punctuation, apostrophes, hyphens) ends a
// word, so "he's" holds the word "he" and "anti-muslim" the word "muslim".
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}
