package augment

import (
	"bytes"
	"encoding/json"
)

// jsonKeys returns the top-level keys of the JSON object on line (which
// the dataset reader has accepted).
func jsonKeys(line []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(line))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		if k, ok := t.(string); ok {
			keys = append(keys, k)
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}
