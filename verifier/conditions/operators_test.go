package conditions

import (
	"fmt"
	"strings"
	"testing"
)

// TestOperatorSemantics checks each operator on the values Kyverno hands
// it (numbers are float64), against Kyverno's semantics, quirks included.
func TestOperatorSemantics(t *testing.T) {
	l := func(v ...any) []any { return v }
	m := map[string]any{"team": "payments"}
	tests := []struct {
		op         string
		key, value any
		want       bool
	}{
		// Equals: strings, with the value as a wildcard pattern.
		{"Equals", "main", "main", true},
		{"Equals", "main", "ma*", true},
		{"Equals", "main", "m?in", true},
		{"Equals", "main", "*", true},
		{"Equals", "main", "dev", false},
		{"Equals", "main", "MAIN", false},  // case-sensitive
		{"Equals", "ma*", "main", false},   // the key is not a pattern
		{"Equals", "héllo", "h?llo", true}, // ? is one character, not one byte
		{"Equals", "", "", true},
		{"Equals", "x", "", false},
		// Equals: numbers, numeric strings on the value side only.
		{"Equals", 7.0, 7.0, true},
		{"Equals", 7.0, "7", true},
		{"Equals", 7.0, "7.0", true},
		{"Equals", 7.5, 7.0, false},
		{"Equals", "7", 7.0, false}, // a string key never equals a number
		{"Equals", 7.0, "seven", false},
		// Equals: booleans, objects and arrays with their own kind.
		{"Equals", true, true, true},
		{"Equals", true, "true", false},
		{"Equals", m, map[string]any{"team": "payments"}, true},
		{"Equals", m, map[string]any{"team": "search"}, false},
		{"Equals", l("a", "b"), l("a", "b"), true},
		{"Equals", l("a", "b"), l("b", "a"), false},
		{"Equals", l("a"), "a", false},
		{"Equals", nil, nil, false}, // null equals nothing
		// Equals: durations and quantities by value.
		{"Equals", "90s", "1m30s", true},
		{"Equals", "1h", 3600.0, true}, // a number counts seconds
		{"Equals", "0", "0s", false},   // "0" is not a duration, "0s" not a quantity
		{"Equals", "1Gi", "1024Mi", true},
		{"Equals", "500m", "0.5", true},
		{"Equals", "1k", "1000", true},
		{"Equals", "1e3", "1000", true},
		{"Equals", "1Gi", "1G", false},
		{"Equals", "1", "1*", false}, // a quantity key compares as a quantity only
		{"Equals", "1Gi", "x", false},
		// NotEquals: the negation, except for a null key.
		{"NotEquals", "main", "dev", true},
		{"NotEquals", "main", "main", false},
		{"NotEquals", "main", "ma*", false},
		{"NotEquals", 7.0, "8", true},
		{"NotEquals", 7.0, "seven", true},
		{"NotEquals", "1Gi", "x", true},
		{"NotEquals", l("a"), l("b"), true},
		{"NotEquals", nil, "x", false},
		// In (deprecated): wildcards either way for a scalar key; exact
		// matching for a list key, whose elements must be strings.
		{"In", "main", l("main", "release"), true},
		{"In", "main", l("ma*"), true},
		{"In", "ma*", l("main"), true},
		{"In", "dev", l("main"), false},
		{"In", 7.0, l(7.0), true},
		{"In", 7.0, l("7"), true},
		{"In", "main", "ma*", true},
		{"In", "main", `["main","dev"]`, true},
		{"In", "main", "dev", false},
		{"In", "main", 7.0, false},
		{"In", l("a", "b"), l("a", "b", "c"), true},
		{"In", l("a", "x"), l("a", "b"), false},
		{"In", l("a*"), l("abc"), false},
		{"In", l("a"), "a", true},
		// NotIn (deprecated).
		{"NotIn", "dev", l("main"), true},
		{"NotIn", "main", l("main"), false},
		{"NotIn", "main", l("m*"), false},
		{"NotIn", "dev", "dev2", false}, // not JSON: invalid, false
		{"NotIn", l("a", "x"), l("a", "b"), true},
		{"NotIn", l("a"), l("a", "b"), false},
		{"NotIn", l("a"), "a", false}, // Kyverno says true; see legacySetIn
		{"NotIn", nil, l("a"), false},
		// AnyIn.
		{"AnyIn", l("ana@example.com", "eve@evil.com"), l("*@example.com"), true},
		{"AnyIn", l("eve@evil.com"), l("*@example.com"), false},
		{"AnyIn", l("*@example.com"), l("ana@example.com"), true}, // either way
		{"AnyIn", "main", "main", true},
		{"AnyIn", "main", "dev", false},
		{"AnyIn", "5", "1-10", true}, // a range
		{"AnyIn", l("15", "5"), "1-10", true},
		{"AnyIn", l("15"), "1-10", false},
		{"AnyIn", l("1Gi"), "500Mi-2Gi", true},
		{"AnyIn", 7.0, l(7.0), true},
		{"AnyIn", 12345678.0, l("12345678"), false}, // fmt.Sprint gives 1.2345678e+07
		{"AnyIn", 12345678.0, l(12345678.0), true},
		{"AnyIn", l(80.0, 443.0), l(443.0), true},
		{"AnyIn", l(443.0), 443.0, true}, // a list key takes a scalar value
		{"AnyIn", "443", 443.0, false},   // a scalar key does not
		{"AnyIn", l("a"), `["a","b"]`, true},
		{"AnyIn", l("a"), `{"a":1}`, false}, // JSON, but not a list of strings
		{"AnyIn", l(), l("a"), false},
		{"AnyIn", m, l("a"), false},
		{"AnyIn", nil, l("a"), false},
		// AllIn.
		{"AllIn", l("a", "b"), l("a", "b", "c"), true},
		{"AllIn", l("a", "x"), l("a", "b"), false},
		{"AllIn", l(), l("a"), true}, // nothing is missing
		{"AllIn", l("abc"), l("a*"), true},
		{"AllIn", l("5", "7"), "1-10", true},
		{"AllIn", l("5", "70"), "1-10", false},
		{"AllIn", l(1.0), 1.0, false}, // a scalar value is invalid here
		{"AllIn", "a", l("a"), true},
		// AnyNotIn.
		{"AnyNotIn", l("a", "x"), l("a", "b"), true},
		{"AnyNotIn", l("a", "b"), l("a", "b"), false},
		{"AnyNotIn", l("a", "b"), l("*"), false},
		{"AnyNotIn", "x", l("a"), true},
		{"AnyNotIn", "a", l("a"), false},
		{"AnyNotIn", "8", "7", false}, // "7" is JSON but not a list: invalid
		{"AnyNotIn", l("15", "5"), "1-10", true},
		{"AnyNotIn", l("5"), "1-10", false},
		{"AnyNotIn", l(), l("a"), false},
		{"AnyNotIn", nil, l("a"), false},
		// AllNotIn.
		{"AllNotIn", l("x", "y"), l("a", "b"), true},
		{"AllNotIn", l("x", "a"), l("a"), false},
		{"AllNotIn", l(), l("a"), true},
		{"AllNotIn", l("15", "20"), "1-10", true},
		{"AllNotIn", l("15", "5"), "1-10", false},
		{"AllNotIn", l(1.0), 1.0, false},
		{"AllNotIn", "x", "a", true},
		{"AllNotIn", nil, l("a"), false},
		// Comparisons: numbers, numeric strings, quantities, durations,
		// versions.
		{"GreaterThan", 7.0, 5.0, true},
		{"GreaterThan", 7.0, "5", true},
		{"GreaterThan", 7.0, "7", false},
		{"GreaterThanOrEquals", 7.0, "7", true},
		{"LessThan", 7.0, 7.5, true},
		{"LessThanOrEquals", 7.0, 6.0, false},
		{"GreaterThan", "7", 5.0, true},
		{"GreaterThan", "10", "9", true}, // by value, not as text
		{"GreaterThan", "1Gi", "500Mi", true},
		{"LessThan", "500m", "1", true},
		{"GreaterThan", "1Gi", 5.0, false}, // a quantity compares with a quantity string only
		{"LessThan", "90s", "2m", true},
		{"GreaterThan", "90s", 60.0, true},
		{"GreaterThan", 100.0, "1m", true},
		{"GreaterThanOrEquals", "1.4.2", "1.4.0", true},
		{"LessThan", "1.4.2", "1.10.0", true},
		{"LessThan", "1.2.3-alpha", "1.2.3", true},
		{"GreaterThan", "v1.4.2", "1.0.0", false}, // not a strict version
		{"GreaterThan", "1.4.2", "v1.0.0", false},
		{"GreaterThan", "1.4", "1.10", true}, // both quantities: 1.4 > 1.1
		{"GreaterThan", "main", 1.0, false},
		{"GreaterThan", true, false, false},
		{"GreaterThan", nil, 1.0, false},
		{"GreaterThan", l(2.0), 1.0, false},
		// Duration* (deprecated).
		{"DurationLessThan", "90s", "2m", true},
		{"DurationGreaterThan", "2h", 3600.0, true},
		{"DurationLessThan", 30.0, "1m", true},
		{"DurationGreaterThanOrEquals", "0", "0s", true},
		{"DurationLessThanOrEquals", "1m", "59s", false},
		{"DurationGreaterThan", "x", "1s", false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%v_%s_%v", tc.key, tc.op, tc.value), func(t *testing.T) {
			e := &evaluator{budget: kyvernoBudget}
			got, err := operators[tc.op](e, tc.key, tc.value)
			if err != nil || got != tc.want {
				t.Errorf("%s(%#v, %#v) = %v, %v, want %v", tc.op, tc.key, tc.value, got, err, tc.want)
			}
		})
	}
}

// TestOperatorErrors: what Kyverno would panic on, and what is too large
// to compare, fails the condition.
func TestOperatorErrors(t *testing.T) {
	tests := []struct {
		op         string
		key, value any
	}{
		{"In", []any{"a", 1.0}, []any{"a"}},
		{"NotIn", []any{map[string]any{}}, []any{"a"}},
		{"Equals", "1e99999", "1"},
		{"NotEquals", "1e99999", "1"},
		{"GreaterThan", "1", strings.Repeat("9", 2000)},
		{"AnyIn", []any{"5"}, "1-" + strings.Repeat("9", 2000)},
	}
	for _, tc := range tests {
		e := &evaluator{budget: kyvernoBudget}
		if got, err := operators[tc.op](e, tc.key, tc.value); err == nil || got {
			t.Errorf("%s(%#.40v, %#.40v) = %v, %v, want an error", tc.op, tc.key, tc.value, got, err)
		}
	}
}

// TestKyvernoOnStatements evaluates conditions as a policy writes them on
// the code-review predicate: JMESPath keys and values, literals, text.
func TestKyvernoOnStatements(t *testing.T) {
	tests := []struct {
		key   any
		op    string
		value any
		want  bool
	}{
		{"{{ repo.uri }}", "Equals", "https://git-repo.com/org/*", true},
		{"{{ score }}", "Equals", 7, true},
		{"{{ score }}", "Equals", "7", true},
		{"{{ score }}", "GreaterThan", 5, true},
		{"{{ ratio }}", "LessThan", 1, true},
		{"{{ big }}", "AnyIn", []any{"12345678"}, false},
		{"{{ big }}", "AnyIn", []any{12345678}, true},
		{"{{ approved }}", "Equals", true, true},
		{"{{ nothing }}", "NotEquals", "x", false},
		{"{{ missing.field }}", "NotEquals", "x", false},
		{"{{ missing.field }}", "AnyNotIn", []any{"x"}, false},
		{"{{ missing.field }}", "AllNotIn", []any{"x"}, false},
		{"{{ labels }}", "Equals", map[string]any{"team": "payments"}, true},
		{"{{ labels.team }}", "In", []any{"payments", "search"}, true},
		{"{{ ports }}", "AnyIn", []any{443}, true},
		{"{{ ports }}", "AllIn", []any{"80", "443"}, true},
		{"{{ empty }}", "AllIn", []any{"a"}, true},
		{"{{ empty }}", "AnyIn", []any{"a"}, false},
		{"{{ tags }}", "AnyIn", []any{"v*"}, true},
		{"{{ size }}", "GreaterThan", "500Mi", true},
		{"{{ size }}", "LessThan", "1Gi", true},
		{"{{ timeout }}", "LessThan", "2m", true},
		{"{{ timeout }}", "Equals", "1m30s", true},
		{"{{ version }}", "GreaterThanOrEquals", "1.4.0", true},
		{"{{ version }}", "LessThan", "1.4.0", false},
		{"{{ length(reviewers) }}", "Equals", 2, true},
		{"{{ reviewers[0] }}", "Equals", "ana@example.com", true},
		{"{{ reviewers[?ends_with(@, '@example.com')] | length(@) }}", "GreaterThanOrEquals", 2, true},
		{"{{ {u: repo.uri, b: repo.branch} }}", "Equals", map[string]any{"u": "https://git-repo.com/org/app", "b": "main"}, true},
		{"{{- repo.branch }}", "Equals", "main", true},
		{"{{ 'main' }}", "Equals", "{{ repo.branch }}", true},
		{"branch is {{ repo.branch }}", "Equals", "branch is main", true},
		{"{{ repo.branch }}-{{ score }}", "Equals", "main-7", true},
		{"{{ repo.branch }}{{ score }}", "Equals", "main7", true},
		{"main", "Equals", "{{ repo.branch }}", true},
		{"main", "Equals", "main", true},
		{"{{ repo.branch }}", "In", []any{"{{ repo.branch }}", "release"}, true},
		{[]any{"a", "b"}, "AllIn", []any{"a", "b", "c"}, true},
		{`\{{ x }}`, "Equals", `\{{ x }}`, true},
		{`\{{ x }}`, "Equals", `{{ x }}`, false}, // the value is an expression: x is missing
		{`\$(x)`, "Equals", `\$(x)`, true},
		{"{{ repo.branch }}", "Equals", "{{ repo.uri }}", false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%v_%s_%v", tc.key, tc.op, tc.value), func(t *testing.T) {
			p := mustCompile(t, Spec{Kyverno: []Block{{All: []Condition{{Key: tc.key, Operator: tc.op, Value: tc.value}}}}})
			r := p.Eval(review)
			if r.Passed != tc.want {
				t.Errorf("%v %s %v = %v %q, want %v", tc.key, tc.op, tc.value, r.Passed, r.Failures, tc.want)
			}
		})
	}
}

// TestNoSecondSubstitution: text from the statement is never read as an
// expression (Kyverno substitutes into substituted text again).
func TestNoSecondSubstitution(t *testing.T) {
	st := statement(`{"a":"{{ b }}","b":"secret"}`)
	tests := []struct {
		value any
		want  bool
	}{
		{`x\{{ b }}`, true},
		{"xsecret", false},
	}
	for _, tc := range tests {
		p := mustCompile(t, Spec{Kyverno: []Block{{All: []Condition{{Key: "x{{ a }}", Operator: "Equals", Value: tc.value}}}}})
		if r := p.Eval(st); r.Passed != tc.want {
			t.Errorf(`"x{{ a }}" Equals %q = %v %q, want %v`, tc.value, r.Passed, r.Failures, tc.want)
		}
	}
}

// TestBudget: comparing many keys with many patterns, both from the
// statement, stops at the budget and fails.
func TestBudget(t *testing.T) {
	var keys, pats []string
	for i := 0; i < 3000; i++ {
		keys = append(keys, fmt.Sprintf("%q", strings.Repeat("a", 200)+fmt.Sprint(i)))
		pats = append(pats, fmt.Sprintf("%q", "*a*a*a*a*b"+fmt.Sprint(i)))
	}
	st := statement(`{"k":[` + strings.Join(keys, ",") + `],"v":[` + strings.Join(pats, ",") + `]}`)
	p := mustCompile(t, Spec{Kyverno: []Block{{All: []Condition{{Key: "{{ k }}", Operator: "AnyIn", Value: "{{ v }}"}}}}})
	r := p.Eval(st)
	if r.Passed || !strings.Contains(strings.Join(r.Failures, ""), errBudget.Error()) {
		t.Errorf("Eval(3000 keys x 3000 patterns) = %.200q, want a budget failure", r.Failures)
	}
}

func TestOperatorsList(t *testing.T) {
	got := strings.Join(Operators(), " ")
	want := "AllIn AllNotIn AnyIn AnyNotIn DurationGreaterThan DurationGreaterThanOrEquals DurationLessThan DurationLessThanOrEquals Equals GreaterThan GreaterThanOrEquals In LessThan LessThanOrEquals NotEquals NotIn"
	if got != want {
		t.Errorf("Operators() = %q, want %q", got, want)
	}
}
