package models

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// A config.json (or tokenizer.json) that is a device or FIFO is refused
// by name rather than read without end.
func TestFolderRefusesDeviceFiles(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	for _, f := range []string{ModelFile, TokenizerFile} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, ConfigFile)); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFolder(dir)
	if err == nil || !strings.Contains(err.Error(), ConfigFile) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("error %v: want config.json refused as not a regular file", err)
	}
}

// A config.json over its cap is refused with the cap named.
func TestFolderConfigCap(t *testing.T) {
	big := make([]byte, 16<<20+1)
	for i := range big {
		big[i] = ' '
	}
	fsys := fstest.MapFS{ModelFile: {Data: []byte("x")}, TokenizerFile: {Data: []byte("{}")}, ConfigFile: {Data: big}}
	_, err := ReadFolderFS(fsys, "big")
	if err == nil || !strings.Contains(err.Error(), "16 MiB") {
		t.Fatalf("error %v: want the 16 MiB cap named", err)
	}
}

// FuzzConfig reads config.json variants: a folder or an error, never a
// panic, and labels that are a usable list, or none only where config.json
// names none (the graph's output size then gives LABEL_i).
func FuzzConfig(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join(DefaultName, ConfigFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"id2label":{"0":"NEG","1":"POS"},"max_position_embeddings":512}`))
	f.Add([]byte(`{"id2label":{"1000000000":"x"}}`))
	f.Add([]byte(`{"id2label":{"-1":"x","0":"y"},"model_type":"roberta","max_position_embeddings":1}`))
	f.Add([]byte(`{"id2label":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{ModelFile: {Data: []byte("x")}, TokenizerFile: {Data: []byte("{}")}, ConfigFile: {Data: data}}
		folder, err := ReadFolderFS(fsys, "fuzz")
		if err != nil {
			return
		}
		if len(folder.Labels) == 0 && !folder.DefaultLabels {
			t.Fatalf("a folder with no labels from %q", data)
		}
		for i, l := range folder.Labels {
			if strings.TrimSpace(l) == "" {
				t.Fatalf("label %d is empty from %q", i, data)
			}
		}
	})
}
