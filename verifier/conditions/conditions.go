package conditions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Spec is what a policy writes under an attestation's conditions.
type Spec struct {
	// CEL expressions; every one must be true.
	CEL []string `json:"cel,omitempty"`
	// Kyverno condition blocks; every block must pass.
	Kyverno []Block `json:"kyverno,omitempty"`
}

// Block is one Kyverno condition block: every condition of All must hold,
// and at least one of Any when Any is not empty.
type Block struct {
	All []Condition `json:"all,omitempty"`
	Any []Condition `json:"any,omitempty"`
}

// Condition is one Kyverno condition.
type Condition struct {
	Key      any    `json:"key"`
	Operator string `json:"operator"`
	Value    any    `json:"value,omitempty"`
	Message  string `json:"message,omitempty"`
}

// ErrInvalid is wrapped by every error Compile returns.
var ErrInvalid = errors.New("invalid condition")

// Program is a compiled Spec.
type Program struct {
	cel     []*celExpr
	kyverno []compiledBlock
}

// Result is the outcome of evaluating a Program.
type Result struct {
	// Passed is true when every condition held.
	Passed bool
	// Failures name each condition that did not hold, and why.
	Failures []string
}

// Compile checks every condition of spec and returns the program that
// evaluates them. Errors name the condition ("cel[1]: ...",
// "kyverno[0].all[2]: unknown operator ...").
func Compile(spec Spec) (*Program, error) {
	p := &Program{}
	var errs []error
	for i, src := range spec.CEL {
		e, err := compileCEL(src)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: cel[%d] %q: %v", ErrInvalid, i, src, err))
			continue
		}
		p.cel = append(p.cel, e)
	}
	for i, b := range spec.Kyverno {
		if len(b.All) == 0 && len(b.Any) == 0 {
			errs = append(errs, fmt.Errorf("%w: kyverno[%d]: a block needs all or any", ErrInvalid, i))
			continue
		}
		cb := compiledBlock{}
		for j, c := range b.All {
			cc, err := compileCondition(c)
			if err != nil {
				errs = append(errs, fmt.Errorf("%w: kyverno[%d].all[%d]: %v", ErrInvalid, i, j, err))
				continue
			}
			cb.all = append(cb.all, cc)
		}
		for j, c := range b.Any {
			cc, err := compileCondition(c)
			if err != nil {
				errs = append(errs, fmt.Errorf("%w: kyverno[%d].any[%d]: %v", ErrInvalid, i, j, err))
				continue
			}
			cb.any = append(cb.any, cc)
		}
		p.kyverno = append(p.kyverno, cb)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// maxStatement bounds the statements Eval reads.
const maxStatement = 64 << 20

// Eval evaluates the program on an in-toto statement (JSON). A statement
// that does not parse fails every condition.
func (p *Program) Eval(statement []byte) Result {
	if len(statement) > maxStatement {
		return Result{Failures: []string{fmt.Sprintf("statement of %d bytes exceeds %d", len(statement), maxStatement)}}
	}
	var st map[string]any
	dec := json.NewDecoder(bytes.NewReader(statement))
	dec.UseNumber()
	if err := dec.Decode(&st); err != nil {
		return Result{Failures: []string{"statement does not parse: " + err.Error()}}
	}
	st = normalize(st).(map[string]any)
	var failures []string
	for _, e := range p.cel {
		if err := e.eval(st); err != nil {
			failures = append(failures, err.Error())
		}
	}
	predicate := st["predicate"]
	for i, b := range p.kyverno {
		failures = append(failures, b.eval(i, predicate)...)
	}
	return Result{Passed: len(failures) == 0, Failures: failures}
}

// normalize turns json.Number into float64 when it is not an integer, and
// int64 otherwise, recursively, so both languages see plain values.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalize(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = normalize(e)
		}
		return t
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
		return t.String()
	}
	return v
}

func describe(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

func trimBraces(s string) string {
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "{{"), "}}"))
}
