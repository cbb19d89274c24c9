package tokenize

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrInvalidUTF8 is returned (wrapped in a *UTF8Error) when a text is not
// valid UTF-8. Byte offsets into such a text would not map to characters,
// so the tokenizer refuses it rather than guess a repair.
var ErrInvalidUTF8 = errors.New("text is not valid UTF-8")

// UTF8Error says where a text stops being valid UTF-8. It matches
// ErrInvalidUTF8 under errors.Is.
type UTF8Error struct {
	// Offset is the byte offset of the first byte that does not start a
	// valid UTF-8 sequence.
	Offset int
	// Byte is the byte found there.
	Byte byte
}

func (e *UTF8Error) Error() string {
	return fmt.Sprintf("%v: invalid byte 0x%02x at byte offset %d", ErrInvalidUTF8, e.Byte, e.Offset)
}

// Unwrap lets errors.Is(err, ErrInvalidUTF8) succeed.
func (e *UTF8Error) Unwrap() error { return ErrInvalidUTF8 }

// checkUTF8 returns a *UTF8Error for the first invalid sequence in text, or
// nil. The common valid case costs one pass of utf8.ValidString.
func checkUTF8(text string) error {
	if utf8.ValidString(text) {
		return nil
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && size <= 1 {
			return &UTF8Error{Offset: i, Byte: text[i]}
		}
		i += size
	}
	return nil // unreachable: ValidString said there is a bad sequence
}
