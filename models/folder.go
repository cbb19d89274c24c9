package models

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/internal/readcap"
)

// Files of the contract.
const (
	ModelFile     = "model.onnx"
	TokenizerFile = "tokenizer.json"
	ConfigFile    = "config.json"
)

// DefaultName is the folder name of the model that ships with Lucid.
const DefaultName = "sst2-mini-bert"

// ModelEnv names the environment variable that overrides the default model.
const ModelEnv = "LUCID_MODEL"

// Folder is a model folder that satisfies the contract.
type Folder struct {
	// Dir is the folder's path on disk, or for a folder held in a file
	// system (the embedded default model) its name, as messages show it.
	Dir string
	// FS holds the folder's files when it is not a folder on disk (the
	// default model embedded in the binary); nil for a folder on disk.
	FS fs.FS
	// Labels are config.json's id2label names; without id2label they are
	// LABEL_0..LABEL_{n-1} from num_labels (DefaultLabels is then true),
	// or nil when neither says and the graph's output size decides.
	Labels []string
	// DefaultLabels is true when config.json has no id2label (transformers
	// omits it for LABEL_0, LABEL_1, ...) and the names are LABEL_i.
	DefaultLabels bool
	// Head says how logits become probabilities: config.json's
	// problem_type, or SetHead's override. HeadSet is false when neither
	// said; the model then follows transformers' rule (one output is a
	// regression head, more are single-label).
	Head    engine.Head
	HeadSet bool
	// MaxLength is the longest token sequence the model takes
	// (max_position_embeddings, 512 when config.json does not say).
	MaxLength int
	ModelType string
	// Hidden, Heads and Intermediate are the network's hidden size,
	// attention heads and feed-forward width from config.json (BERT's or
	// DistilBERT's names), 0 where it does not say. They size memory
	// estimates; nothing else depends on them.
	Hidden, Heads, Intermediate int
	// PositionEmbeddings is config.json's max_position_embeddings, 0 when
	// it does not say.
	PositionEmbeddings int
}

// positionOffset is how many position rows a model family reserves before
// the first token: RoBERTa-family models count positions from pad+1.
func (f *Folder) positionOffset() int {
	switch f.ModelType {
	case "roberta", "xlm-roberta", "camembert":
		return 2
	}
	return 0
}

// checkPositions compares the sequence length config.json promises with
// the graph's position-embedding table (rows, 0 when unknown): a config
// that promises more would fail inside ONNX Runtime on the first long
// text, so it is refused here with both numbers. A config that does not
// say takes the graph's size.
func (f *Folder) checkPositions(rows int) error {
	if rows <= 0 {
		return nil
	}
	if f.PositionEmbeddings == 0 {
		f.MaxLength = min(f.MaxLength, rows-f.positionOffset())
		return nil
	}
	if f.PositionEmbeddings > rows {
		return fmt.Errorf("models: %s says max_position_embeddings %d, but %s's position-embedding table has %d rows: the model cannot read sequences that long; set max_position_embeddings to %d",
			f.path(ConfigFile), f.PositionEmbeddings, ModelFile, rows, rows)
	}
	return nil
}

// SetHead overrides the head config.json says (a --head flag, a library
// option), before LoadFolder.
func (f *Folder) SetHead(h engine.Head) {
	f.Head, f.HeadSet = h, true
}

// HeadNote says how the folder's head and labels were chosen where
// config.json left them to defaults, for a one-line note on standard
// error ("" when config.json said both).
func (c *Classifier) HeadNote() string {
	var notes []string
	f := c.Folder
	if f.DefaultLabels {
		notes = append(notes, fmt.Sprintf("%s has no id2label: labels are %s", f.path(ConfigFile), labelRange(c.labels)))
	}
	if !f.HeadSet && c.Head() == engine.Regression {
		notes = append(notes, "one output and no problem_type: a regression head (transformers' rule; --head overrides)")
	}
	return strings.Join(notes, "; ")
}

func labelRange(labels []string) string {
	if len(labels) <= 3 {
		return strings.Join(labels, ", ")
	}
	return labels[0] + ".." + labels[len(labels)-1]
}

// config is the part of a Hugging Face config.json that Lucid reads.
type config struct {
	ID2Label              map[string]string `json:"id2label"`
	ProblemType           string            `json:"problem_type"`
	NumLabels             int               `json:"num_labels"`
	MaxPositionEmbeddings int               `json:"max_position_embeddings"`
	ModelType             string            `json:"model_type"`
	HiddenSize            int               `json:"hidden_size"`
	NumAttentionHeads     int               `json:"num_attention_heads"`
	IntermediateSize      int               `json:"intermediate_size"`
	// DistilBERT's names for the same sizes.
	Dim       int `json:"dim"`
	NHeads    int `json:"n_heads"`
	HiddenDim int `json:"hidden_dim"`
}

// ReadFolder checks that dir has the contract's files and reads config.json.
func ReadFolder(dir string) (*Folder, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("models: model folder %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("models: %s is a file; a model is a folder with %s, %s and %s", dir, ModelFile, TokenizerFile, ConfigFile)
	}
	return readFolder(dir, nil, func(f string) string { return filepath.Join(dir, f) })
}

// ReadFolderFS is ReadFolder for a model folder held in a file system whose
// root is the folder (as models.Embedded is); name labels it in messages
// and becomes Folder.Dir.
func ReadFolderFS(fsys fs.FS, name string) (*Folder, error) {
	if fsys == nil {
		return nil, fmt.Errorf("models: model %s: no file system given", name)
	}
	return readFolder(name, fsys, func(f string) string { return path.Join(name, f) })
}

// readFolder checks the contract's files through open (fsys, or the disk
// when fsys is nil); where names a file in messages.
func readFolder(dir string, fsys fs.FS, where func(string) string) (*Folder, error) {
	open := func(f string) (fs.File, error) {
		if fsys != nil {
			return fsys.Open(f)
		}
		return openRegular(filepath.Join(dir, f))
	}
	var missing []string
	for _, f := range []string{ModelFile, TokenizerFile, ConfigFile} {
		err := readable(open, f)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing = append(missing, f)
		case err != nil:
			// Present but unreadable (permission denied, say): say that,
			// not that the file is missing.
			return nil, fmt.Errorf("models: model folder %s: %w", dir, err)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("models: model folder %s lacks %v (a model folder needs %s, %s and %s)", dir, missing, ModelFile, TokenizerFile, ConfigFile)
	}
	raw, err := readAll(open, ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", where(ConfigFile), err)
	}
	var c config
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("models: %s is not valid JSON: %w", where(ConfigFile), err)
	}
	labels, err := labelList(c.ID2Label)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", where(ConfigFile), err)
	}
	defaultLabels := labels == nil
	switch {
	case c.NumLabels < 0 || c.NumLabels > maxLabels:
		return nil, fmt.Errorf("models: %s: num_labels %d: want 1 to %d", where(ConfigFile), c.NumLabels, maxLabels)
	case c.NumLabels > 0 && labels != nil && c.NumLabels != len(labels):
		return nil, fmt.Errorf("models: %s: num_labels is %d but id2label names %d labels", where(ConfigFile), c.NumLabels, len(labels))
	case c.NumLabels > 0 && labels == nil:
		// transformers omits id2label when the names are its defaults.
		labels = make([]string, c.NumLabels)
		for i := range labels {
			labels[i] = fmt.Sprintf("LABEL_%d", i)
		}
	}
	var head engine.Head
	headSet := c.ProblemType != ""
	if headSet {
		if head, err = engine.ParseHead(c.ProblemType); err != nil {
			return nil, fmt.Errorf("models: %s: problem_type: %w", where(ConfigFile), err)
		}
	}
	maxLen := c.MaxPositionEmbeddings
	if maxLen <= 0 {
		maxLen = 512
	}
	// RoBERTa-family models reserve two positions for the padding offset.
	if c.ModelType == "roberta" || c.ModelType == "xlm-roberta" || c.ModelType == "camembert" {
		maxLen -= 2
	}
	return &Folder{Dir: dir, FS: fsys, Labels: labels, DefaultLabels: defaultLabels, Head: head, HeadSet: headSet,
		MaxLength: maxLen, ModelType: c.ModelType,
		PositionEmbeddings: c.MaxPositionEmbeddings,
		Hidden:             cmp.Or(c.HiddenSize, c.Dim), Heads: cmp.Or(c.NumAttentionHeads, c.NHeads), Intermediate: cmp.Or(c.IntermediateSize, c.HiddenDim)}, nil
}

// path names file of the folder in messages.
func (f *Folder) path(file string) string {
	if f.FS != nil {
		return path.Join(f.Dir, file)
	}
	return filepath.Join(f.Dir, file)
}

// Open opens one of the folder's files for reading, on disk or in the
// embedded copy.
func (f *Folder) Open(file string) (fs.File, error) {
	if f.FS != nil {
		return f.FS.Open(file)
	}
	return os.Open(filepath.Join(f.Dir, file))
}

// readFile reads one of the folder's files, capped as readcap caps its
// kind (tokenizer.json at readcap.MaxTokenizerBytes, config.json at
// readcap.MaxConfigBytes).
func (f *Folder) readFile(file string) ([]byte, error) {
	open := func(name string) (fs.File, error) {
		if f.FS != nil {
			return f.FS.Open(name)
		}
		return openRegular(filepath.Join(f.Dir, name))
	}
	return readAll(open, file)
}

// openRegular opens a model file that must be a regular file (a symlink
// to one is fine): a FIFO or device planted in a model folder would block
// the open or never end, so it is refused, naming it.
func openRegular(p string) (fs.File, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%v); a model file must be one", p, st.Mode().Type())
	}
	return readcap.Open(context.Background(), p)
}

// readAll reads the folder file name through open, refusing one over its
// kind's cap (a huge file, or /dev/zero planted as config.json) without
// reading past it.
func readAll(open func(string) (fs.File, error), name string) ([]byte, error) {
	f, err := open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	limit := int64(readcap.MaxConfigBytes)
	if name == TokenizerFile {
		limit = readcap.MaxTokenizerBytes
	}
	return readcap.ReadAll(f, name, name, limit)
}

// readable reports why name cannot be opened for reading, if it cannot:
// an error wrapping fs.ErrNotExist when it is absent, fs.ErrPermission
// when it may not be read.
func readable(open func(string) (fs.File, error), name string) error {
	f, err := open(name)
	if err != nil {
		return err
	}
	return f.Close()
}

// maxLabels bounds num_labels: a config asking for more is a mistake, and
// the LABEL_i names would be allocated before the graph could say so.
const maxLabels = 1 << 16

// labelList turns id2label {"0": "NEGATIVE", ...} into a dense slice, nil
// when config.json has none (the names are then LABEL_i).
func labelList(id2label map[string]string) ([]string, error) {
	if len(id2label) == 0 {
		return nil, nil
	}
	ids := make([]int, 0, len(id2label))
	for k := range id2label {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 {
			return nil, fmt.Errorf("id2label key %q is not a label index", k)
		}
		ids = append(ids, i)
	}
	sort.Ints(ids)
	labels := make([]string, len(ids))
	seen := make(map[string]int, len(ids))
	for n, i := range ids {
		if i != n {
			return nil, fmt.Errorf("id2label indexes must run 0..%d without gaps; %d is missing", len(ids)-1, n)
		}
		name := id2label[strconv.Itoa(i)]
		// Labels are chosen by name (--target, --positive, a data file's
		// label column), case-insensitively: an empty or repeated name
		// would make that choice ambiguous or impossible.
		if strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("id2label %q is an empty label name; every label needs a name", strconv.Itoa(i))
		}
		key := strings.ToLower(name)
		if j, dup := seen[key]; dup {
			return nil, fmt.Errorf("id2label names labels %d and %d both %q; label names must be distinct (case-insensitively)", j, i, name)
		}
		seen[key] = i
		labels[n] = name
	}
	return labels, nil
}

// Default returns the model to use when none is named: the folder
// $LUCID_MODEL names, else the copy of models/sst2-mini-bert embedded in
// the binary (Embedded), so a built binary works from any directory.
func Default() (*Folder, error) {
	if d := os.Getenv(ModelEnv); d != "" {
		return ReadFolder(d)
	}
	return ReadFolderFS(Embedded(), EmbeddedName)
}

// DefaultDir finds the default model's folder on disk: $LUCID_MODEL if set,
// else models/sst2-mini-bert in the working directory or one of its parents
// (a checkout). Binaries should use Default, which falls back on the
// embedded copy instead and so does not depend on the working directory.
func DefaultDir() (string, error) {
	if d := os.Getenv(ModelEnv); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("models: finding the default model: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "models", DefaultName)
		if _, err := os.Stat(filepath.Join(cand, ModelFile)); err == nil {
			return cand, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("models: no model given and the default model models/%s was not found in %s or its parents; pass --model DIR or set %s",
		DefaultName, wd, ModelEnv)
}

// FileSize returns the size in bytes of one of the folder's files, on disk
// or in its file system (memory estimates count the graphs' weights).
func (f *Folder) FileSize(file string) (int64, error) {
	var st fs.FileInfo
	var err error
	if f.FS != nil {
		st, err = fs.Stat(f.FS, file)
	} else {
		st, err = os.Stat(filepath.Join(f.Dir, file))
	}
	if err != nil {
		return 0, fmt.Errorf("models: %s: %w", f.path(file), err)
	}
	return st.Size(), nil
}
