package conditions

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jmespath/go-jmespath"
	"golang.org/x/mod/semver"
)

// Kyverno's operators.
var operators = map[string]func(key, value any) bool{
	"Equals":              func(k, v any) bool { return equal(k, v) },
	"NotEquals":           func(k, v any) bool { return !equal(k, v) },
	"In":                  func(k, v any) bool { return allIn(k, v) },
	"AnyIn":               func(k, v any) bool { return anyIn(k, v) },
	"AllIn":               func(k, v any) bool { return allIn(k, v) },
	"NotIn":               func(k, v any) bool { return allNotIn(k, v) },
	"AnyNotIn":            func(k, v any) bool { return anyNotIn(k, v) },
	"AllNotIn":            func(k, v any) bool { return allNotIn(k, v) },
	"GreaterThan":         func(k, v any) bool { c, ok := compare(k, v); return ok && c > 0 },
	"GreaterThanOrEquals": func(k, v any) bool { c, ok := compare(k, v); return ok && c >= 0 },
	"LessThan":            func(k, v any) bool { c, ok := compare(k, v); return ok && c < 0 },
	"LessThanOrEquals":    func(k, v any) bool { c, ok := compare(k, v); return ok && c <= 0 },
}

type compiledCondition struct {
	c        Condition
	key, val *template
	op       func(key, value any) bool
}

type compiledBlock struct {
	all, any []compiledCondition
}

func compileCondition(c Condition) (compiledCondition, error) {
	op, ok := operators[c.Operator]
	if !ok {
		return compiledCondition{}, fmt.Errorf("unknown operator %q (want one of Equals, NotEquals, In, AnyIn, AllIn, NotIn, AnyNotIn, AllNotIn, GreaterThan, GreaterThanOrEquals, LessThan, LessThanOrEquals)", c.Operator)
	}
	if c.Key == nil {
		return compiledCondition{}, errors.New("key is required")
	}
	k, err := compileTemplate(c.Key)
	if err != nil {
		return compiledCondition{}, fmt.Errorf("key: %v", err)
	}
	v, err := compileTemplate(c.Value)
	if err != nil {
		return compiledCondition{}, fmt.Errorf("value: %v", err)
	}
	return compiledCondition{c: c, key: k, val: v, op: op}, nil
}

func (b compiledBlock) eval(i int, predicate any) []string {
	var failures []string
	for _, c := range b.all {
		if msg := c.check(predicate); msg != "" {
			failures = append(failures, fmt.Sprintf("kyverno[%d].all: %s", i, msg))
		}
	}
	if len(b.any) > 0 {
		var msgs []string
		for _, c := range b.any {
			msg := c.check(predicate)
			if msg == "" {
				msgs = nil
				break
			}
			msgs = append(msgs, msg)
		}
		if msgs != nil {
			failures = append(failures, fmt.Sprintf("kyverno[%d].any: none holds: %s", i, strings.Join(msgs, " | ")))
		}
	}
	return failures
}

// check returns "" when the condition holds, and a message otherwise.
func (c compiledCondition) check(predicate any) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprintf("%s: evaluation failed: %v", c.describe(nil), r)
		}
	}()
	k, err := c.key.eval(predicate)
	if err != nil {
		return fmt.Sprintf("%s: key: %v", c.describe(nil), err)
	}
	v, err := c.val.eval(predicate)
	if err != nil {
		return fmt.Sprintf("%s: value: %v", c.describe(nil), err)
	}
	if c.op(k, v) {
		return ""
	}
	if c.c.Message != "" {
		return c.c.Message
	}
	return c.describe(k) + " failed"
}

func (c compiledCondition) describe(actual any) string {
	key := fmt.Sprint(c.c.Key)
	if s, ok := c.c.Key.(string); ok {
		key = trimBraces(s)
	}
	if actual != nil {
		return fmt.Sprintf("%s (%s) %s %s", key, describe(actual), c.c.Operator, describe(c.c.Value))
	}
	return fmt.Sprintf("%s %s %s", key, c.c.Operator, describe(c.c.Value))
}

// template is a key or value: a literal, one {{ }} expression (whose JSON
// value is used as it is), or text with expressions in it (a string).
type template struct {
	literal any
	whole   *jmespath.JMESPath
	parts   []part
}

type part struct {
	text string
	expr *jmespath.JMESPath
}

var exprPattern = regexp.MustCompile(`\{\{(.*?)\}\}`)

func compileTemplate(v any) (*template, error) {
	s, ok := v.(string)
	if !ok {
		return &template{literal: v}, nil
	}
	locs := exprPattern.FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		return &template{literal: s}, nil
	}
	t := &template{}
	if len(locs) == 1 && locs[0][0] == 0 && locs[0][1] == len(s) {
		e, err := compileJMESPath(s[locs[0][2]:locs[0][3]])
		if err != nil {
			return nil, err
		}
		t.whole = e
		return t, nil
	}
	last := 0
	for _, l := range locs {
		e, err := compileJMESPath(s[l[2]:l[3]])
		if err != nil {
			return nil, err
		}
		t.parts = append(t.parts, part{text: s[last:l[0]]}, part{expr: e})
		last = l[1]
	}
	t.parts = append(t.parts, part{text: s[last:]})
	return t, nil
}

func (t *template) eval(data any) (any, error) {
	switch {
	case t.whole != nil:
		return t.whole.Search(data)
	case t.parts != nil:
		var b strings.Builder
		for _, p := range t.parts {
			if p.expr == nil {
				b.WriteString(p.text)
				continue
			}
			v, err := p.expr.Search(data)
			if err != nil {
				return nil, err
			}
			if s, ok := v.(string); ok {
				b.WriteString(s)
			} else {
				b.WriteString(describe(v))
			}
		}
		return b.String(), nil
	}
	return t.literal, nil
}

// standardFunctions are JMESPath's built-in functions.
var standardFunctions = map[string]bool{
	"abs": true, "avg": true, "ceil": true, "contains": true, "ends_with": true, "floor": true, "join": true,
	"keys": true, "length": true, "map": true, "max": true, "max_by": true, "merge": true, "min": true,
	"min_by": true, "not_null": true, "reverse": true, "sort": true, "sort_by": true, "starts_with": true,
	"sum": true, "to_array": true, "to_number": true, "to_string": true, "type": true, "values": true,
}

func compileJMESPath(expr string) (*jmespath.JMESPath, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, errors.New("empty {{ }} expression")
	}
	ast, err := jmespath.NewParser().Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("JMESPath %q: %v", expr, err)
	}
	if name := unknownFunction(ast.String()); name != "" {
		return nil, fmt.Errorf("JMESPath %q: unknown function %s() (Kyverno's own functions are not supported)", expr, name)
	}
	return jmespath.Compile(expr)
}

// functionNode finds the function names in go-jmespath's rendering of an
// AST (its nodes' fields are not exported).
var functionNode = regexp.MustCompile(`ASTFunctionExpression \{\n\s*value: "([^"]*)"`)

func unknownFunction(ast string) string {
	for _, m := range functionNode.FindAllStringSubmatch(ast, -1) {
		if !standardFunctions[m[1]] {
			return m[1]
		}
	}
	return ""
}

// equal is Kyverno's Equals: strings compare with wildcards in the value (*
// and ?), numbers by value (also when one side is a numeric string),
// durations and quantities by what they measure, the rest deeply.
func equal(k, v any) bool {
	if vs, ok := v.(string); ok {
		if ks, ok := k.(string); ok {
			if ks == vs || wildcard(vs, ks) {
				return true
			}
		}
	}
	if c, ok := compare(k, v); ok {
		return c == 0
	}
	return reflect.DeepEqual(k, v)
}

// toList returns v's elements, or v alone.
func toList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func in(k any, set []any) bool {
	for _, s := range set {
		if equal(k, s) {
			return true
		}
	}
	return false
}

func anyIn(k, v any) bool {
	set := toList(v)
	for _, e := range toList(k) {
		if in(e, set) {
			return true
		}
	}
	return false
}

func allIn(k, v any) bool {
	set := toList(v)
	keys := toList(k)
	if len(keys) == 0 {
		return false
	}
	for _, e := range keys {
		if !in(e, set) {
			return false
		}
	}
	return true
}

func anyNotIn(k, v any) bool {
	set := toList(v)
	for _, e := range toList(k) {
		if !in(e, set) {
			return true
		}
	}
	return false
}

func allNotIn(k, v any) bool {
	set := toList(v)
	for _, e := range toList(k) {
		if in(e, set) {
			return false
		}
	}
	return true
}

// compare orders two values that are both numbers (or numeric strings),
// both durations, both resource quantities, or both semantic versions.
func compare(k, v any) (int, bool) {
	if a, ok := number(k); ok {
		if b, ok := number(v); ok {
			return a.Cmp(b), true
		}
	}
	ks, kok := k.(string)
	vs, vok := v.(string)
	if !kok || !vok {
		return 0, false
	}
	if a, err := time.ParseDuration(ks); err == nil {
		if b, err := time.ParseDuration(vs); err == nil {
			switch {
			case a < b:
				return -1, true
			case a > b:
				return 1, true
			}
			return 0, true
		}
	}
	if a, ok := quantity(ks); ok {
		if b, ok := quantity(vs); ok {
			return a.Cmp(b), true
		}
	}
	a, b := "v"+strings.TrimPrefix(ks, "v"), "v"+strings.TrimPrefix(vs, "v")
	if semver.IsValid(a) && semver.IsValid(b) {
		return semver.Compare(a, b), true
	}
	return 0, false
}

func number(v any) (*big.Float, bool) {
	switch t := v.(type) {
	case int64:
		return new(big.Float).SetInt64(t), true
	case int:
		return new(big.Float).SetInt64(int64(t)), true
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, false
		}
		return new(big.Float).SetFloat64(t), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
		return new(big.Float).SetFloat64(f), true
	}
	return nil, false
}

var quantitySuffixes = map[string]float64{
	"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60,
	"n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
}

var quantityPattern = regexp.MustCompile(`^([+-]?[0-9.]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)$`)

// quantity parses a Kubernetes resource quantity with a suffix (1Gi, 500m).
func quantity(s string) (*big.Float, bool) {
	m := quantityPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return nil, false
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return nil, false
	}
	return new(big.Float).Mul(new(big.Float).SetFloat64(f), new(big.Float).SetFloat64(quantitySuffixes[m[2]])), true
}

// wildcard matches s against a pattern of * and ? (no backtracking blow-up).
func wildcard(p, s string) bool {
	if !strings.ContainsAny(p, "*?") {
		return false
	}
	px, sx, nextPx, nextSx := 0, 0, -1, -1
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextSx > 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}
