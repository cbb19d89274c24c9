package counterfactual

import (
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSwap checks, for arbitrary text, that every swap is valid UTF-8 when
// the text is, and that it changes nothing but the matched term's
// occurrences and the agreements it reports: outside Spans and Agreements
// the swapped text is the original byte for byte, each replaced span holds
// the term, and each agreement rewrites an article, a gendered pronoun, a
// possessive apostrophe, or (in a person-level gender swap) another
// gendered word or title of the same person into a gendered word.
func FuzzSwap(f *testing.F) {
	for _, s := range []string{
		"He said his dog likes him.", "I made her feel angry.", "an old film", "AN OLD MAN",
		"James' car", "Mr. Smith and his wife.\nShe left.", "The book is his.", "an American film",
		"Emily hurt herself and her friend.", "the boys' toys", "her in-laws", "\xff he \xfe her",
		"Mr. James lost his car.", "Ms. Lee lost her car.", "Lady Smith and her dog.", "Alonzo found himself.",
		"She is a mother of two and her kids adore her.", "The conversation with her was …",
	} {
		f.Add(s)
	}
	fams := Families()
	// gendered holds the words a person-level swap may rewrite besides
	// the term: pronouns, the gender family's words, titles and names.
	gendered := map[string]bool{}
	for _, f := range mustSelectF(f, "gender", "names_gender") {
		for _, g := range f.Groups {
			for _, term := range g.Terms {
				gendered[term] = true
			}
		}
	}
	for k, v := range titleSwap {
		gendered[k], gendered[v] = true, true
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, s := range Counterfactuals(text, fams) {
			if utf8.ValidString(text) && !utf8.ValidString(s.Text) {
				t.Fatalf("%s %s→%s: invalid UTF-8 %q from %q", s.Family, s.Term, s.Replacement, s.Text, text)
			}
			if len(s.Spans) == 0 || len(s.Spans) != len(s.NewSpans) || len(s.Agreements) != len(s.NewAgreements) {
				t.Fatalf("span counts: %+v", s)
			}
			type pair struct {
				old, new Span
				term     bool
			}
			var ps []pair
			for k := range s.Spans {
				ps = append(ps, pair{s.Spans[k], s.NewSpans[k], true})
			}
			for k := range s.Agreements {
				ps = append(ps, pair{s.Agreements[k], s.NewAgreements[k], false})
			}
			sort.Slice(ps, func(i, j int) bool { return ps[i].old.Start < ps[j].old.Start })
			po, pn := 0, 0
			for _, p := range ps {
				if p.old.Start < po || p.new.Start < pn || p.old.End > len(text) || p.new.End > len(s.Text) {
					t.Fatalf("spans out of order or range in %q → %q: %+v", text, s.Text, ps)
				}
				if text[po:p.old.Start] != s.Text[pn:p.new.Start] {
					t.Fatalf("text outside the edits changed: %q → %q (%+v)", text, s.Text, ps)
				}
				old, nw := text[p.old.Start:p.old.End], s.Text[p.new.Start:p.new.End]
				if !utf8.ValidString(nw) {
					t.Fatalf("invalid replacement %q", nw)
				}
				switch {
				case p.term:
					if strings.Join(strings.Fields(strings.ToLower(old)), " ") != strings.Join(strings.Fields(s.Term), " ") &&
						!strings.EqualFold(strings.Join(strings.Fields(old), " "), s.Term) {
						t.Fatalf("replaced %q, not the term %q", old, s.Term)
					}
					if !strings.EqualFold(nw, s.Replacement) {
						t.Fatalf("wrote %q, not the replacement %q", nw, s.Replacement)
					}
				case pronouns[strings.ToLower(old)]:
					if !pronouns[strings.ToLower(nw)] {
						t.Fatalf("pronoun %q became %q", old, nw)
					}
				case gendered[strings.ToLower(old)]:
					if !gendered[strings.ToLower(nw)] {
						t.Fatalf("gendered word %q became %q in %q", old, nw, text)
					}
				case strings.EqualFold(old, "a") || strings.EqualFold(old, "an"):
					if !strings.EqualFold(nw, "a") && !strings.EqualFold(nw, "an") {
						t.Fatalf("article %q became %q", old, nw)
					}
				case old == "'" || old == "’":
					if !strings.EqualFold(nw, old+"s") {
						t.Fatalf("apostrophe %q became %q", old, nw)
					}
				default:
					t.Fatalf("unexpected agreement %q → %q in %q", old, nw, text)
				}
				po, pn = p.old.End, p.new.End
			}
			if text[po:] != s.Text[pn:] {
				t.Fatalf("tail changed: %q → %q", text, s.Text)
			}
		}
	})
}

func mustSelectF(f *testing.F, names ...string) []Family {
	fs, err := SelectFamilies(Families(), names...)
	if err != nil {
		f.Fatal(err)
	}
	return fs
}
