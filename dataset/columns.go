package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// layout is where the columns are in a header (or a sorted JSONL key list).
type layout struct {
	text, label int // label is -1 when the file is read unlabelled
	groups      []int
}

func (l layout) names(have []string) Columns {
	c := Columns{Text: have[l.text]}
	if l.label >= 0 {
		c.Label = have[l.label]
	}
	for _, g := range l.groups {
		c.Groups = append(c.Groups, have[g])
	}
	return c
}

// find matches want against the names exactly, then case-insensitively
// with spaces trimmed (so "Text " in a hand-edited header still matches).
// An exact match wins even when it comes later, so a file with both "Label"
// and "label" is read as asked.
func find(have []string, want string) int {
	for i, h := range have {
		if h == want {
			return i
		}
	}
	want = strings.TrimSpace(want)
	for i, h := range have {
		if strings.EqualFold(strings.TrimSpace(h), want) {
			return i
		}
	}
	return -1
}

// resolve finds every column o asks for, and reports all missing ones at
// once so that one run shows every typo.
func resolve(have []string, o Options) (layout, error) {
	l := layout{text: -1, label: -1}
	var missing []string
	if o.TextCol != "" {
		if l.text = find(have, o.TextCol); l.text < 0 {
			missing = append(missing, fmt.Sprintf("text column %q", o.TextCol))
		}
	} else {
		for _, c := range DefaultTextCols {
			if l.text = find(have, c); l.text >= 0 {
				break
			}
		}
		if l.text < 0 {
			missing = append(missing, fmt.Sprintf("a text column (none of %s; name it with --text-col)", quoteList(DefaultTextCols)))
		}
	}
	if o.IgnoreLabels {
		if o.LabelCol != "" {
			return l, fmt.Errorf("label column %q given with IgnoreLabels", o.LabelCol)
		}
	} else if o.LabelCol != "" {
		if l.label = find(have, o.LabelCol); l.label < 0 {
			missing = append(missing, fmt.Sprintf("label column %q", o.LabelCol))
		}
	} else {
		l.label = find(have, DefaultLabelCol)
	}
	for k, g := range o.GroupCols {
		i := find(have, g)
		if i < 0 {
			role := "group"
			if k < len(o.GroupRoles) && o.GroupRoles[k] != "" {
				role = o.GroupRoles[k]
			}
			missing = append(missing, fmt.Sprintf("%s column %q", role, g))
		}
		l.groups = append(l.groups, i)
	}
	if len(missing) > 0 {
		return l, fmt.Errorf("%w: %s; the columns are %s", ErrMissingColumn, strings.Join(missing, ", "), quoteList(have))
	}
	if l.label >= 0 && l.label == l.text {
		return l, fmt.Errorf("the text and the label are the same column %q", have[l.text])
	}
	return l, nil
}

// labelSet maps label values to class indexes.
type labelSet struct {
	names []string
	index map[string]int // lower-cased name → class; the first name wins a clash
}

func newLabelSet(names []string) labelSet {
	s := labelSet{names: names, index: make(map[string]int, len(names))}
	for i, n := range names {
		k := strings.ToLower(strings.TrimSpace(n))
		if _, dup := s.index[k]; !dup {
			s.index[k] = i
		}
	}
	return s
}

// lookup maps a trimmed, non-empty label value to its class, or says why it
// cannot. Names are tried before indexes so that a model whose labels are
// themselves digits ("1", "2", "3", "4", "5" stars) maps them by name.
func (s labelSet) lookup(raw string) (int, string) {
	if i, ok := s.index[strings.ToLower(raw)]; ok {
		return i, ""
	}
	i, ok := parseIndex(raw)
	if ok && (len(s.names) == 0 || i < len(s.names)) {
		return i, ""
	}
	if len(s.names) == 0 {
		return -1, fmt.Sprintf("label %q is not a class index (0, 1, ...) and no label names are known to match it", raw)
	}
	return -1, fmt.Sprintf("unknown label %q: the labels are %s, or their indexes 0 to %d", raw, quoteList(s.names), len(s.names)-1)
}

// parseIndex reads a class index: a non-negative integer, also written as
// an integral float ("1.0", as pandas writes an int column with gaps).
func parseIndex(s string) (int, bool) {
	if i, err := strconv.Atoi(s); err == nil {
		return i, i >= 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// parseObject decodes one JSONL line. UTF-8 is checked first because
// encoding/json silently turns invalid bytes into U+FFFD.
func parseObject(line int, b []byte) (map[string]json.RawMessage, error) {
	if reason := checkUTF8("", string(b)); reason != "" {
		return nil, &RowError{Line: line, Reason: reason}
	}
	t := strings.TrimSpace(string(b))
	if t == "" || t[0] != '{' {
		return nil, &RowError{Line: line, Reason: fmt.Sprintf("not a JSON object: %s", clip(t))}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &RowError{Line: line, Reason: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err)}
		}
		return nil, &RowError{Line: line, Reason: fmt.Sprintf("invalid JSON: %v", err)}
	}
	return obj, nil
}

// lookup finds key in obj exactly, then case-insensitively; among several
// case-insensitive matches the smallest key wins, so the choice does not
// depend on map order.
func lookup(obj map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	best, found := "", false
	for k := range obj {
		if strings.EqualFold(k, key) && (!found || k < best) {
			best, found = k, true
		}
	}
	return obj[best], found
}

// scalar turns a JSON string, number or boolean into its text; null is
// reported as null with no text.
func scalar(raw json.RawMessage) (s string, null bool, err error) {
	if len(raw) == 0 {
		return "", true, nil
	}
	switch raw[0] {
	case '"':
		err = json.Unmarshal(raw, &s)
		return s, false, err
	case 'n':
		return "", true, nil
	case '{', '[':
		return "", false, fmt.Errorf("want a string, number or boolean, got %s", clip(string(raw)))
	}
	return string(raw), false, nil // number, true or false, already valid JSON
}

// checkUTF8 says where s stops being UTF-8, naming the column (if any), or
// returns "". The usual cause is a Latin-1 or Windows-1252 export, so the
// message says how to convert it.
func checkUTF8(col, s string) string {
	if utf8.ValidString(s) {
		return ""
	}
	off := 0
	for off < len(s) {
		r, n := utf8.DecodeRuneInString(s[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	where := "the line"
	if col != "" {
		where = fmt.Sprintf("column %q", col)
	}
	return fmt.Sprintf("%s is not valid UTF-8 (byte 0x%02X at offset %d); if the file is Latin-1, convert it with iconv -f latin1 -t utf-8", where, s[off], off)
}

// clip shortens a value for an error message.
func clip(s string) string {
	const maxLen = 40
	if len(s) <= maxLen {
		return s
	}
	cut := maxLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// quoteList writes names as "a", "b", "c", eliding after the first 30 so a
// 500-column file does not flood the terminal.
func quoteList(names []string) string {
	const maxNames = 30
	var b strings.Builder
	for i, n := range names {
		if i == maxNames {
			fmt.Fprintf(&b, " and %d more", len(names)-maxNames)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(n))
	}
	if len(names) == 0 {
		return "(none)"
	}
	return b.String()
}

// LabelIndex maps a label value as the reader maps a label cell: a name
// from names (case-insensitive, trimmed), else a class index below
// len(names). The error names the value and the labels. Audits of given
// outputs read predicted labels with it, so a prediction column accepts
// exactly what the label column does.
func LabelIndex(names []string, raw string) (int, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return -1, errors.New("empty label")
	}
	i, why := newLabelSet(names).lookup(raw)
	if why != "" {
		return -1, errors.New(why)
	}
	return i, nil
}
