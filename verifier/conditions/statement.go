package conditions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on the statements Eval reads.
const (
	// maxStatement is the largest statement Eval parses; attestation
	// payloads are bounded well below it by the code that fetches them.
	maxStatement = 64 << 20
	// maxDepth bounds the nesting of objects and arrays.
	maxDepth = 1000
)

// decodeStatement parses one JSON object strictly: nothing after it, no
// duplicate keys at any depth (two parsers must never see two different
// statements), nesting bounded, and every number within float64's range.
// Numbers are left as json.Number for the views below.
func decodeStatement(b []byte) (map[string]any, error) {
	if len(b) > maxStatement {
		return nil, fmt.Errorf("%d bytes exceeds the limit of %d", len(b), maxStatement)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := readValue(dec, 0)
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not valid JSON: data after the top-level value")
	}
	st, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	return st, nil
}

func readValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= maxDepth {
			return nil, fmt.Errorf("nested deeper than %d", maxDepth)
		}
		switch t {
		case '{':
			m := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", kt)
				}
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("duplicate key %q", truncate(k, 64))
				}
				v, err := readValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				m[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return m, nil
		case '[':
			l := []any{}
			for dec.More() {
				v, err := readValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return l, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		if _, err := strconv.ParseFloat(string(t), 64); err != nil {
			return nil, fmt.Errorf("number %s is out of range", truncate(string(t), 64))
		}
		return t, nil
	}
	return tok, nil // string, bool or nil
}

// celView converts numbers for CEL: int64 when the number is an integer
// that fits, float64 otherwise.
func celView(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = celView(e)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			l[i] = celView(e)
		}
		return l
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		f, _ := strconv.ParseFloat(string(t), 64)
		return f
	}
	return v
}

// floatView converts numbers to float64, as encoding/json and Kyverno do.
func floatView(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = floatView(e)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			l[i] = floatView(e)
		}
		return l
	case json.Number:
		f, _ := strconv.ParseFloat(string(t), 64)
		return f
	}
	return v
}

// describe renders a value for a failure message: JSON, shortened.
func describe(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return truncate(fmt.Sprint(v), maxDescribe)
	}
	return truncate(strings.TrimSuffix(b.String(), "\n"), maxDescribe)
}

const maxDescribe = 120

// truncate shortens s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// maxMessage bounds one failure message.
const maxMessage = 1024

// sanitize makes text from statements safe to print: control, format and
// other non-graphic characters are escaped (no terminal escapes, no
// bidirectional overrides), and the text is shortened.
func sanitize(s string) string {
	s = truncate(s, maxMessage)
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsGraphic(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				fmt.Fprintf(&b, `\x%02x`, s[i])
				continue
			}
			b.WriteRune(r)
		case unicode.IsGraphic(r):
			b.WriteRune(r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	return b.String()
}
