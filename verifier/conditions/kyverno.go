package conditions

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/jmespath/go-jmespath"
)

// kyvernoBlock is a compiled Block.
type kyvernoBlock struct {
	path     string
	all, any []*kyvernoCondition
}

func compileBlock(path string, b Block) (*kyvernoBlock, []error) {
	kb := &kyvernoBlock{path: path}
	if len(b.All) == 0 && len(b.Any) == 0 {
		return kb, []error{&CompileError{Path: path, Err: errors.New("a block needs conditions under all or any")}}
	}
	var errs []error
	if b.Any != nil && len(b.Any) == 0 {
		// Kyverno fails a block whose any list is present but empty.
		errs = append(errs, &CompileError{Path: path + ".any", Err: errors.New("empty: the block could never pass")})
	}
	for j, c := range b.All {
		cc, err := compileCondition(fmt.Sprintf("%s.all[%d]", path, j), c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		kb.all = append(kb.all, cc)
	}
	for j, c := range b.Any {
		cc, err := compileCondition(fmt.Sprintf("%s.any[%d]", path, j), c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		kb.any = append(kb.any, cc)
	}
	return kb, errs
}

// eval returns the block's failures: one per failing condition of all,
// and one for any when none of its conditions holds.
func (b *kyvernoBlock) eval(ev *evaluator, predicate any) []string {
	var failures []string
	for _, c := range b.all {
		if msg := c.check(ev, predicate); msg != "" {
			failures = append(failures, msg)
		}
	}
	if len(b.any) > 0 {
		var msgs []string
		for _, c := range b.any {
			msg := c.check(ev, predicate)
			if msg == "" {
				msgs = nil
				break
			}
			msgs = append(msgs, msg)
		}
		if msgs != nil {
			failures = append(failures, sanitize(fmt.Sprintf("%s.any: no condition holds: %s", b.path, strings.Join(msgs, "; "))))
		}
	}
	return failures
}

// kyvernoCondition is a compiled Condition.
type kyvernoCondition struct {
	path       string
	op         string
	fn         operatorFunc
	key, value template
	keyText    string // the key as a person reads it: predicate.repo.uri
	valueText  string
	message    string
}

func compileCondition(path string, c Condition) (*kyvernoCondition, error) {
	fail := func(err error) error {
		return &CompileError{Path: path, Condition: conditionText(c), Err: err}
	}
	fn, err := lookupOperator(c.Operator)
	if err != nil {
		return nil, fail(err)
	}
	if c.Key == nil {
		return nil, fail(errors.New("key is required"))
	}
	if c.Value == nil {
		return nil, fail(errors.New("value is required"))
	}
	key, err := normalizeLiteral(c.Key)
	if err != nil {
		return nil, fail(fmt.Errorf("key: %w", err))
	}
	value, err := normalizeLiteral(c.Value)
	if err != nil {
		return nil, fail(fmt.Errorf("value: %w", err))
	}
	kt, err := compileTemplate(key)
	if err != nil {
		return nil, fail(fmt.Errorf("key: %w", err))
	}
	vt, err := compileTemplate(value)
	if err != nil {
		return nil, fail(fmt.Errorf("value: %w", err))
	}
	return &kyvernoCondition{
		path: path, op: c.Operator, fn: fn, key: kt, value: vt,
		keyText: operandText(key, kt), valueText: operandText(value, vt), message: c.Message,
	}, nil
}

// conditionText renders a condition as written, for load errors.
func conditionText(c Condition) string {
	return fmt.Sprintf("{key: %s, operator: %q, value: %s}", describe(c.Key), c.Operator, describe(c.Value))
}

// normalizeLiteral gives a policy's literal the types Kyverno gives it
// (it decodes conditions from JSON): float64 numbers, []any, map[string]any.
func normalizeLiteral(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// check returns "" when the condition holds, and a message otherwise.
func (c *kyvernoCondition) check(ev *evaluator, predicate any) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = c.failure(nil, nil, fmt.Errorf("panic: %v", r))
		}
	}()
	k, err := c.key.eval(predicate)
	if err != nil {
		return c.failure(nil, nil, err)
	}
	v, err := c.value.eval(predicate)
	if err != nil {
		return c.failure(nil, nil, err)
	}
	ok, err := c.fn(ev, k, v)
	if err != nil {
		return c.failure(nil, nil, err)
	}
	if ok {
		return ""
	}
	return c.failure(k, v, nil)
}

// failure describes why the condition failed: its message if it has one,
// else the condition with the values it compared; and the error, if any.
func (c *kyvernoCondition) failure(k, v any, err error) string {
	var s string
	switch {
	case c.message != "" && err != nil:
		s = fmt.Sprintf("%s: %s: cannot evaluate: %v", c.path, c.message, err)
	case c.message != "":
		s = fmt.Sprintf("%s: %s", c.path, c.message)
	case err != nil:
		s = fmt.Sprintf("%s: %s %s %s: cannot evaluate: %v", c.path, c.keyText, c.op, c.valueText, err)
	default:
		key, value := c.keyText, c.valueText
		if _, lit := c.key.(literal); !lit {
			key += " (" + describe(k) + ")"
		}
		if _, lit := c.value.(literal); !lit {
			value += " (" + describe(v) + ")"
		}
		s = fmt.Sprintf("%s: %s %s %s failed", c.path, key, c.op, value)
	}
	return sanitize(s)
}

// simplePath is a JMESPath expression that only names fields.
var simplePath = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])*$`)

// operandText renders a key or value for messages: a plain path as
// predicate.a.b, another expression as {{ ... }}, anything else as JSON.
func operandText(written any, t template) string {
	if v, ok := t.(*variable); ok {
		if simplePath.MatchString(v.src) {
			return "predicate." + v.src
		}
		return "{{ " + v.src + " }}"
	}
	return describe(written)
}

// A template is a compiled key or value: a literal, or a JSON value with
// `{{ }}` expressions in its strings.
type template interface {
	eval(data any) (any, error)
}

type literal struct{ v any }

func (l literal) eval(any) (any, error) { return l.v, nil }

// variable is a string that is exactly one expression: it takes the
// expression's value.
type variable struct {
	src string
	jp  *jmespath.JMESPath
}

func (v *variable) eval(data any) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("{{ %s }}: JMESPath failed: %v", v.src, r)
		}
	}()
	res, err = v.jp.Search(data)
	if err != nil {
		return nil, fmt.Errorf("{{ %s }}: %v", v.src, err)
	}
	if res == nil {
		// Kyverno fails on a path that is not found; null compares false
		// with every operator. Either way the condition cannot hold.
		return nil, fmt.Errorf("{{ %s }} is missing or null", v.src)
	}
	return res, nil
}

// text is a string with expressions in it; their values are written into
// it, strings as they are and other values as JSON.
type text struct {
	parts []template // literal strings and variables
}

func (t *text) eval(data any) (any, error) {
	var b strings.Builder
	for _, p := range t.parts {
		v, err := p.eval(data)
		if err != nil {
			return nil, err
		}
		if s, ok := v.(string); ok {
			b.WriteString(s)
			continue
		}
		j, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		b.Write(j)
	}
	return b.String(), nil
}

type list []template

func (l list) eval(data any) (any, error) {
	out := make([]any, len(l))
	for i, t := range l {
		v, err := t.eval(data)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

type object map[string]template

func (o object) eval(data any) (any, error) {
	out := make(map[string]any, len(o))
	for k, t := range o {
		v, err := t.eval(data)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// Kyverno's syntax in strings (pkg/engine/variables/regex).
var (
	// variableAt is a `{{ }}` expression at the start of a string; it may
	// hold one level of braces, for JMESPath's multi-select hashes.
	variableAt = regexp.MustCompile(`^\{\{(?:\{[^{}]*\}|[^{}])*\}\}`)
	// reference is Kyverno's `$(...)`, a reference into the policy itself.
	reference = regexp.MustCompile(`^\$\(.[^\ ]*\)|[^\\]\$\(.[^\ ]*\)`)
	// escapedReference is `\$(...)`, a literal `$(...)`.
	escapedReference = regexp.MustCompile(`\\\$\(.[^\ \)]*\)`)
)

// compileTemplate compiles a normalized key or value.
func compileTemplate(v any) (template, error) {
	switch t := v.(type) {
	case string:
		return compileString(t)
	case []any:
		l := make(list, len(t))
		allLiteral := true
		for i, e := range t {
			et, err := compileTemplate(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = et
			if _, ok := et.(literal); !ok {
				allLiteral = false
			}
		}
		if allLiteral {
			return literal{v: mustEval(l)}, nil
		}
		return l, nil
	case map[string]any:
		o := make(object, len(t))
		allLiteral := true
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if strings.Contains(k, "{{") || reference.MatchString(k) {
				return nil, fmt.Errorf("%q: expressions in object keys are not supported", k)
			}
			et, err := compileTemplate(t[k])
			if err != nil {
				return nil, fmt.Errorf("%q: %w", k, err)
			}
			o[k] = et
			if _, ok := et.(literal); !ok {
				allLiteral = false
			}
		}
		if allLiteral {
			return literal{v: mustEval(o)}, nil
		}
		return o, nil
	}
	return literal{v: v}, nil
}

func mustEval(t template) any {
	v, err := t.eval(nil)
	if err != nil {
		panic(err) // only called on literals
	}
	return v
}

// compileString splits a string into literal text and `{{ }}`
// expressions, as Kyverno's variable substitution does, with two
// differences that keep statement data from ever being read as an
// expression: values are substituted once (Kyverno substitutes again into
// the result, so `{{` in a value would be evaluated), and an expression
// nested in another is an error rather than evaluated inside out.
func compileString(s string) (template, error) {
	if m := reference.FindString(s); m != "" {
		if !strings.HasPrefix(m, "$(") {
			m = m[1:]
		}
		return nil, fmt.Errorf("%s: Kyverno's $(...) references are not supported (write \\$( for a literal $()", m)
	}
	s = escapedReference.ReplaceAllStringFunc(s, func(m string) string { return m[1:] })
	var parts []template
	var lit strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '\\' && strings.HasPrefix(s[i+1:], "{{") {
			lit.WriteString("{{") // Kyverno's escape: \{{ is a literal {{
			i += 3
			continue
		}
		if !strings.HasPrefix(s[i:], "{{") {
			lit.WriteByte(s[i])
			i++
			continue
		}
		m := variableAt.FindString(s[i:])
		if m == "" {
			return nil, fmt.Errorf("%q: unterminated or nested {{ (write \\{{ for a literal {{)", truncate(s[i:], 40))
		}
		v, err := compileVariable(m)
		if err != nil {
			return nil, err
		}
		if lit.Len() > 0 {
			parts = append(parts, literal{v: lit.String()})
			lit.Reset()
		}
		parts = append(parts, v)
		i += len(m)
	}
	switch {
	case len(parts) == 0:
		return literal{v: lit.String()}, nil
	case len(parts) == 1 && lit.Len() == 0:
		if _, ok := parts[0].(*variable); ok {
			return parts[0], nil // exactly one expression: its value, typed
		}
	}
	if lit.Len() > 0 {
		parts = append(parts, literal{v: lit.String()})
	}
	return &text{parts: parts}, nil
}

// maxExpression bounds one JMESPath expression.
const maxExpression = 4096

// compileVariable compiles `{{ expr }}` (or Kyverno's shallow `{{- expr }}`,
// the same here since values are never substituted again).
func compileVariable(m string) (*variable, error) {
	src := strings.ReplaceAll(strings.ReplaceAll(m, "{{", ""), "}}", "")
	src = strings.TrimSpace(src)
	if strings.HasPrefix(src, "-") {
		src = strings.TrimSpace(src[1:])
	}
	switch {
	case src == "":
		return nil, fmt.Errorf("%s: empty expression", m)
	case src == "@":
		return nil, fmt.Errorf("%s: in Kyverno @ names the admission request's object, which an attestation does not have", m)
	case len(src) > maxExpression:
		return nil, fmt.Errorf("%s: expression longer than %d bytes", truncate(m, 40), maxExpression)
	}
	jp, err := compileJMESPath(src)
	if err != nil {
		return nil, fmt.Errorf("{{ %s }}: %w", src, err)
	}
	return &variable{src: src, jp: jp}, nil
}

// compileJMESPath parses expr and checks that it only calls standard
// JMESPath functions, with the right number of arguments and expression
// references where they belong: go-jmespath would only find out when the
// expression runs.
func compileJMESPath(expr string) (jp *jmespath.JMESPath, err error) {
	defer func() {
		if r := recover(); r != nil {
			jp, err = nil, fmt.Errorf("JMESPath: %v", r)
		}
	}()
	ast, err := jmespath.NewParser().Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("JMESPath: %w", err)
	}
	if err := checkFunctions(reflect.ValueOf(ast)); err != nil {
		return nil, err
	}
	return jmespath.Compile(expr)
}

// jmespathFunction describes a standard JMESPath function as go-jmespath
// implements it.
type jmespathFunction struct {
	args     int
	variadic bool  // args or more
	expref   []int // argument positions that take &expression
}

// jmespathFunctions are go-jmespath's functions, which are JMESPath's
// standard ones (functions.go).
var jmespathFunctions = map[string]jmespathFunction{
	"abs": {args: 1}, "avg": {args: 1}, "ceil": {args: 1}, "contains": {args: 2}, "ends_with": {args: 2},
	"floor": {args: 1}, "join": {args: 2}, "keys": {args: 1}, "length": {args: 1},
	"map": {args: 2, expref: []int{0}}, "max": {args: 1}, "max_by": {args: 2, expref: []int{1}},
	"merge": {args: 1, variadic: true}, "min": {args: 1}, "min_by": {args: 2, expref: []int{1}},
	"not_null": {args: 1, variadic: true}, "reverse": {args: 1}, "sort": {args: 1},
	"sort_by": {args: 2, expref: []int{1}}, "starts_with": {args: 2}, "sum": {args: 1},
	"to_array": {args: 1}, "to_number": {args: 1}, "to_string": {args: 1}, "type": {args: 1}, "values": {args: 1},
}

// checkFunctions walks a go-jmespath AST (whose fields are unexported and
// so read by reflection) and checks every function call in it.
func checkFunctions(node reflect.Value) error {
	if node.Kind() != reflect.Struct || node.NumField() < 3 {
		return fmt.Errorf("cannot inspect the JMESPath expression (%s)", node.Type())
	}
	nodeType, value, children := node.FieldByName("nodeType"), node.FieldByName("value"), node.FieldByName("children")
	if !nodeType.IsValid() || !value.IsValid() || !children.IsValid() || children.Kind() != reflect.Slice {
		return fmt.Errorf("cannot inspect the JMESPath expression (%s)", node.Type())
	}
	if nodeType.Int() == int64(jmespath.ASTFunctionExpression) {
		if value.Kind() == reflect.Interface {
			value = value.Elem()
		}
		if value.Kind() != reflect.String {
			return errors.New("cannot inspect a JMESPath function call")
		}
		name := value.String()
		f, ok := jmespathFunctions[name]
		if !ok {
			return fmt.Errorf("%w %s() (only standard JMESPath functions are supported, not Kyverno's)", ErrUnknownFunction, name)
		}
		n := children.Len()
		if n < f.args || (!f.variadic && n != f.args) {
			want := fmt.Sprint(f.args)
			if f.variadic {
				want += " or more"
			}
			return fmt.Errorf("%w call: %s() takes %s arguments, not %d", ErrUnknownFunction, name, want, n)
		}
		for i := 0; i < n; i++ {
			isRef := children.Index(i).FieldByName("nodeType").Int() == int64(jmespath.ASTExpRef)
			wantRef := false
			for _, p := range f.expref {
				wantRef = wantRef || p == i
			}
			switch {
			case wantRef && !isRef:
				return fmt.Errorf("%w call: argument %d of %s() must be an &expression", ErrUnknownFunction, i+1, name)
			case isRef && !wantRef:
				return fmt.Errorf("%w call: argument %d of %s() cannot be an &expression", ErrUnknownFunction, i+1, name)
			}
		}
	}
	for i := 0; i < children.Len(); i++ {
		if err := checkFunctions(children.Index(i)); err != nil {
			return err
		}
	}
	return nil
}
