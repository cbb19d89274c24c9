package suite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"strings"
)

// The kinds of test.
const (
	MFT = "mft"
	INV = "inv"
	DIR = "dir"
)

// Limits on expansion, checked before any text is generated.
const (
	// DefaultMaxCases is a test's case limit when neither the test nor
	// the suite sets one.
	DefaultMaxCases = 500
	// MaxMaxCases is the largest case limit a suite may ask for.
	MaxMaxCases = 100000
	// MaxGroupSize is the most expansions one INV or DIR case may hold
	// (the product of its varied slots' lexicon sizes).
	MaxGroupSize = 100
)

// Suite is a file of tests (JSON; see README, "Your own test suites").
type Suite struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Target is the label whose probability INV tests measure when a test
	// names none (default: a label named "positive", else the last).
	Target string `json:"target,omitempty"`
	// Seed seeds the sampling of tests that expand beyond their limit;
	// 0 means the audit's seed.
	Seed uint64 `json:"seed,omitempty"`
	// MaxCases is every test's case limit unless the test sets its own
	// (default DefaultMaxCases).
	MaxCases int `json:"max_cases,omitempty"`
	// Lexicons fill the {slot}s of every test's templates.
	Lexicons map[string][]string `json:"lexicons"`
	Tests    []Test              `json:"tests"`
}

// Test is one test of a suite.
type Test struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Type is "mft", "inv" or "dir".
	Type      string   `json:"type"`
	Templates []string `json:"templates"`
	// Lexicons are the test's own, shadowing the suite's of the same name.
	Lexicons map[string][]string `json:"lexicons,omitempty"`
	// Vary names the slots that vary within a case of an INV or DIR test;
	// each must appear in every template. The expansion with each at its
	// lexicon's first value is the case's reference.
	Vary []string `json:"vary,omitempty"`
	// Label is the expected label (MFT), the label whose probability
	// must move (DIR), or the label measured (INV; default the suite's
	// Target).
	Label string `json:"label,omitempty"`
	// Direction is "up" or "down" (DIR only).
	Direction string `json:"direction,omitempty"`
	// MaxCases overrides the suite's case limit for this test.
	MaxCases int `json:"max_cases,omitempty"`
}

// Load reads a suite from JSON; name names the source in errors. Unknown
// fields are errors, so a misspelt key is not silently ignored.
func Load(r io.Reader, name string) (*Suite, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20+1))
	if err != nil {
		return nil, fmt.Errorf("suite %s: %w", name, err)
	}
	if len(data) > 64<<20 {
		return nil, fmt.Errorf("suite %s: larger than 64 MiB", name)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Suite
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("suite %s: %w", name, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("suite %s: more than one JSON value", name)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("suite %s: %w", name, err)
	}
	return &s, nil
}

// Validate checks everything that does not need the model's labels: test
// names and types, templates and their slots, lexicons and limits.
func (s *Suite) Validate() error {
	if len(s.Tests) == 0 {
		return fmt.Errorf("no tests")
	}
	if s.MaxCases < 0 || s.MaxCases > MaxMaxCases {
		return fmt.Errorf("max_cases %d: want 1 to %d (0 for the default %d)", s.MaxCases, MaxMaxCases, DefaultMaxCases)
	}
	seen := map[string]bool{}
	for i := range s.Tests {
		t := &s.Tests[i]
		if strings.TrimSpace(t.Name) == "" {
			return fmt.Errorf("test %d has no name", i+1)
		}
		if seen[t.Name] {
			return fmt.Errorf("test %q is listed twice", t.Name)
		}
		seen[t.Name] = true
		if _, err := s.plan(t); err != nil {
			return fmt.Errorf("test %q: %w", t.Name, err)
		}
	}
	return nil
}

// template is a parsed template: literal parts around slot references.
type template struct {
	src   string
	parts []string // len(slots)+1 literals around refs
	refs  []string // slot name of each reference
	slots []string // distinct slots, in order of first appearance
}

// parseTemplate splits src at {slot} references; "{{" and "}}" are
// literal braces.
func parseTemplate(src string) (template, error) {
	t := template{src: src}
	var lit strings.Builder
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '{' && i+1 < len(src) && src[i+1] == '{', c == '}' && i+1 < len(src) && src[i+1] == '}':
			lit.WriteByte(c)
			i++
		case c == '{':
			end := strings.IndexByte(src[i+1:], '}')
			if end < 0 {
				return t, fmt.Errorf("template %q: \"{\" at byte %d is not closed (write \"{{\" for a literal brace)", src, i)
			}
			name := src[i+1 : i+1+end]
			if !validSlot(name) {
				return t, fmt.Errorf("template %q: slot name %q: want letters, digits and _", src, name)
			}
			t.parts = append(t.parts, lit.String())
			lit.Reset()
			t.refs = append(t.refs, name)
			if !contains(t.slots, name) {
				t.slots = append(t.slots, name)
			}
			i += end + 1
		case c == '}':
			return t, fmt.Errorf("template %q: lone \"}\" at byte %d (write \"}}\" for a literal brace)", src, i)
		default:
			lit.WriteByte(c)
		}
	}
	t.parts = append(t.parts, lit.String())
	return t, nil
}

func validSlot(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// fill writes the template with each slot's value.
func (t *template) fill(values map[string]string) string {
	var b strings.Builder
	for i, ref := range t.refs {
		b.WriteString(t.parts[i])
		b.WriteString(values[ref])
	}
	b.WriteString(t.parts[len(t.parts)-1])
	return b.String()
}

// plan is a test made ready to expand: its templates, the lexicon of
// every slot, which slots are fixed within a case (those indexed by the
// case number) and which vary, the case count per template and the limit.
type plan struct {
	templates []template
	lex       map[string][]string
	fixed     [][]string // per template, its fixed slots
	vary      []string
	counts    []uint64 // cases per template
	total     uint64
	groupSize int
	limit     int
}

// plan checks a test and works out its expansion.
func (s *Suite) plan(t *Test) (*plan, error) {
	switch t.Type {
	case MFT:
		if t.Label == "" {
			return nil, fmt.Errorf("an mft test needs the expected label (\"label\")")
		}
		if len(t.Vary) > 0 || t.Direction != "" {
			return nil, fmt.Errorf("an mft test takes no \"vary\" or \"direction\"")
		}
	case INV:
		if t.Direction != "" {
			return nil, fmt.Errorf("an inv test takes no \"direction\"")
		}
	case DIR:
		if t.Label == "" {
			return nil, fmt.Errorf("a dir test needs the label whose probability moves (\"label\")")
		}
		if t.Direction != "up" && t.Direction != "down" {
			return nil, fmt.Errorf("direction %q: want \"up\" or \"down\"", t.Direction)
		}
	default:
		return nil, fmt.Errorf("type %q: want \"mft\", \"inv\" or \"dir\"", t.Type)
	}
	if (t.Type == INV || t.Type == DIR) && len(t.Vary) == 0 {
		return nil, fmt.Errorf("an %s test needs \"vary\": the slots whose values should (%s) change the prediction", t.Type, map[string]string{INV: "not", DIR: "in one direction"}[t.Type])
	}
	if len(t.Templates) == 0 {
		return nil, fmt.Errorf("no templates")
	}
	limit := t.MaxCases
	if limit == 0 {
		limit = s.MaxCases
	}
	if limit == 0 {
		limit = DefaultMaxCases
	}
	if limit < 0 || limit > MaxMaxCases {
		return nil, fmt.Errorf("max_cases %d: want 1 to %d", t.MaxCases, MaxMaxCases)
	}
	p := &plan{lex: map[string][]string{}, vary: t.Vary, limit: limit, groupSize: 1}
	lexicon := func(name string) ([]string, error) {
		vs, ok := t.Lexicons[name]
		if !ok {
			vs, ok = s.Lexicons[name]
		}
		if !ok {
			return nil, fmt.Errorf("slot {%s} has no lexicon", name)
		}
		if len(vs) == 0 {
			return nil, fmt.Errorf("lexicon %q is empty", name)
		}
		seen := make(map[string]bool, len(vs))
		for _, v := range vs {
			if seen[v] {
				return nil, fmt.Errorf("lexicon %q lists %q twice", name, v)
			}
			seen[v] = true
		}
		return vs, nil
	}
	for k, v := range t.Vary {
		if contains(t.Vary[:k], v) {
			return nil, fmt.Errorf("\"vary\" lists %q twice", v)
		}
		vs, err := lexicon(v)
		if err != nil {
			return nil, err
		}
		p.lex[v] = vs
		if p.groupSize > MaxGroupSize/len(vs) {
			return nil, fmt.Errorf("the varied slots %q give more than %d expansions per case", t.Vary, MaxGroupSize)
		}
		p.groupSize *= len(vs)
	}
	if len(t.Vary) > 0 && p.groupSize < 2 {
		return nil, fmt.Errorf("the varied slots %q have one value in all: nothing varies", t.Vary)
	}
	for _, src := range t.Templates {
		tp, err := parseTemplate(src)
		if err != nil {
			return nil, err
		}
		for _, v := range t.Vary {
			if !contains(tp.slots, v) {
				return nil, fmt.Errorf("template %q does not use the varied slot {%s}", src, v)
			}
		}
		var fixed []string
		count := uint64(1)
		for _, sl := range tp.slots {
			vs, err := lexicon(sl)
			if err != nil {
				return nil, fmt.Errorf("template %q: %w", src, err)
			}
			p.lex[sl] = vs
			if contains(t.Vary, sl) {
				continue
			}
			fixed = append(fixed, sl)
			hi, lo := bits.Mul64(count, uint64(len(vs)))
			if hi != 0 || lo > 1<<62 {
				return nil, fmt.Errorf("template %q expands to more than 2^62 cases", src)
			}
			count = lo
		}
		p.templates = append(p.templates, tp)
		p.fixed = append(p.fixed, fixed)
		p.counts = append(p.counts, count)
		if p.total+count > 1<<62 {
			return nil, fmt.Errorf("the templates expand to more than 2^62 cases")
		}
		p.total += count
	}
	return p, nil
}

// caseTexts is case number i (0 ≤ i < total): its texts, the reference
// first for INV and DIR.
func (p *plan) caseTexts(i uint64) []string {
	ti := 0
	for i >= p.counts[ti] {
		i -= p.counts[ti]
		ti++
	}
	tp := &p.templates[ti]
	values := make(map[string]string, len(tp.slots))
	// Mixed radix, the last fixed slot fastest.
	fixed := p.fixed[ti]
	for k := len(fixed) - 1; k >= 0; k-- {
		vs := p.lex[fixed[k]]
		values[fixed[k]] = vs[i%uint64(len(vs))]
		i /= uint64(len(vs))
	}
	out := make([]string, 0, p.groupSize)
	for g := 0; g < p.groupSize; g++ {
		j := g
		for k := len(p.vary) - 1; k >= 0; k-- {
			vs := p.lex[p.vary[k]]
			values[p.vary[k]] = vs[j%len(vs)]
			j /= len(vs)
		}
		out = append(out, tp.fill(values))
	}
	return out
}
