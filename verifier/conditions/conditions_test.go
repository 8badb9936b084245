package conditions

import (
	"errors"
	"strings"
	"testing"
)

const review = `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"registry.io/org/app","digest":{"sha256":"aa"}}],
"predicateType":"https://example.com/CodeReview/v1",
"predicate":{"repo":{"uri":"https://git-repo.com/org/app","branch":"main"},"reviewers":["ana@example.com","bob@example.com"],
"score":7,"size":"512Mi","timeout":"90s","version":"1.4.2","labels":{"team":"payments"}}}`

// kyvernoReview is the seed document's code-review conditions.
var kyvernoReview = []Block{{All: []Condition{
	{Key: "{{ repo.uri }}", Operator: "Equals", Value: "https://git-repo.com/org/app"},
	{Key: "{{ repo.branch }}", Operator: "Equals", Value: "main"},
	{Key: "{{ reviewers }}", Operator: "AnyIn", Value: []any{"ana@example.com", "bob@example.com"}},
}}}

var celReview = []string{
	`predicate.repo.uri == "https://git-repo.com/org/app"`,
	`predicate.repo.branch == "main"`,
	`predicate.reviewers.exists(r, r in ["ana@example.com", "bob@example.com"])`,
}

func eval(t *testing.T, spec Spec, st string) Result {
	t.Helper()
	p, err := Compile(spec)
	if err != nil {
		t.Fatalf("Compile(%+v) error = %v", spec, err)
	}
	return p.Eval([]byte(st))
}

// TestCodeReview: the example passes written Kyverno's way and as CEL; a
// predicate that breaks one condition fails both, naming that condition.
func TestCodeReview(t *testing.T) {
	for name, spec := range map[string]Spec{"kyverno": {Kyverno: kyvernoReview}, "cel": {CEL: celReview}} {
		t.Run(name, func(t *testing.T) {
			if r := eval(t, spec, review); !r.Passed {
				t.Fatalf("Eval(review) = %v, want it to pass", r.Failures)
			}
			broken := strings.Replace(review, `"branch":"main"`, `"branch":"dev"`, 1)
			r := eval(t, spec, broken)
			if r.Passed || len(r.Failures) != 1 {
				t.Fatalf("Eval(branch dev) = %+v, want exactly one failure", r)
			}
			if !strings.Contains(r.Failures[0], "branch") {
				t.Errorf("failure %q does not name the branch condition", r.Failures[0])
			}
			noReviewers := strings.Replace(review, `["ana@example.com","bob@example.com"]`, `["mallory@example.com"]`, 1)
			if r := eval(t, spec, noReviewers); r.Passed || !strings.Contains(strings.Join(r.Failures, " "), "reviewers") {
				t.Errorf("Eval(other reviewer) = %+v, want a failure naming reviewers", r)
			}
		})
	}
}

func TestOperators(t *testing.T) {
	tests := []struct {
		key, op string
		value   any
		want    bool
	}{
		{"{{ repo.branch }}", "Equals", "main", true},
		{"{{ repo.branch }}", "Equals", "ma*", true},
		{"{{ repo.branch }}", "Equals", "m?in", true},
		{"{{ repo.branch }}", "Equals", "dev", false},
		{"{{ repo.branch }}", "NotEquals", "dev", true},
		{"{{ score }}", "Equals", int64(7), true},
		{"{{ score }}", "Equals", "7", true},
		{"{{ labels }}", "Equals", map[string]any{"team": "payments"}, true},
		{"{{ reviewers }}", "AnyIn", []any{"bob@example.com"}, true},
		{"{{ reviewers }}", "AnyIn", []any{"*@example.com"}, true},
		{"{{ reviewers }}", "AnyIn", []any{"eve@example.com"}, false},
		{"{{ reviewers }}", "AllIn", []any{"ana@example.com", "bob@example.com", "eve@example.com"}, true},
		{"{{ reviewers }}", "AllIn", []any{"ana@example.com"}, false},
		{"{{ reviewers }}", "AnyNotIn", []any{"ana@example.com"}, true},
		{"{{ reviewers }}", "AnyNotIn", []any{"ana@example.com", "bob@example.com"}, false},
		{"{{ reviewers }}", "AllNotIn", []any{"eve@example.com"}, true},
		{"{{ reviewers }}", "AllNotIn", []any{"ana@example.com"}, false},
		{"{{ repo.branch }}", "In", []any{"main", "release"}, true},
		{"{{ repo.branch }}", "NotIn", []any{"main", "release"}, false},
		{"{{ repo.branch }}", "AnyIn", "main", true},
		{"{{ score }}", "GreaterThan", int64(5), true},
		{"{{ score }}", "GreaterThan", "7", false},
		{"{{ score }}", "GreaterThanOrEquals", "7", true},
		{"{{ score }}", "LessThan", 7.5, true},
		{"{{ score }}", "LessThanOrEquals", int64(6), false},
		{"{{ size }}", "GreaterThan", "500Mi", true},
		{"{{ size }}", "LessThan", "1Gi", true},
		{"{{ timeout }}", "LessThan", "2m", true},
		{"{{ timeout }}", "Equals", "1m30s", true},
		{"{{ version }}", "GreaterThanOrEquals", "1.4.0", true},
		{"{{ version }}", "LessThan", "1.4.0", false},
		{"{{ repo.branch }}", "GreaterThan", int64(1), false},
		{"{{ missing.field }}", "Equals", "x", false},
		{"{{ missing.field }}", "AnyIn", []any{"x"}, false},
		{"main", "Equals", "main", true},
		{"branch is {{ repo.branch }}", "Equals", "branch is main", true},
		{"{{ length(reviewers) }}", "GreaterThanOrEquals", int64(2), true},
	}
	for _, tc := range tests {
		r := eval(t, Spec{Kyverno: []Block{{All: []Condition{{Key: tc.key, Operator: tc.op, Value: tc.value}}}}}, review)
		if r.Passed != tc.want {
			t.Errorf("%s %s %v = %v (%v), want %v", tc.key, tc.op, tc.value, r.Passed, r.Failures, tc.want)
		}
	}
}

func TestAnyBlock(t *testing.T) {
	spec := Spec{Kyverno: []Block{{Any: []Condition{
		{Key: "{{ repo.branch }}", Operator: "Equals", Value: "release"},
		{Key: "{{ repo.branch }}", Operator: "Equals", Value: "main", Message: "must be main"},
	}}}}
	if r := eval(t, spec, review); !r.Passed {
		t.Errorf("any with one true condition failed: %v", r.Failures)
	}
	r := eval(t, spec, strings.Replace(review, `"branch":"main"`, `"branch":"dev"`, 1))
	if r.Passed || !strings.Contains(r.Failures[0], "must be main") {
		t.Errorf("any with no true condition = %+v, want a failure with the message", r)
	}
}

func TestCEL(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{`predicateType == "https://example.com/CodeReview/v1"`, true},
		{`predicate.score > 5`, true},
		{`size(predicate.reviewers) >= 3`, false},
		{`subject[0].name.startsWith("registry.io/")`, true},
		{`statement._type.endsWith("/v1")`, true},
		{`predicate.nope == "x"`, false}, // runtime error: fails, never passes
	}
	for _, tc := range tests {
		r := eval(t, Spec{CEL: []string{tc.expr}}, review)
		if r.Passed != tc.want {
			t.Errorf("CEL %q = %v (%v), want %v", tc.expr, r.Passed, r.Failures, tc.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{CEL: []string{`predicate.score +`}}, "cel[0]"},
		{Spec{CEL: []string{`predicate.score + 1`, `"x"`}}, `cel[1] "\"x\"": has type string, want bool`},
		{Spec{Kyverno: []Block{{All: []Condition{{Key: "{{ a }}", Operator: "Equal", Value: "x"}}}}}, `kyverno[0].all[0]: unknown operator "Equal"`},
		{Spec{Kyverno: []Block{{Any: []Condition{{Key: "{{ a[ }}", Operator: "Equals", Value: "x"}}}}}, "kyverno[0].any[0]: key: JMESPath"},
		{Spec{Kyverno: []Block{{All: []Condition{{Key: "{{ base64_decode(a) }}", Operator: "Equals", Value: "x"}}}}}, "unknown function base64_decode()"},
		{Spec{Kyverno: []Block{{}}}, "kyverno[0]: a block needs all or any"},
		{Spec{Kyverno: []Block{{All: []Condition{{Operator: "Equals", Value: "x"}}}}}, "key is required"},
	}
	for _, tc := range tests {
		_, err := Compile(tc.spec)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compile(%+v) error = %v, want one mentioning %q", tc.spec, err, tc.want)
		}
	}
}

// TestCELCost: an expression that would run away on a big predicate is
// stopped and fails.
func TestCELCost(t *testing.T) {
	big := `{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":[],"predicate":{"l":[` + strings.Repeat(`"aaaaaaaa",`, 3000) + `"a"]}}`
	r := eval(t, Spec{CEL: []string{`predicate.l.all(x, predicate.l.all(y, x == y || true))`}}, big)
	if r.Passed || !strings.Contains(strings.Join(r.Failures, " "), "cost") {
		t.Errorf("runaway CEL = %+v, want a cost-limit failure", r)
	}
}

func TestMalformedStatement(t *testing.T) {
	r := eval(t, Spec{Kyverno: kyvernoReview}, "{not json")
	if r.Passed {
		t.Error("a malformed statement passed")
	}
}
