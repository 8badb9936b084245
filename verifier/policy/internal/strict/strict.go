package strict

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// maxDocuments bounds the documents read from one file.
const maxDocuments = 1000

// SplitDocuments splits a YAML stream into its documents, each as JSON, with
// empty documents dropped. A JSON input is one document.
func SplitDocuments(data []byte) ([][]byte, error) {
	dec := yaml3.NewDecoder(bytes.NewReader(data))
	var out [][]byte
	for i := 0; ; i++ {
		if i >= maxDocuments {
			return nil, fmt.Errorf("more than %d documents", maxDocuments)
		}
		var n yaml3.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if len(n.Content) == 0 || (n.Content[0].Kind == yaml3.ScalarNode && n.Content[0].Tag == "!!null") {
			continue
		}
		if hasAlias(&n, 0) {
			return nil, fmt.Errorf("document %d: YAML aliases are not allowed in policies", i+1)
		}
		b, err := yaml3.Marshal(&n)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		j, err := yaml.YAMLToJSON(b)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		out = append(out, j)
	}
}

// hasAlias reports whether a YAML tree uses aliases (which could expand a
// small file into a huge one).
func hasAlias(n *yaml3.Node, depth int) bool {
	if depth > 100 {
		return true
	}
	if n.Kind == yaml3.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c, depth+1) {
			return true
		}
	}
	return false
}

// Decode decodes a JSON document into out, failing on any field out's
// type does not have, with the field's path ("spec.signers[0].entries[1].kee:
// unknown field").
func Decode(doc []byte, out any) error {
	var generic any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return err
	}
	var errs []error
	checkFields(generic, reflect.TypeOf(out).Elem(), "", &errs)
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	d := json.NewDecoder(bytes.NewReader(doc))
	d.DisallowUnknownFields()
	if err := d.Decode(out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s: %s is not a %s", te.Field, te.Value, jsonKind(te.Type))
		}
		return err
	}
	return nil
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Float64:
		return "number"
	case reflect.Slice:
		return "list"
	case reflect.Map, reflect.Struct:
		return "mapping"
	}
	return t.String()
}

// checkFields walks v alongside type t and records every object key t has no
// field for.
func checkFields(v any, t reflect.Type, path string, errs *[]error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return // json reports the type mismatch
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				*errs = append(*errs, fmt.Errorf("%s: unknown field", join(path, k)))
				continue
			}
			checkFields(obj[k], ft, join(path, k), errs)
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return
		}
		for i, e := range arr {
			checkFields(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), errs)
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		for k, e := range obj {
			checkFields(e, t.Elem(), join(path, k), errs)
		}
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// jsonFields maps the JSON names of a struct's fields (embedded structs
// flattened, as encoding/json does) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// OneDocument returns data, YAML or JSON, as exactly one JSON document.
func OneDocument(data []byte) ([]byte, error) {
	docs, err := SplitDocuments(data)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		return nil, fmt.Errorf("want exactly one document, found %d", len(docs))
	}
	return docs[0], nil
}
