package conditions

import (
	"encoding/json"
	"testing"

	"sigs.k8s.io/yaml"
)

// fuzzSpec exercises every operator and both languages. Every condition
// of its first block is one that odd content must not satisfy by accident.
func fuzzSpec() Spec {
	return Spec{
		CEL: append([]string{
			`predicate.reviewers.exists(r, r.matches("^[a-z]+@example[.]com$")) || predicate.?x.orValue(0) == 1`,
			`subject.all(s, has(s.digest)) || sets.contains(predicate.reviewers, ["x"])`,
		}, celReview...),
		Kyverno: []Block{
			{All: []Condition{
				{Key: "{{ repo.uri }}", Operator: "Equals", Value: "https://git-repo.com/org/app"},
				{Key: "{{ repo.branch }}", Operator: "Equals", Value: "main"},
				{Key: "{{ reviewers }}", Operator: "AnyIn", Value: []any{"ana@example.com", "bob@example.com"}},
			}},
			{Any: []Condition{
				{Key: "{{ score }}", Operator: "GreaterThan", Value: "{{ ratio }}"},
				{Key: "{{ size }}", Operator: "LessThanOrEquals", Value: "1Gi"},
				{Key: "{{ timeout }}", Operator: "DurationLessThan", Value: "{{ timeout }}"},
				{Key: "{{ version }}", Operator: "GreaterThanOrEquals", Value: "1.0.0"},
				{Key: "{{ tags }}", Operator: "AllNotIn", Value: "{{ reviewers }}"},
				{Key: "{{ tags }}", Operator: "AnyNotIn", Value: "1-10"},
				{Key: "{{ labels }}", Operator: "NotEquals", Value: "{{ labels }}"},
				{Key: "{{ ports }}", Operator: "In", Value: "{{ to_string(ports) }}"},
				{Key: "{{ ports[0] }}", Operator: "NotIn", Value: []any{"{{ ports[1] }}"}},
				{Key: "{{ merge(labels, repo) }}", Operator: "AllIn", Value: "{{ keys(@) }}"},
				{Key: "x{{ repo.branch }}{{ score }}", Operator: "LessThan", Value: "{{ sort_by(reviewers, &@) }}"},
			}},
		},
	}
}

// FuzzEval: any statement, against compiled conditions in both
// languages, never panics, never hangs, and passes only when the
// statement really holds what the code-review conditions require.
func FuzzEval(f *testing.F) {
	f.Add(review)
	f.Add(statement(`{"reviewers":"ana@example.com","repo":[]}`))
	f.Add(statement(`{"repo":{"uri":"https://git-repo.com/org/app","branch":"main"},"reviewers":["ana@example.com"],"score":"1Gi","ratio":"5e9999","size":"{{ repo }}","timeout":"9999999999h","version":"1.0.0-\u202e","tags":["*"],"labels":{"a":null},"ports":[1e308,-0]}`))
	f.Add(statement(`null`))
	f.Add([]byte(`{"predicate":{},"predicate":{}}`))
	f.Add([]byte(`[]`))
	p := mustCompile(f, fuzzSpec())
	f.Fuzz(func(t *testing.T, b []byte) {
		r := p.Eval(b)
		if r.Passed != (len(r.Failures) == 0) {
			t.Fatalf("Eval() = %+v: Passed disagrees with Failures", r)
		}
		if !r.Passed {
			return
		}
		var st struct {
			Predicate struct {
				Repo struct {
					URI    *string `json:"uri"`
					Branch *string `json:"branch"`
				} `json:"repo"`
				Reviewers []any `json:"reviewers"`
			} `json:"predicate"`
		}
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatalf("Eval(%q) passed a statement encoding/json rejects: %v", b, err)
		}
		pr := st.Predicate
		if pr.Repo.URI == nil || *pr.Repo.URI != "https://git-repo.com/org/app" || pr.Repo.Branch == nil || *pr.Repo.Branch != "main" {
			t.Fatalf("Eval(%q) passed a statement with another repository", b)
		}
		found := false
		for _, r := range pr.Reviewers {
			found = found || r == "ana@example.com" || r == "bob@example.com"
		}
		if !found {
			t.Fatalf("Eval(%q) passed a statement without a known reviewer", b)
		}
	})
}

// FuzzCompile: any condition text, as fields or as a policy's YAML, never
// panics the compiler; what compiles evaluates without panicking.
func FuzzCompile(f *testing.F) {
	f.Add("{{ repo.uri }}", "Equals", "x", "predicate.a == 1", kyvernoReviewYAML)
	f.Add("{{ a[?b=='c'] }}", "AnyIn", "{{ d }}", "size(predicate) > 1", "cel: [\"true\"]")
	f.Add("{{", "GreaterThan", "}}", ")", "kyverno: [{any: []}]")
	f.Add("\\{{ {a: b} }}$(x)", "In", "{{- map(&a, b) }}", `predicate.s.replace("", predicate.s) == ""`, "kyverno: [{all: [{key: 1, operator: In, value: [[{}]]}]}]")
	f.Add("{{ `[1]` }}", "DurationLessThan", "1h-2h", "[1,2].all(x, x > 0) ? true : false", "{")
	f.Fuzz(func(t *testing.T, key, op, value, expr, doc string) {
		for _, spec := range []Spec{
			{CEL: []string{expr}, Kyverno: []Block{{All: []Condition{{Key: key, Operator: op, Value: value}}}}},
			{Kyverno: []Block{{Any: []Condition{{Key: value, Operator: op, Value: []any{key, map[string]any{"k": expr}}}}}}},
		} {
			if p, err := Compile(spec); err == nil {
				_ = p.Eval(review)
			}
		}
		var spec Spec
		if yaml.UnmarshalStrict([]byte(doc), &spec) != nil {
			return
		}
		if p, err := Compile(spec); err == nil {
			_ = p.Eval(review)
		}
	})
}

// FuzzQuantity: any string parses without panicking or running long, and
// quantities order consistently.
func FuzzQuantity(f *testing.F) {
	for _, s := range []string{"1", "1.5Gi", "500m", ".", "-", "1e3", "1E", "100e10000", "020000e2200000000", "0.0000000001", "9Ei"} {
		f.Add(s, "1Gi")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		qa, oka, erra := parseQuantity(a)
		qb, okb, errb := parseQuantity(b)
		if !oka || !okb || erra != nil || errb != nil {
			return
		}
		if qa.cmp(qb) != -qb.cmp(qa) {
			t.Fatalf("cmp(%q, %q) = %d but cmp(%q, %q) = %d", a, b, qa.cmp(qb), b, a, qb.cmp(qa))
		}
		if qa.cmp(qa) != 0 {
			t.Fatalf("cmp(%q, %q) = %d", a, a, qa.cmp(qa))
		}
		// Every quantity is a whole number of nano units.
		if qa.exp < -9 {
			t.Fatalf("parseQuantity(%q) has exponent %d", a, qa.exp)
		}
	})
}
