package conditions

// Kyverno's condition operators, ported from
// github.com/kyverno/kyverno pkg/engine/variables/operator (equal.go,
// notequal.go, in.go, anyin.go, allin.go, notin.go, anynotin.go,
// allnotin.go, numeric.go, duration.go, operator.go) and the range
// patterns of pkg/engine/pattern and pkg/engine/operator. Keys and values
// are JSON values with float64 numbers, as Kyverno sees them. Where
// Kyverno's code has a quirk, it is kept (and commented) unless it would
// let a condition pass that should fail.

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/semver"
)

// kyvernoBudget bounds the work of the Kyverno conditions in one Eval
// (wildcard-matching steps and bytes formatted); see evaluator.
const kyvernoBudget = 100_000_000

var errBudget = errors.New("evaluation budget exhausted")

// evaluator carries the work budget of one Eval: the In operators compare
// every key with every value, both ways, with wildcards, and both sides
// can come from the statement.
type evaluator struct {
	budget int64
}

func (e *evaluator) charge(n int) error {
	e.budget -= int64(n)
	if e.budget < 0 {
		return errBudget
	}
	return nil
}

// operatorFunc reports whether key and value satisfy an operator. An
// error fails the condition.
type operatorFunc func(e *evaluator, key, value any) (bool, error)

// operators are the operator names Kyverno's ClusterPolicy schema accepts
// for conditions (api/kyverno/v1/common_types.go, the Enum of
// ConditionOperator). In and NotIn are deprecated for AnyIn/AllIn and
// AnyNotIn/AllNotIn, and Duration* for the plain comparisons, but Kyverno
// still accepts and evaluates them.
var operators = map[string]operatorFunc{
	"Equals":                      equals,
	"NotEquals":                   notEquals,
	"In":                          in,
	"AnyIn":                       anyIn,
	"AllIn":                       allIn,
	"NotIn":                       notIn,
	"AnyNotIn":                    anyNotIn,
	"AllNotIn":                    allNotIn,
	"GreaterThan":                 numeric(cmpGT),
	"GreaterThanOrEquals":         numeric(cmpGE),
	"LessThan":                    numeric(cmpLT),
	"LessThanOrEquals":            numeric(cmpLE),
	"DurationGreaterThan":         durationOperator(cmpGT),
	"DurationGreaterThanOrEquals": durationOperator(cmpGE),
	"DurationLessThan":            durationOperator(cmpLT),
	"DurationLessThanOrEquals":    durationOperator(cmpLE),
}

// Operators returns the operator names a Kyverno condition may use.
func Operators() []string {
	names := make([]string, 0, len(operators))
	for n := range operators {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func lookupOperator(name string) (operatorFunc, error) {
	if fn, ok := operators[name]; ok {
		return fn, nil
	}
	switch name {
	case "":
		return nil, fmt.Errorf("%w: operator is required", ErrUnknownOperator)
	case "Equal", "NotEqual":
		// Kyverno's engine still knows them, but its schema rejects them.
		return nil, fmt.Errorf("%w %q: Kyverno's schema no longer accepts it; write %q", ErrUnknownOperator, name, name+"s")
	}
	for n := range operators {
		if strings.EqualFold(n, name) {
			return nil, fmt.Errorf("%w %q: operator names are case-sensitive; write %q", ErrUnknownOperator, name, n)
		}
	}
	return nil, fmt.Errorf("%w %q (want one of %s)", ErrUnknownOperator, name, strings.Join(Operators(), ", "))
}

// Equals (equal.go): booleans with booleans; numbers with numbers and
// numeric strings; strings as durations when either side is one (a number
// then counts seconds), else as resource quantities when the key is one
// (the value must be one too), else with the value as a wildcard pattern;
// objects and arrays deeply, with their own kind only. A null key, and
// anything else, is not equal.
func equals(e *evaluator, k, v any) (bool, error) {
	switch k := k.(type) {
	case bool:
		b, ok := v.(bool)
		return ok && b == k, nil
	case float64:
		switch v := v.(type) {
		case float64:
			return v == k, nil
		case string:
			f, err := strconv.ParseFloat(v, 64)
			return err == nil && f == k, nil
		}
		return false, nil
	case string:
		if kd, vd, ok := durations(k, v); ok {
			return kd.Seconds() == vd.Seconds(), nil
		}
		kq, isQuantity, err := parseQuantity(k)
		if err != nil {
			return false, err
		}
		vs, vIsString := v.(string)
		if isQuantity && vIsString {
			vq, ok, err := parseQuantity(vs)
			if err != nil || !ok {
				return false, err
			}
			return kq.cmp(vq) == 0, nil
		}
		if vIsString {
			return e.match(vs, k)
		}
		return false, nil
	case map[string]any:
		m, ok := v.(map[string]any)
		return ok && deepEqual(k, m), nil
	case []any:
		l, ok := v.([]any)
		return ok && deepEqual(k, l), nil
	}
	return false, nil
}

// NotEquals (notequal.go) is the negation of Equals for the keys Equals
// handles; a null key (or any other) makes it false too.
func notEquals(e *evaluator, k, v any) (bool, error) {
	switch k.(type) {
	case bool, float64, string, map[string]any, []any:
		eq, err := equals(e, k, v)
		return !eq && err == nil, err
	}
	return false, nil
}

// durations is Kyverno's parseDuration (operator.go): when the key or the
// value is a duration string other than "0", both are durations, a number
// counting seconds. As in Kyverno, a fractional number of seconds is
// truncated to whole nanoseconds before it is scaled (1.5 is 1s).
func durations(key, value any) (time.Duration, time.Duration, bool) {
	kd, kok := durationString(key)
	vd, vok := durationString(value)
	if !kok && !vok {
		return 0, 0, false
	}
	if !kok {
		f, ok := key.(float64)
		if !ok {
			return 0, 0, false
		}
		kd = time.Duration(f) * time.Second
	}
	if !vok {
		f, ok := value.(float64)
		if !ok {
			return 0, 0, false
		}
		vd = time.Duration(f) * time.Second
	}
	return kd, vd, true
}

func durationString(v any) (time.Duration, bool) {
	s, ok := v.(string)
	if !ok || s == "0" {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

func deepEqual(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, av := range a {
			bv, ok := bm[k]
			if !ok || !deepEqual(av, bv) {
				return false
			}
		}
		return true
	case []any:
		bl, ok := b.([]any)
		if !ok || len(a) != len(bl) {
			return false
		}
		for i := range a {
			if !deepEqual(a[i], bl[i]) {
				return false
			}
		}
		return true
	case float64:
		// reflect.DeepEqual, which Kyverno uses, compares floats with ==.
		bf, ok := b.(float64)
		return ok && a == bf
	case string, bool, nil:
		return a == b
	}
	return false
}

// scalarString is how the In operators see a scalar key: strings as they
// are, numbers and booleans through fmt.Sprint (so 12345678 is
// "1.2345678e+07", as in Kyverno).
func scalarString(k any) (string, bool) {
	switch k := k.(type) {
	case string:
		return k, true
	case float64, bool:
		return fmt.Sprint(k), true
	}
	return "", false
}

// sprintAll formats list elements as Kyverno does: fmt.Sprint.
func (e *evaluator) sprintAll(l []any) ([]string, error) {
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = fmt.Sprint(x)
		if err := e.charge(len(out[i]) + 1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// In (deprecated, in.go). A scalar key is in a list value when it matches
// an element (wildcards either way), and in a string value when the value
// matches it as a pattern or is a JSON array of strings holding it
// exactly. A list key (of strings only) is in when every element is, with
// exact matching. Any other key or value: false.
func in(e *evaluator, k, v any) (bool, error) {
	if l, ok := k.([]any); ok {
		keys, err := stringList("In", l)
		if err != nil {
			return false, err
		}
		invalid, ok, err := e.legacySetIn(keys, v, false)
		return ok && !invalid, err
	}
	ks, ok := scalarString(k)
	if !ok {
		return false, nil
	}
	invalid, exists, err := e.keyIn(ks, v, true)
	return exists && !invalid, err
}

// NotIn (deprecated, notin.go): the negation of In for a scalar key; for a
// list key, true when some element is not in the value (exact matching).
// Invalid types make it false.
func notIn(e *evaluator, k, v any) (bool, error) {
	if l, ok := k.([]any); ok {
		keys, err := stringList("NotIn", l)
		if err != nil {
			return false, err
		}
		invalid, ok, err := e.legacySetIn(keys, v, true)
		return ok && !invalid, err
	}
	ks, ok := scalarString(k)
	if !ok {
		return false, nil
	}
	invalid, exists, err := e.keyIn(ks, v, true)
	return !exists && !invalid && err == nil, err
}

// stringList is In's and NotIn's list key: Kyverno asserts every element is
// a string (and panics otherwise); here the condition fails.
func stringList(op string, l []any) ([]string, error) {
	keys := make([]string, len(l))
	for i, x := range l {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("%s needs a list of strings as key; element %d is %s", op, i, describe(x))
		}
		keys[i] = s
	}
	return keys, nil
}

// keyIn is keyExistsInArray (in.go, legacy) and anyKeyExistsInArray /
// allKeyExistsInArray (anyin.go, allin.go, identical): whether a scalar
// key is in the value. invalid reports a value of a type that makes every
// In operator false.
func (e *evaluator) keyIn(key string, value any, legacy bool) (invalid, exists bool, err error) {
	switch v := value.(type) {
	case []any:
		vals, err := e.sprintAll(v)
		if err != nil {
			return false, false, err
		}
		for _, s := range vals {
			if ok, err := e.matchEither(s, key); ok || err != nil {
				return false, ok, err
			}
		}
		return false, false, nil
	case string:
		if ok, err := e.match(v, key); ok || err != nil {
			return false, ok, err
		}
		if !legacy && operatorOf(v) == opInRange {
			ok, err := validatePattern(e, key, v)
			return false, ok, err
		}
		arr, ok, err := e.jsonStrings(v, legacy)
		if err != nil || !ok {
			return true, false, err
		}
		for _, s := range arr {
			if s == key {
				return false, true, nil
			}
		}
		return false, false, nil
	}
	return true, false, nil
}

// jsonStrings reads a string value as a list of strings: a JSON array of
// strings, or (unless legacy) the string itself when it is not JSON. ok is
// false when the value is JSON but not an array of strings, or (legacy)
// not JSON.
func (e *evaluator) jsonStrings(v string, legacy bool) ([]string, bool, error) {
	if err := e.charge(len(v)); err != nil {
		return nil, false, err
	}
	if !legacy && !json.Valid([]byte(v)) {
		return []string{v}, true, nil
	}
	var arr []string
	if err := json.Unmarshal([]byte(v), &arr); err != nil {
		return nil, false, nil
	}
	return arr, true, nil
}

// legacySetIn is setExistsInArray (in.go), for In and NotIn with a list
// key: exact matching, values must be strings.
func (e *evaluator) legacySetIn(keys []string, value any, not bool) (invalid, result bool, err error) {
	var vals []string
	switch v := value.(type) {
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return true, false, nil
			}
			vals = append(vals, s)
		}
	case string:
		if len(keys) == 1 && keys[0] == v {
			// Kyverno returns true here for NotIn as well as In, so
			// NotIn(["a"], "a") passes: kept for In, fixed for NotIn.
			return false, !not, nil
		}
		arr, ok, err := e.jsonStrings(v, true)
		if err != nil || !ok {
			return true, false, err
		}
		vals = arr
	default:
		return true, false, nil
	}
	if err := e.charge(len(keys) + len(vals)); err != nil {
		return false, false, err
	}
	set := make(map[string]bool, len(vals))
	for _, s := range vals {
		set[s] = true
	}
	for _, k := range keys {
		if !set[k] {
			return false, not, nil // isIn false; isNotIn true
		}
	}
	return false, !not, nil
}

// AnyIn (anyin.go): a scalar key as for In, and also in a string value
// that is a range ("1-10", "1Gi-2Gi") holding it, or that is not JSON and
// equals it. A list key (elements through fmt.Sprint) when some element
// matches some value element, wildcards either way; the value may also be
// a single number or boolean, or a string as above.
func anyIn(e *evaluator, k, v any) (bool, error) {
	if l, ok := k.([]any); ok {
		keys, err := e.sprintAll(l)
		if err != nil {
			return false, err
		}
		invalid, ok, err := e.anySet(keys, v, false)
		return ok && !invalid, err
	}
	ks, ok := scalarString(k)
	if !ok {
		return false, nil
	}
	invalid, exists, err := e.keyIn(ks, v, false)
	return exists && !invalid, err
}

// AllIn (allin.go): a scalar key as for AnyIn; a list key when every
// element matches some value element (an empty list is all in). A number
// or boolean value is invalid for a list key.
func allIn(e *evaluator, k, v any) (bool, error) {
	if l, ok := k.([]any); ok {
		keys, err := e.sprintAll(l)
		if err != nil {
			return false, err
		}
		invalid, ok, err := e.allSet(keys, v, false)
		return ok && !invalid, err
	}
	ks, ok := scalarString(k)
	if !ok {
		return false, nil
	}
	invalid, exists, err := e.keyIn(ks, v, false)
	return exists && !invalid, err
}

// AnyNotIn (anynotin.go): a scalar key not in the value (as AnyIn sees
// it); a list key with some element that matches no value element.
// Invalid types make it false.
func anyNotIn(e *evaluator, k, v any) (bool, error) {
	if l, ok := k.([]any); ok {
		keys, err := e.sprintAll(l)
		if err != nil {
			return false, err
		}
		invalid, ok, err := e.anySet(keys, v, true)
		return ok && !invalid, err
	}
	ks, ok := scalarString(k)
	if !ok {
		return false, nil
	}
	invalid, exists, err := e.keyIn(ks, v, false)
	return !exists && !invalid && err == nil, err
}

// AllNotIn (allnotin.go): a scalar key not in the value; a list key none
// of whose elements matches a value element (an empty list qualifies).
// Invalid types make it false.
func allNotIn(e *evaluator, k, v any) (bool, error) {
	if l, ok := k.([]any); ok {
		keys, err := e.sprintAll(l)
		if err != nil {
			return false, err
		}
		invalid, ok, err := e.allSet(keys, v, true)
		return ok && !invalid, err
	}
	ks, ok := scalarString(k)
	if !ok {
		return false, nil
	}
	invalid, exists, err := e.keyIn(ks, v, false)
	return !exists && !invalid && err == nil, err
}

// setValues is the value of AnyIn/AllIn with a list key, as a list of
// strings. rangeValue is set when the value is a range pattern instead.
func (e *evaluator) setValues(value any, scalarOK bool) (vals []string, rangeValue string, invalid bool, err error) {
	switch v := value.(type) {
	case []any:
		vals, err := e.sprintAll(v)
		return vals, "", false, err
	case float64, bool:
		if scalarOK {
			return []string{fmt.Sprint(v)}, "", false, nil
		}
	case string:
		if operatorOf(v) == opInRange {
			return nil, v, false, nil
		}
		arr, ok, err := e.jsonStrings(v, false)
		if err != nil || !ok {
			return nil, "", true, err
		}
		return arr, "", false, nil
	}
	return nil, "", true, nil
}

// anySet is anySetExistsInArray (anyin.go): isAnyIn, or with not
// isAnyNotIn.
func (e *evaluator) anySet(keys []string, value any, not bool) (invalid, result bool, err error) {
	if s, ok := value.(string); ok && len(keys) == 1 && keys[0] == s {
		return false, !not, nil
	}
	vals, rng, invalid, err := e.setValues(value, true)
	if invalid || err != nil {
		return invalid, false, err
	}
	if rng != "" {
		pattern := rng
		if not {
			pattern = strings.Replace(rng, "-", "!-", 1) // Kyverno's not-in-range
		}
		for _, k := range keys {
			if ok, err := validatePattern(e, k, pattern); ok || err != nil {
				return false, ok, err
			}
		}
		return false, false, nil
	}
	for _, k := range keys {
		found, err := e.matchAny(k, vals)
		if err != nil {
			return false, false, err
		}
		if found && !not {
			return false, true, nil // isAnyIn
		}
		if !found && not {
			return false, true, nil // isAnyNotIn
		}
	}
	return false, false, nil
}

// allSet is allSetExistsInArray (allin.go): isAllIn, or with not
// isAllNotIn.
func (e *evaluator) allSet(keys []string, value any, not bool) (invalid, result bool, err error) {
	if s, ok := value.(string); ok && len(keys) == 1 && keys[0] == s {
		return false, !not, nil
	}
	vals, rng, invalid, err := e.setValues(value, false)
	if invalid || err != nil {
		return invalid, false, err
	}
	for _, k := range keys {
		var found bool
		if rng != "" {
			found, err = validatePattern(e, k, rng)
		} else {
			found, err = e.matchAny(k, vals)
		}
		if err != nil {
			return false, false, err
		}
		if found == not {
			return false, false, nil
		}
	}
	return false, true, nil
}

// matchAny reports whether key matches one of vals, wildcards either way.
func (e *evaluator) matchAny(key string, vals []string) (bool, error) {
	for _, v := range vals {
		if ok, err := e.matchEither(key, v); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func (e *evaluator) matchEither(a, b string) (bool, error) {
	if ok, err := e.match(a, b); ok || err != nil {
		return ok, err
	}
	return e.match(b, a)
}

type comparison int

const (
	cmpGT comparison = iota
	cmpGE
	cmpLT
	cmpLE
)

func (c comparison) floats(a, b float64) bool {
	switch c {
	case cmpGT:
		return a > b
	case cmpGE:
		return a >= b
	case cmpLT:
		return a < b
	}
	return a <= b
}

// numeric is GreaterThan, GreaterThanOrEquals, LessThan and
// LessThanOrEquals (numeric.go). A number key compares with a number, a
// numeric string, or a duration string (the number counting seconds). A
// string key is tried as a duration, as a resource quantity (the value a
// quantity string too), as a number, then as a strict semantic version
// (MAJOR.MINOR.PATCH, no "v") compared with a version string. Anything
// else is false.
func numeric(c comparison) operatorFunc {
	return func(e *evaluator, k, v any) (bool, error) {
		switch k := k.(type) {
		case float64:
			return numericFloat(c, k, v), nil
		case string:
			return numericString(c, k, v)
		}
		return false, nil
	}
}

func numericFloat(c comparison, k float64, v any) bool {
	switch v := v.(type) {
	case float64:
		return c.floats(k, v)
	case string:
		if kd, vd, ok := durations(k, v); ok {
			return c.floats(kd.Seconds(), vd.Seconds())
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return c.floats(k, f)
		}
		if i, err := strconv.ParseInt(v, 10, 64); err == nil {
			return c.floats(k, float64(i))
		}
	}
	return false
}

func numericString(c comparison, k string, v any) (bool, error) {
	if kd, vd, ok := durations(k, v); ok {
		return c.floats(kd.Seconds(), vd.Seconds()), nil
	}
	if vs, ok := v.(string); ok {
		kq, kok, err := parseQuantity(k)
		if err != nil {
			return false, err
		}
		if kok {
			vq, vok, err := parseQuantity(vs)
			if err != nil {
				return false, err
			}
			if vok {
				return c.floats(float64(kq.cmp(vq)), 0), nil
			}
		}
	}
	if f, err := strconv.ParseFloat(k, 64); err == nil {
		return numericFloat(c, f, v), nil
	}
	if i, err := strconv.ParseInt(k, 10, 64); err == nil {
		return numericFloat(c, float64(i), v), nil
	}
	if kv, ok := strictSemver(k); ok {
		vs, ok := v.(string)
		if !ok {
			return false, nil
		}
		vv, ok := strictSemver(vs)
		if !ok {
			return false, nil
		}
		return c.floats(float64(semver.Compare(kv, vv)), 0), nil
	}
	return false, nil
}

// durationOperator is the deprecated Duration* operators (duration.go):
// both sides durations, a number counting seconds ("0" is a duration
// here). Anything else is false.
func durationOperator(c comparison) operatorFunc {
	return func(_ *evaluator, k, v any) (bool, error) {
		var kd time.Duration
		switch k := k.(type) {
		case float64:
			kd = time.Duration(k) * time.Second
		case string:
			d, err := time.ParseDuration(k)
			if err != nil {
				return false, nil
			}
			kd = d
		default:
			return false, nil
		}
		var vd time.Duration
		switch v := v.(type) {
		case float64:
			vd = time.Duration(v) * time.Second
		case string:
			d, err := time.ParseDuration(v)
			if err != nil {
				return false, nil
			}
			vd = d
		default:
			return false, nil
		}
		switch c {
		case cmpGT:
			return kd > vd, nil
		case cmpGE:
			return kd >= vd, nil
		case cmpLT:
			return kd < vd, nil
		}
		return kd <= vd, nil
	}
}

// strictSemver is blang/semver/v4's Parse, which Kyverno uses: exactly
// MAJOR.MINOR.PATCH, numbers without leading zeros that fit in 64 bits,
// optional -prerelease and +build identifiers. It returns the version with
// a "v" for golang.org/x/mod/semver, whose ordering is the same.
func strictSemver(s string) (string, bool) {
	parts := strings.SplitN(s, ".", 3)
	if len(parts) != 3 || !semverNumber(parts[0]) || !semverNumber(parts[1]) {
		return "", false
	}
	patch := parts[2]
	if i := strings.IndexByte(patch, '+'); i >= 0 {
		for _, id := range strings.Split(patch[i+1:], ".") {
			if id == "" || !semverAlphanumeric.MatchString(id) {
				return "", false
			}
		}
		patch = patch[:i]
	}
	if i := strings.IndexByte(patch, '-'); i >= 0 {
		for _, id := range strings.Split(patch[i+1:], ".") {
			switch {
			case id == "":
				return "", false
			case semverDigits.MatchString(id):
				if !semverNumber(id) {
					return "", false
				}
			case !semverAlphanumeric.MatchString(id):
				return "", false
			}
		}
		patch = patch[:i]
	}
	if !semverNumber(patch) {
		return "", false
	}
	v := "v" + s
	return v, semver.IsValid(v)
}

var (
	semverDigits       = regexp.MustCompile(`^[0-9]+$`)
	semverAlphanumeric = regexp.MustCompile(`^[0-9A-Za-z-]+$`)
)

func semverNumber(s string) bool {
	if !semverDigits.MatchString(s) || (len(s) > 1 && s[0] == '0') {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// Range patterns (pkg/engine/operator, pkg/engine/pattern), which AnyIn,
// AllIn, AnyNotIn and AllNotIn accept as a value: "1-10" holds what is
// between 1 and 10 inclusive; "1!-10" what is not.
type patternOperator string

const (
	opEqual      patternOperator = ""
	opMoreEqual  patternOperator = ">="
	opLessEqual  patternOperator = "<="
	opNotEqual   patternOperator = "!"
	opMore       patternOperator = ">"
	opLess       patternOperator = "<"
	opInRange    patternOperator = "-"
	opNotInRange patternOperator = "!-"
)

var (
	inRange    = regexp.MustCompile(`^([-|\+]?\d+(?:\.\d+)?[A-Za-z]*)-([-|\+]?\d+(?:\.\d+)?[A-Za-z]*)$`)
	notInRange = regexp.MustCompile(`^([-|\+]?\d+(?:\.\d+)?[A-Za-z]*)!-([-|\+]?\d+(?:\.\d+)?[A-Za-z]*)$`)
)

// operatorOf is GetOperatorFromStringPattern.
func operatorOf(p string) patternOperator {
	if len(p) < 2 {
		return opEqual
	}
	for _, op := range []patternOperator{opMoreEqual, opLessEqual, opMore, opLess, opNotEqual} {
		if strings.HasPrefix(p, string(op)) {
			return op
		}
	}
	if notInRange.MatchString(p) {
		return opNotInRange
	}
	if inRange.MatchString(p) {
		return opInRange
	}
	return opEqual
}

// validatePattern is pattern.Validate for a string value and a string
// pattern: alternatives separated by |, conjunctions by &, each a
// comparison, a range, or a wildcard pattern.
func validatePattern(e *evaluator, value, pattern string) (bool, error) {
	if value == pattern {
		return true, nil
	}
	for _, alt := range strings.Split(pattern, "|") {
		all := true
		for _, c := range strings.Split(strings.Trim(alt, " "), "&") {
			ok, err := validateOne(e, value, strings.Trim(c, " "))
			if err != nil {
				return false, err
			}
			if !ok {
				all = false
				break
			}
		}
		if all {
			return true, nil
		}
	}
	return false, nil
}

func validateOne(e *evaluator, value, pattern string) (bool, error) {
	switch op := operatorOf(pattern); op {
	case opInRange:
		m := inRange.FindStringSubmatch(pattern)
		if m == nil {
			return false, nil
		}
		ok, err := validateOne(e, value, ">= "+m[1])
		if !ok || err != nil {
			return false, err
		}
		return validateOne(e, value, "<= "+m[2])
	case opNotInRange:
		m := notInRange.FindStringSubmatch(pattern)
		if m == nil {
			return false, nil
		}
		ok, err := validateOne(e, value, "< "+m[1])
		if ok || err != nil {
			return ok, err
		}
		return validateOne(e, value, "> "+m[2])
	default:
		return compareToPattern(e, value, strings.TrimSpace(pattern[len(op):]), op)
	}
}

// compareToPattern is validateString: durations, else quantities, else
// (for equality only) wildcard patterns.
func compareToPattern(e *evaluator, value, pattern string, op patternOperator) (bool, error) {
	order := func(c int) bool {
		switch op {
		case opEqual:
			return c == 0
		case opNotEqual:
			return c != 0
		case opMore:
			return c > 0
		case opLess:
			return c < 0
		case opMoreEqual:
			return c >= 0
		}
		return c <= 0
	}
	if pd, err := time.ParseDuration(pattern); err == nil {
		if vd, err := time.ParseDuration(value); err == nil {
			switch {
			case vd < pd:
				return order(-1), nil
			case vd > pd:
				return order(1), nil
			}
			return order(0), nil
		}
	}
	pq, pok, err := parseQuantity(pattern)
	if err != nil {
		return false, err
	}
	if pok {
		vq, vok, err := parseQuantity(value)
		if err != nil {
			return false, err
		}
		if vok {
			return order(vq.cmp(pq)), nil
		}
	}
	switch op {
	case opEqual:
		return e.match(pattern, value)
	case opNotEqual:
		ok, err := e.match(pattern, value)
		return !ok && err == nil, err
	}
	return false, nil
}
