package conditions

// match reports whether name matches pattern, as Kyverno's ext/wildcard
// (github.com/IGLOU-EU/go-wildcard v1.0.3, Match) does: `*` matches any
// sequence of characters, `?` exactly one, anything else itself,
// case-sensitively, character by character (runes; each invalid UTF-8 byte
// is one U+FFFD). The empty pattern matches only the empty name.
//
// Kyverno's matcher backtracks recursively and can take exponential time;
// this one backtracks only to the last star, which finds the same answer
// in at most len(pattern)*len(name) steps, each charged to the budget.
func (e *evaluator) match(pattern, name string) (bool, error) {
	if err := e.charge(len(pattern) + len(name) + 1); err != nil {
		return false, err
	}
	if pattern == "*" {
		return true, nil
	}
	if !hasWildcard(pattern) {
		return pattern == name || (invalidUTF8(pattern) || invalidUTF8(name)) && string([]rune(pattern)) == string([]rune(name)), nil
	}
	p, s := []rune(pattern), []rune(name)
	pi, si := 0, 0
	star, mark := -1, 0
	steps := 0
	for si < len(s) {
		if steps++; steps&0xff == 0 {
			if err := e.charge(256); err != nil {
				return false, err
			}
		}
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false, nil
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p), nil
}

func hasWildcard(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '*' || s[i] == '?' {
			return true
		}
	}
	return false
}

// invalidUTF8 reports whether s holds a byte that is not valid UTF-8: two
// such strings compare as runes, where every invalid byte is U+FFFD.
func invalidUTF8(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' {
			return true
		}
	}
	return false
}
