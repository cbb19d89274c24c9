package pairtext

import (
	"strings"
	"testing"
)

func TestJoinSplitSwap(t *testing.T) {
	s, err := Join("A man eats.", "Someone eats food.")
	if err != nil {
		t.Fatal(err)
	}
	if s != "A man eats. ␞ Someone eats food." {
		t.Fatalf("Join = %q", s)
	}
	a, b, ok := Split(s)
	if !ok || a != "A man eats." || b != "Someone eats food." {
		t.Fatalf("Split = %q, %q, %v", a, b, ok)
	}
	// Spaces an edit adds around the symbol are not part of the texts'
	// ends beyond the one Sep puts there.
	if a, b, ok := Split("x  ␞  y"); !ok || a != "x " || b != " y" {
		t.Errorf("Split with extra spaces = %q, %q, %v", a, b, ok)
	}
	if _, _, ok := Split("no pair"); ok {
		t.Error("a plain text is not a pair")
	}
	if _, _, ok := Split("a ␞ b ␞ c"); ok {
		t.Error("two separators are not a pair")
	}
	if _, err := Join("a ␞ b", "c"); err == nil || !strings.Contains(err.Error(), "first text") {
		t.Errorf("Join of a text holding the symbol: %v", err)
	}
	if w, ok := Swap(s); !ok || w != "Someone eats food. ␞ A man eats." {
		t.Errorf("Swap = %q, %v", w, ok)
	}
	if _, ok := Swap("same ␞ same"); ok {
		t.Error("swapping equal texts changes nothing and must say so")
	}
}

func TestApplySides(t *testing.T) {
	upper := func(s string) (string, bool) {
		if !strings.Contains(s, "he") {
			return s, false
		}
		return strings.ReplaceAll(s, "he", "she"), true
	}
	s, _ := Join("he eats", "he sleeps")
	for _, c := range []struct {
		side Side
		want string
	}{{First, "she eats ␞ he sleeps"}, {Second, "he eats ␞ she sleeps"}, {Both, "she eats ␞ she sleeps"}} {
		got, ok := Apply(s, c.side, upper)
		if !ok || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.side, got, ok, c.want)
		}
	}
	only, _ := Join("it eats", "he sleeps")
	if _, ok := Apply(only, First, upper); ok {
		t.Error("an edit that applies to neither chosen text does not apply")
	}
	if got, ok := Apply("he", Second, upper); !ok || got != "she" {
		t.Errorf("a plain text is edited whole: %q %v", got, ok)
	}
	for _, in := range []string{"first", "second", "both", ""} {
		if _, err := ParseSide(in); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseSide("left"); err == nil || !strings.Contains(err.Error(), `"left"`) {
		t.Errorf("ParseSide(left): %v", err)
	}
}
