package bench

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/attribution/shapley"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/tokenize"
)

// TableCacheDir is where coalition tables are cached: $LUCID_CACHE_DIR/tables
// when LUCID_CACHE_DIR is set, else ~/.cache/lucid/tables. Tables are keyed
// by the model file's hash, the target and the sentence, so a new model
// never reads an old model's table.
func TableCacheDir() (string, error) {
	if d := os.Getenv("LUCID_CACHE_DIR"); d != "" {
		return filepath.Join(d, "tables"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("bench: no cache directory (set LUCID_CACHE_DIR): %w", err)
	}
	return filepath.Join(home, ".cache", "lucid", "tables"), nil
}

// ModelHash is the hex SHA-256 of the folder's model.onnx.
func ModelHash(folder *models.Folder) (string, error) {
	f, err := folder.Open(models.ModelFile)
	if err != nil {
		return "", fmt.Errorf("bench: hashing the model: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("bench: hashing the model: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CachedTable is a sentence's full coalition table for the predicted label.
type CachedTable struct {
	Text  string
	Words int
	Table *shapley.Table
	// Exact is the table's exact Shapley values.
	Exact []float64
}

const tableMagic = "LUCIDTB1"

func tablePath(dir, modelHash, text string) string {
	h := sha256.Sum256([]byte(modelHash + "\x00predicted\x00" + text))
	return filepath.Join(dir, hex.EncodeToString(h[:12])+".tbl")
}

// WordCount is the number of word features Lucid makes of text.
func WordCount(tok *tokenize.Tokenizer, text string) (int, error) {
	enc, err := tok.Encode(text)
	if err != nil {
		return 0, err
	}
	return len(perturb.Features(enc, perturb.Words)), nil
}

// LoadTables returns the coalition tables of the first count sentences of
// minWords to maxWords words (at most shapley.MaxTableFeatures),
// reading each from the cache in dir and building (2^n model evaluations)
// and caching the ones that are missing. progress, when not nil, gets a
// line per table built.
func LoadTables(ctx context.Context, x *attribution.Explainer, dir, modelHash string, sentences []string, minWords, maxWords, count int, progress io.Writer) ([]CachedTable, error) {
	if minWords < 1 || maxWords > shapley.MaxTableFeatures || minWords > maxWords {
		return nil, fmt.Errorf("bench: tables take 1 to %d words, asked for %d to %d", shapley.MaxTableFeatures, minWords, maxWords)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: table cache: %w", err)
	}
	var out []CachedTable
	for _, s := range sentences {
		if len(out) == count {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		w, err := WordCount(x.Tokenizer, s)
		if err != nil || w < minWords || w > maxWords {
			continue
		}
		p := tablePath(dir, modelHash, s)
		t, err := readTable(p)
		if errors.Is(err, os.ErrNotExist) {
			if progress != nil {
				fmt.Fprintf(progress, "tables: building %d of %d: %d words, %d evaluations\n", len(out)+1, count, w, 1<<w)
			}
			t, _, err = x.CoalitionTable(ctx, s, "", maxWords)
			if err == nil {
				err = writeTable(p, t)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("bench: table for %q: %w", s, err)
		}
		out = append(out, CachedTable{Text: s, Words: w, Table: t, Exact: t.Shapley()})
	}
	if len(out) < count {
		return out, fmt.Errorf("bench: only %d sentences of %d to %d words, wanted %d", len(out), minWords, maxWords, count)
	}
	return out, nil
}

func readTable(path string) (*shapley.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	head := make([]byte, len(tableMagic)+4)
	if _, err := io.ReadFull(r, head); err != nil || string(head[:len(tableMagic)]) != tableMagic {
		return nil, fmt.Errorf("%s is not a Lucid table", path)
	}
	n := int(binary.LittleEndian.Uint32(head[len(tableMagic):]))
	if n < 1 || n > shapley.MaxTableFeatures {
		return nil, fmt.Errorf("%s: %d features", path, n)
	}
	buf := make([]byte, 8<<n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("%s: truncated: %w", path, err)
	}
	vals := make([]float64, 1<<n)
	for k := range vals {
		vals[k] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*k:]))
	}
	return shapley.NewTable(n, vals)
}

// writeTable writes atomically (a temporary file renamed), so an interrupted
// build never leaves a short table behind.
func writeTable(path string, t *shapley.Table) error {
	tmp := path + ".tmp"
	buf := make([]byte, len(tableMagic)+4+8*len(t.Values))
	copy(buf, tableMagic)
	binary.LittleEndian.PutUint32(buf[len(tableMagic):], uint32(t.N))
	for k, v := range t.Values {
		binary.LittleEndian.PutUint64(buf[len(tableMagic)+4+8*k:], math.Float64bits(v))
	}
	if err := os.WriteFile(tmp, buf, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
