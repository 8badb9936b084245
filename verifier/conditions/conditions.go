package conditions

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Spec is what a policy writes under an attestation's `conditions`. Its
// JSON field names make it embeddable in a policy parsed strictly with
// sigs.k8s.io/yaml.
type Spec struct {
	// CEL expressions; every one must be true.
	CEL []string `json:"cel,omitempty"`
	// Kyverno condition blocks, as Kyverno writes them under
	// attestations[].conditions; every block must pass.
	Kyverno []Block `json:"kyverno,omitempty"`
}

// Block is one Kyverno condition block. It passes when every condition of
// All holds and, when Any is not empty, at least one condition of Any.
type Block struct {
	All []Condition `json:"all,omitempty"`
	Any []Condition `json:"any,omitempty"`
}

// Condition is one Kyverno condition. Key and Value are JSON values;
// strings in them may hold `{{ ... }}` JMESPath expressions evaluated
// against the predicate. A string that is exactly one expression takes the
// expression's value (a list, a number...); text around expressions makes
// a string. `\{{` is a literal `{{`.
type Condition struct {
	Key      any    `json:"key"`
	Operator string `json:"operator"`
	Value    any    `json:"value,omitempty"`
	// Message replaces the generated description when the condition fails.
	Message string `json:"message,omitempty"`
}

// Result is the outcome of evaluating a Program on one statement.
type Result struct {
	// Passed is true when every condition held. It is never true when
	// Failures is not empty.
	Passed bool
	// Failures name each condition that did not hold, and why: the
	// condition's path ("kyverno[0].all[1]", "cel[2]") and its message, or
	// a generated description such as
	// `kyverno[0].all[1]: predicate.repo.branch ("dev") Equals "main" failed`.
	Failures []string
}

// Defaults for the options.
const (
	// DefaultCELCostLimit is the cel-go runtime cost one CEL expression may
	// spend on one statement.
	DefaultCELCostLimit uint64 = 1_000_000
	// DefaultTimeout bounds the wall-clock time of one Eval.
	DefaultTimeout = 5 * time.Second
)

// Option configures Compile.
type Option func(*options)

type options struct {
	celCostLimit uint64
	timeout      time.Duration
}

// WithCELCostLimit sets the cel-go runtime cost each CEL expression may
// spend on one statement (default DefaultCELCostLimit). An expression that
// exceeds it fails.
func WithCELCostLimit(limit uint64) Option {
	return func(o *options) { o.celCostLimit = limit }
}

// WithTimeout sets the wall-clock limit of one Eval (default
// DefaultTimeout). CEL evaluation still running at the deadline fails.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

func makeOptions(opts []Option) (options, error) {
	o := options{celCostLimit: DefaultCELCostLimit, timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.celCostLimit == 0 {
		return o, errors.New("CEL cost limit must be positive")
	}
	if o.timeout <= 0 {
		return o, fmt.Errorf("timeout %v must be positive", o.timeout)
	}
	return o, nil
}

// Program is a compiled Spec. It is safe for concurrent use.
type Program struct {
	opts    options
	cel     []*celExpr
	kyverno []*kyvernoBlock
}

// Compile checks every condition of spec and returns the program that
// evaluates them. A Spec without any condition is an error. All the
// conditions are checked; the error joins one *CompileError per rejected
// condition, each wrapping ErrInvalid.
func Compile(spec Spec, opts ...Option) (*Program, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("compiling conditions: %w", err)
	}
	if len(spec.CEL) == 0 && len(spec.Kyverno) == 0 {
		return nil, &CompileError{Path: "conditions", Err: errors.New("neither cel nor kyverno has a condition")}
	}
	p := &Program{opts: o}
	var errs []error
	for i, src := range spec.CEL {
		e, err := compileCEL(fmt.Sprintf("cel[%d]", i), src, o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.cel = append(p.cel, e)
	}
	for i, b := range spec.Kyverno {
		kb, berrs := compileBlock(fmt.Sprintf("kyverno[%d]", i), b)
		errs = append(errs, berrs...)
		p.kyverno = append(p.kyverno, kb)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// Eval evaluates the program on an in-toto statement (JSON). The statement
// must be one JSON object with unique keys, a string predicateType and a
// list subject; otherwise every condition fails. CEL expressions see
// integers as int and other numbers as double; Kyverno conditions see every
// number as a float64, as Kyverno does.
func (p *Program) Eval(statement []byte) Result {
	st, err := decodeStatement(statement)
	if err != nil {
		return Result{Failures: []string{sanitize("statement: " + err.Error())}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.timeout)
	defer cancel()
	var failures []string
	if len(p.cel) > 0 {
		vars, err := celVariables(st)
		if err != nil {
			for _, e := range p.cel {
				failures = append(failures, sanitize(fmt.Sprintf("%s: CEL %q failed: %v", e.path, e.src, err)))
			}
		} else {
			for _, e := range p.cel {
				if msg := e.eval(ctx, vars); msg != "" {
					failures = append(failures, msg)
				}
			}
		}
	}
	if len(p.kyverno) > 0 {
		ev := &evaluator{budget: kyvernoBudget}
		// Kyverno evaluates attestation conditions only against a predicate
		// that is an object.
		predicate, ok := st["predicate"].(map[string]any)
		var view any
		if ok {
			view = floatView(predicate)
		}
		for _, b := range p.kyverno {
			if !ok {
				failures = append(failures, b.path+": the statement's predicate is not an object")
				continue
			}
			failures = append(failures, b.eval(ev, view)...)
		}
	}
	return Result{Passed: len(failures) == 0, Failures: failures}
}
