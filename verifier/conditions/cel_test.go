package conditions

import (
	"strings"
	"testing"
	"time"
)

func TestCEL(t *testing.T) {
	tests := []struct {
		expr string
		want bool
		fail string // in the failure, when want is false
	}{
		{`predicateType == "https://example.com/CodeReview/v1"`, true, ""},
		{`statement._type.endsWith("/v1")`, true, ""},
		{`subject[0].name.startsWith("registry.io/")`, true, ""},
		{`subject.all(s, s.digest.sha256 != "")`, true, ""},
		{`predicate.score > 5`, true, ""},
		{`predicate.score == 7`, true, ""},
		{`predicate.ratio < 1`, true, ""}, // double against int
		{`predicate.ratio == 0.75`, true, ""},
		{`predicate.big == 12345678`, true, ""},
		{`predicate.approved == true`, true, ""},
		{`predicate.nothing == null`, true, ""},
		{`has(predicate.repo.branch) && !has(predicate.repo.tag)`, true, ""},
		{`predicate.?repo.?tag.orValue("none") == "none"`, true, ""},
		{`predicate.reviewers.size() >= 2`, true, ""},
		{`predicate.reviewers.all(r, r.endsWith("@example.com"))`, true, ""},
		{`sets.intersects(predicate.reviewers, ["bob@example.com"])`, true, ""},
		{`predicate.repo.uri.split("/")[3] == "org"`, true, ""},
		{`predicate.repo.branch.upperAscii() == "MAIN"`, true, ""},
		{`predicate.repo.uri.replace("https://", "") == "git-repo.com/org/app"`, true, ""},
		{`predicate.repo.uri.indexOf("org") == 21`, true, ""},
		{`predicate.repo.uri.matches("^https://git-repo[.]com/")`, true, ""},
		{`predicate.reviewers.size() >= 3`, false, "is false"},
		{`predicate.repo.owner == "x"`, false, "no such key: owner"},
		{`predicate.repo.branch > 1`, false, "no such overload"},
		{`predicate.score / 0 == 1`, false, "division by zero"},
		{`predicate.repo.branch == "main" || predicate.nope == 1`, true, ""},
		{`predicate.repo.branch == "dev" || predicate.nope == 1`, false, "no such key: nope"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			r := mustCompile(t, Spec{CEL: []string{tc.expr}}).Eval(review)
			if r.Passed != tc.want {
				t.Fatalf("Eval(CEL %q) = %v %q, want %v", tc.expr, r.Passed, r.Failures, tc.want)
			}
			if !tc.want && (len(r.Failures) != 1 || !strings.Contains(r.Failures[0], tc.fail)) {
				t.Errorf("Eval(CEL %q).Failures = %q, want one mentioning %q", tc.expr, r.Failures, tc.fail)
			}
		})
	}
}

// TestCELCost: an expression that would run away on a big predicate is
// stopped by the cost limit, and fails.
func TestCELCost(t *testing.T) {
	list := `{"l":[` + strings.Repeat(`"aaaaaaaa",`, 3000) + `"a"],"s":"` + strings.Repeat("ab", 100000) + `"}`
	tests := []struct {
		name string
		expr string
	}{
		{"nested loops", `predicate.l.all(x, predicate.l.all(y, x == y || true))`},
		{"string functions in a loop", `predicate.l.all(x, predicate.s.indexOf("abc") < 0)`},
		{"replace in a loop", `predicate.l.all(x, predicate.s.replace("a", "b").size() > 0)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A lower limit keeps the test fast: cel-go's cost tracking
			// slows down as a comprehension runs.
			r := mustCompile(t, Spec{CEL: []string{tc.expr}}, WithCELCostLimit(200_000)).Eval(statement(list))
			if r.Passed || len(r.Failures) != 1 || !strings.Contains(r.Failures[0], "cost limit exceeded") {
				t.Errorf("Eval(%s) = %v %.200q, want a cost-limit failure", tc.name, r.Passed, r.Failures)
			}
		})
	}
	// The same expression passes on a small predicate, and under a higher limit.
	p := mustCompile(t, Spec{CEL: []string{tests[0].expr}}, WithCELCostLimit(100_000_000))
	if r := p.Eval(statement(`{"l":["a","b"]}`)); !r.Passed {
		t.Errorf("Eval(small) = %q, want it to pass", r.Failures)
	}
}

// TestCELTimeout: the deadline stops evaluation, and the condition fails.
func TestCELTimeout(t *testing.T) {
	list := `{"l":[` + strings.Repeat(`"aaaaaaaa",`, 3000) + `"a"]}`
	p := mustCompile(t, Spec{CEL: []string{`predicate.l.all(x, predicate.l.all(y, x == y || true))`}},
		WithCELCostLimit(1<<62), WithTimeout(50*time.Millisecond))
	start := time.Now()
	r := p.Eval(statement(list))
	if r.Passed || len(r.Failures) != 1 || !strings.Contains(r.Failures[0], "cancelled") && !strings.Contains(r.Failures[0], "in time") {
		t.Errorf("Eval(slow) = %v %q, want a timeout failure", r.Passed, r.Failures)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Eval(slow) took %v, want it stopped near 50ms", d)
	}
}

// TestCELReplaceBound: replace() cannot build an unbounded string.
func TestCELReplaceBound(t *testing.T) {
	st := statement(`{"s":"` + strings.Repeat("a", 10000) + `","r":"` + strings.Repeat("b", 10000) + `"}`)
	tests := []struct {
		expr string
		want bool
	}{
		{`predicate.s.replace("a", predicate.r).size() > 0`, false},
		{`predicate.s.replace("", predicate.r).size() > 0`, false},
		{`predicate.s.replace("a", predicate.r, 2).size() == 29998`, true},
		{`predicate.s.replace("a", "bb", -1).size() == 20000`, true},
		{`predicate.s.replace("a", "").size() == 0`, true},
		{`"abc".replace("b", "x") == "axc"`, true},
		{`"aaa".replace("a", "x", 0) == "aaa"`, true},
	}
	for _, tc := range tests {
		r := mustCompile(t, Spec{CEL: []string{tc.expr}}).Eval(st)
		if r.Passed != tc.want {
			t.Errorf("Eval(CEL %q) = %v %.200q, want %v", tc.expr, r.Passed, r.Failures, tc.want)
		}
		// Either bound may stop it first: tollgate's own size bound, or
		// cel-go's cost tracking, which prices replace() in the versions this
		// module resolves to with tektoncd/pipeline.
		if f := strings.Join(r.Failures, ""); !tc.want && !strings.Contains(f, "larger than") && !strings.Contains(f, "cost limit exceeded") {
			t.Errorf("Eval(CEL %q).Failures = %.200q, want the replace bound or the cost limit", tc.expr, r.Failures)
		}
	}
}

// TestCELNumbers: integers are int, others double; huge integers are
// doubles rather than errors.
func TestCELNumbers(t *testing.T) {
	st := statement(`{"i":3,"f":3.5,"e":1e3,"big":123456789012345678901234567890,"neg":-9223372036854775808}`)
	for _, expr := range []string{
		`type(predicate.i) == int`,
		`type(predicate.f) == double`,
		`type(predicate.e) == double`,
		`type(predicate.big) == double && predicate.big > 1e29`,
		`predicate.neg == -9223372036854775808`,
	} {
		if r := mustCompile(t, Spec{CEL: []string{expr}}).Eval(st); !r.Passed {
			t.Errorf("Eval(CEL %q) = %q, want it to pass", expr, r.Failures)
		}
	}
}
