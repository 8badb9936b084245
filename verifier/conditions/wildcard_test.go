package conditions

import (
	"strings"
	"testing"
)

// kyvernoMatch is github.com/IGLOU-EU/go-wildcard v1.0.3's Match, which
// Kyverno's ext/wildcard calls: the reference for match (exponential, so
// only for short strings).
func kyvernoMatch(pattern, name string) bool {
	if pattern == "" {
		return name == pattern
	}
	if pattern == "*" {
		return true
	}
	var deep func(str, pattern []rune) bool
	deep = func(str, pattern []rune) bool {
		for len(pattern) > 0 {
			switch pattern[0] {
			default:
				if len(str) == 0 || str[0] != pattern[0] {
					return false
				}
			case '?':
				if len(str) == 0 {
					return false
				}
			case '*':
				return deep(str, pattern[1:]) || (len(str) > 0 && deep(str[1:], pattern))
			}
			str = str[1:]
			pattern = pattern[1:]
		}
		return len(str) == 0 && len(pattern) == 0
	}
	return deep([]rune(name), []rune(pattern))
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything", true},
		{"a*", "a", true},
		{"a*b", "axxb", true},
		{"a*b", "axxbc", false},
		{"*b*", "abc", true},
		{"?", "", false},
		{"?", "é", true},
		{"??", "é", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*@example.com", "ana@example.com", true},
		{"*@example.com", "ana@example.com.evil", false},
		{"registry.io/org/*", "registry.io/org/app", true},
		{"Main", "main", false},
		{"**", "x", true},
		{"*a*a*a*b", strings.Repeat("a", 50), false},
		{"\xff", "\xfe", true}, // both invalid bytes are U+FFFD, as runes
		{"a*", "a\xff", true},
	}
	for _, tc := range tests {
		e := &evaluator{budget: kyvernoBudget}
		got, err := e.match(tc.pattern, tc.name)
		if err != nil || got != tc.want {
			t.Errorf("match(%q, %q) = %v, %v, want %v", tc.pattern, tc.name, got, err, tc.want)
		}
		if ref := kyvernoMatch(tc.pattern, tc.name); ref != tc.want {
			t.Errorf("kyvernoMatch(%q, %q) = %v, want %v", tc.pattern, tc.name, ref, tc.want)
		}
	}
}

// TestMatchBudget: a pathological pattern on a long name is charged, and
// stops.
func TestMatchBudget(t *testing.T) {
	e := &evaluator{budget: 1_000_000}
	_, err := e.match("*"+strings.Repeat("a", 1000)+"b", strings.Repeat("a", 100000))
	if err != errBudget {
		t.Errorf("match(pathological) error = %v, want %v", err, errBudget)
	}
}

// FuzzMatch compares match with Kyverno's matcher.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{{"a*b", "axb"}, {"?é*", "héllo"}, {"*", ""}, {"\xff?", "\xfe\xfd"}, {"**?*a", "ba"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if len(pattern) > 12 || len(name) > 24 || strings.Count(pattern, "*") > 4 {
			return // the reference is exponential
		}
		e := &evaluator{budget: kyvernoBudget}
		got, err := e.match(pattern, name)
		if want := kyvernoMatch(pattern, name); err != nil || got != want {
			t.Errorf("match(%q, %q) = %v, %v, want %v", pattern, name, got, err, want)
		}
	})
}
