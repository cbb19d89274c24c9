package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
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
	Dir    string
	Labels []string
	// MaxLength is the longest token sequence the model takes
	// (max_position_embeddings, 512 when config.json does not say).
	MaxLength int
	ModelType string
}

// config is the part of a Hugging Face config.json that Lucid reads.
type config struct {
	ID2Label              map[string]string `json:"id2label"`
	MaxPositionEmbeddings int               `json:"max_position_embeddings"`
	ModelType             string            `json:"model_type"`
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
	var missing []string
	for _, f := range []string{ModelFile, TokenizerFile, ConfigFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("models: model folder %s lacks %v (a model folder needs %s, %s and %s)", dir, missing, ModelFile, TokenizerFile, ConfigFile)
	}
	raw, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	var c config
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("models: %s is not valid JSON: %w", filepath.Join(dir, ConfigFile), err)
	}
	labels, err := labelList(c.ID2Label)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", filepath.Join(dir, ConfigFile), err)
	}
	maxLen := c.MaxPositionEmbeddings
	if maxLen <= 0 {
		maxLen = 512
	}
	// RoBERTa-family models reserve two positions for the padding offset.
	if c.ModelType == "roberta" || c.ModelType == "xlm-roberta" || c.ModelType == "camembert" {
		maxLen -= 2
	}
	return &Folder{Dir: dir, Labels: labels, MaxLength: maxLen, ModelType: c.ModelType}, nil
}

// labelList turns id2label {"0": "NEGATIVE", ...} into a dense slice.
func labelList(id2label map[string]string) ([]string, error) {
	if len(id2label) == 0 {
		return nil, errors.New("no id2label: the model contract needs the label names")
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
	for n, i := range ids {
		if i != n {
			return nil, fmt.Errorf("id2label indexes must run 0..%d without gaps; %d is missing", len(ids)-1, n)
		}
		labels[n] = id2label[strconv.Itoa(i)]
	}
	return labels, nil
}

// DefaultDir finds the model that ships with Lucid: $LUCID_MODEL if set,
// else models/sst2-mini-bert in the working directory or one of its parents
// (so commands work from anywhere inside the repository).
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
