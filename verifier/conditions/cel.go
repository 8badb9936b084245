package conditions

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
)

var (
	celEnvOnce sync.Once
	celEnv     *cel.Env
	celEnvErr  error
)

// env is the CEL environment every expression compiles in.
func env() (*cel.Env, error) {
	celEnvOnce.Do(func() {
		celEnv, celEnvErr = cel.NewEnv(
			cel.Variable("statement", cel.MapType(cel.StringType, cel.DynType)),
			cel.Variable("predicate", cel.DynType),
			cel.Variable("predicateType", cel.StringType),
			cel.Variable("subject", cel.ListType(cel.DynType)),
			cel.CrossTypeNumericComparisons(true),
			cel.OptionalTypes(),
			ext.Strings(),
			ext.Sets(),
		)
	})
	return celEnv, celEnvErr
}

// maxCELString bounds the strings replace() may build: the only function
// of the extensions whose output can be much larger than its inputs.
const maxCELString = 16 << 20

// celInterruptEvery is how many comprehension iterations run between
// checks of the deadline.
const celInterruptEvery = 16

type celExpr struct {
	path string
	src  string
	prg  cel.Program
}

func compileCEL(path, src string, o options) (*celExpr, error) {
	fail := func(err error) error { return &CompileError{Path: path, Condition: fmt.Sprintf("%q", src), Err: err} }
	e, err := env()
	if err != nil {
		return nil, fail(err)
	}
	ast, iss := e.Compile(src)
	if iss != nil && iss.Err() != nil {
		return nil, fail(errors.New(strings.TrimSpace(iss.Err().Error())))
	}
	if !ast.OutputType().IsExactType(types.BoolType) {
		hint := ""
		if ast.OutputType().IsExactType(types.DynType) {
			hint = ` (compare it explicitly, e.g. "x == true")`
		}
		return nil, fail(fmt.Errorf("%w: it has type %s%s", ErrNotBool, ast.OutputType(), hint))
	}
	prg, err := e.Program(ast,
		cel.EvalOptions(cel.OptTrackCost),
		cel.CostLimit(o.celCostLimit),
		cel.CostTrackerOptions(stringCostTrackers()...),
		cel.InterruptCheckFrequency(celInterruptEvery),
		cel.CustomDecorator(boundReplace),
	)
	if err != nil {
		return nil, fail(err)
	}
	return &celExpr{path: path, src: src, prg: prg}, nil
}

// celVariables binds the statement to the CEL variables.
func celVariables(st map[string]any) (map[string]any, error) {
	pt, ok := st["predicateType"].(string)
	if !ok {
		return nil, errors.New("the statement's predicateType is not a string")
	}
	if _, ok := st["subject"].([]any); !ok {
		return nil, errors.New("the statement's subject is not a list")
	}
	view := celView(st).(map[string]any)
	return map[string]any{
		"statement":     view,
		"predicate":     view["predicate"],
		"predicateType": pt,
		"subject":       view["subject"],
	}, nil
}

type celOutcome struct {
	val ref.Val
	err error
}

// eval returns "" when the expression is true, and why not otherwise. It
// returns by ctx's deadline even when a single call is still running.
func (c *celExpr) eval(ctx context.Context, vars map[string]any) string {
	done := make(chan celOutcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- celOutcome{err: fmt.Errorf("panic: %v", r)}
			}
		}()
		out, _, err := c.prg.ContextEval(ctx, vars)
		done <- celOutcome{val: out, err: err}
	}()
	var r celOutcome
	select {
	case r = <-done:
	case <-ctx.Done():
		r = celOutcome{err: fmt.Errorf("evaluation did not finish in time: %w", ctx.Err())}
	}
	if r.err != nil {
		return sanitize(fmt.Sprintf("%s: CEL %q failed: %v", c.path, c.src, r.err))
	}
	if b, ok := r.val.Value().(bool); !ok || !b {
		return sanitize(fmt.Sprintf("%s: CEL %q is false", c.path, c.src))
	}
	return ""
}

// stringCostTrackers charge the functions of ext.Strings by the size of
// what they read and write; cel-go charges them 1 otherwise, so a loop
// over a large string would not reach the cost limit.
func stringCostTrackers() []interpreter.CostTrackerOption {
	linear := func(args []ref.Val, result ref.Val) *uint64 {
		c := 1 + traversal(size(args[0])+size(result))
		return &c
	}
	search := func(args []ref.Val, result ref.Val) *uint64 {
		c := 1 + traversal(size(args[0])*max(1, size(args[1])))
		return &c
	}
	var opts []interpreter.CostTrackerOption
	for _, id := range []string{
		"string_char_at_int", "string_lower_ascii", "string_upper_ascii", "string_trim", "string_reverse",
		"string_substring_int", "string_substring_int_int", "string_split_string", "string_split_string_int",
		"string_replace_string_string", "string_replace_string_string_int", "list_join", "list_join_string",
	} {
		opts = append(opts, interpreter.OverloadCostTracker(id, linear))
	}
	for _, id := range []string{
		"string_index_of_string", "string_index_of_string_int",
		"string_last_index_of_string", "string_last_index_of_string_int",
	} {
		opts = append(opts, interpreter.OverloadCostTracker(id, search))
	}
	return opts
}

// traversal is cel-go's cost of reading n bytes (common.StringTraversalCostFactor).
func traversal(n uint64) uint64 { return uint64(math.Ceil(float64(n) * 0.1)) }

// size is the byte length of a string, the summed lengths of a list of
// strings, and 1 for anything else.
func size(v ref.Val) uint64 {
	switch t := v.(type) {
	case types.String:
		return uint64(len(t))
	case interface{ Size() ref.Val }:
		n, _ := t.Size().(types.Int)
		if n < 0 {
			return 1
		}
		// A list's elements are charged where they were built.
		return uint64(n)
	}
	return 1
}

// boundReplace replaces ext.Strings' replace() with the same function that
// refuses to build a string larger than maxCELString: replacing in a large
// string with another large string would otherwise allocate without bound
// before any cost is charged.
func boundReplace(i interpreter.Interpretable) (interpreter.Interpretable, error) {
	call, ok := i.(interpreter.InterpretableCall)
	if !ok {
		return i, nil
	}
	switch call.OverloadID() {
	case "string_replace_string_string", "string_replace_string_string_int":
		return &replaceCall{InterpretableCall: call}, nil
	}
	return i, nil
}

type replaceCall struct {
	interpreter.InterpretableCall
}

func (r *replaceCall) Eval(act interpreter.Activation) ref.Val {
	args := r.Args()
	vals := make([]ref.Val, len(args))
	for i, a := range args {
		v := a.Eval(act)
		if types.IsUnknownOrError(v) {
			return v
		}
		vals[i] = v
	}
	if len(vals) < 3 || len(vals) > 4 {
		return types.NewErr("no such overload: replace with %d arguments", len(vals))
	}
	s, ok1 := vals[0].(types.String)
	old, ok2 := vals[1].(types.String)
	repl, ok3 := vals[2].(types.String)
	if !ok1 || !ok2 || !ok3 {
		return types.NewErr("no such overload: replace(%s, %s, %s)", vals[0].Type(), vals[1].Type(), vals[2].Type())
	}
	n := int64(-1)
	if len(vals) == 4 {
		i, ok := vals[3].(types.Int)
		if !ok {
			return types.NewErr("no such overload: replace with a %s count", vals[3].Type())
		}
		n = int64(i)
	}
	count := int64(strings.Count(string(s), string(old)))
	if n >= 0 && n < count {
		count = n
	}
	if grow := int64(len(repl)) - int64(len(old)); grow > 0 && count > 0 {
		if count > (maxCELString-int64(len(s)))/grow {
			return types.NewErr("replace would build a string larger than %d bytes", maxCELString)
		}
	}
	return types.String(strings.Replace(string(s), string(old), string(repl), int(n)))
}
