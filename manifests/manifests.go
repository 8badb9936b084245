package manifests

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/google/go-containerregistry/pkg/name"
	yaml "go.yaml.in/yaml/v3"
)

// Limits on what is read.
const (
	MaxFileSize  = 16 << 20
	MaxDocuments = 10000
	maxDepth     = 64
)

// ErrUnsupported is wrapped by errors about values Rewrite cannot change
// safely.
var ErrUnsupported = errors.New("cannot rewrite")

// Image is one image reference in a manifest.
type Image struct {
	File       string
	Doc        int // 0-based document index in the file
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	Container  string
	// Field is the path of the image value, e.g.
	// spec.template.spec.initContainers[0].image.
	Field string
	// Line and Column locate the value (1-based).
	Line, Column int
	// Ref is the image reference as written.
	Ref  string
	node *yaml.Node
}

// Object is a document of a kind that runs no containers.
type Object struct {
	Doc              int
	APIVersion, Kind string
	Name             string
}

// File is one parsed manifest file.
type File struct {
	Path    string
	data    []byte
	images  []Image
	skipped []Object
}

// Images returns the image references of the file, in order.
func (f *File) Images() []Image { return f.images }

// Skipped returns the documents of kinds that run no containers.
func (f *File) Skipped() []Object { return f.skipped }

// Load parses files and directories (recursively: *.yaml, *.yml, *.json;
// hidden directories skipped); "-" reads standard input.
func Load(paths ...string) ([]*File, error) {
	var files []*File
	for _, p := range paths {
		if p == "-" {
			data, err := readLimited(os.Stdin, "standard input")
			if err != nil {
				return nil, err
			}
			f, err := Parse("-", data)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		var names []string
		if fi.IsDir() {
			err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				switch strings.ToLower(filepath.Ext(path)) {
				case ".yaml", ".yml", ".json":
					if !d.IsDir() {
						names = append(names, path)
					}
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			sort.Strings(names)
		} else {
			names = []string{p}
		}
		for _, n := range names {
			fh, err := os.Open(n)
			if err != nil {
				return nil, err
			}
			data, err := readLimited(fh, n)
			fh.Close()
			if err != nil {
				return nil, err
			}
			f, err := Parse(n, data)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
	}
	return files, nil
}

func readLimited(r io.Reader, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", what, MaxFileSize)
	}
	return b, nil
}

// Parse finds the images of the manifests in data, read from path.
func Parse(path string, data []byte) (*File, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxFileSize)
	}
	f := &File{Path: path, data: data}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for doc := 0; ; doc++ {
		if doc >= MaxDocuments {
			return nil, fmt.Errorf("%s: more than %d documents", path, MaxDocuments)
		}
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, doc+1, err)
		}
		if len(n.Content) == 0 {
			continue
		}
		if err := f.object(doc, n.Content[0], "", 0); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// podSpecPaths are where each kind keeps its pod spec.
var podSpecPaths = map[string][]string{
	"Pod":                   {"spec"},
	"PodTemplate":           {"template", "spec"},
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
}

func (f *File) object(doc int, n *yaml.Node, prefix string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%s:%d: List objects nested too deep", f.Path, n.Line)
	}
	if n.Kind != yaml.MappingNode {
		return nil // not an object: nothing runs
	}
	kind, apiVersion := scalar(get(n, "kind")), scalar(get(n, "apiVersion"))
	meta := get(n, "metadata")
	objName, ns := scalar(get(meta, "name")), scalar(get(meta, "namespace"))
	if kind == "List" || strings.HasSuffix(kind, "List") && get(n, "items") != nil {
		items := get(n, "items")
		if items == nil || items.Kind != yaml.SequenceNode {
			return nil
		}
		for i, it := range items.Content {
			if err := f.object(doc, it, fmt.Sprintf("%sitems[%d].", prefix, i), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	path, ok := podSpecPaths[kind]
	if !ok {
		f.skipped = append(f.skipped, Object{Doc: doc, APIVersion: apiVersion, Kind: kind, Name: objName})
		return nil
	}
	spec := n
	for _, k := range path {
		spec = get(spec, k)
	}
	if spec == nil {
		return nil
	}
	field := prefix + strings.Join(path, ".")
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		cs := get(spec, list)
		if cs == nil {
			continue
		}
		if cs.Kind != yaml.SequenceNode {
			return fmt.Errorf("%s:%d: %s.%s is not a list", f.Path, cs.Line, field, list)
		}
		for i, c := range cs.Content {
			img := get(c, "image")
			if img == nil {
				continue
			}
			at := fmt.Sprintf("%s.%s[%d].image", field, list, i)
			if img.Kind == yaml.AliasNode {
				return fmt.Errorf("%s:%d: %s is a YAML alias: %w", f.Path, img.Line, at, ErrUnsupported)
			}
			if img.Kind != yaml.ScalarNode || img.Tag != "!!str" || strings.TrimSpace(img.Value) == "" {
				return fmt.Errorf("%s:%d: %s is not a non-empty string", f.Path, img.Line, at)
			}
			f.images = append(f.images, Image{
				File: f.Path, Doc: doc, APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: objName,
				Container: scalar(get(c, "name")), Field: at, Line: img.Line, Column: img.Column, Ref: img.Value, node: img,
			})
		}
	}
	return nil
}

// get returns the value of key in a mapping node, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// Rewrite returns the file with each image for which replace returns
// (new, true) replaced by new, and every other byte unchanged. The result is
// parsed again to check that exactly the intended values changed.
func (f *File) Rewrite(replace func(Image) (string, bool)) ([]byte, error) {
	type edit struct {
		start, end int
		text       string
		img        Image
		value      string
	}
	var edits []edit
	for _, im := range f.images {
		v, ok := replace(im)
		if !ok || v == im.Ref {
			continue
		}
		if strings.ContainsAny(v, "\n\r") || v == "" {
			return nil, fmt.Errorf("%s:%d: replacement %q for %s is not a one-line value", f.Path, im.Line, v, im.Field)
		}
		start, end, text, err := f.span(im, v)
		if err != nil {
			return nil, err
		}
		edits = append(edits, edit{start, end, text, im, v})
	}
	if len(edits) == 0 {
		return f.data, nil
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var b bytes.Buffer
	last := 0
	for _, e := range edits {
		if e.start < last {
			return nil, fmt.Errorf("%s:%d: overlapping image values", f.Path, e.img.Line)
		}
		b.Write(f.data[last:e.start])
		b.WriteString(e.text)
		last = e.end
	}
	b.Write(f.data[last:])
	out := b.Bytes()
	// Check: same images at the same places, only the intended ones changed.
	again, err := Parse(f.Path, out)
	if err != nil {
		return nil, fmt.Errorf("%s: the rewritten file does not parse: %w", f.Path, err)
	}
	want := map[string]string{}
	for _, e := range edits {
		want[fmt.Sprintf("%d/%s", e.img.Doc, e.img.Field)] = e.value
	}
	if len(again.images) != len(f.images) {
		return nil, fmt.Errorf("%s: rewriting changed the number of images", f.Path)
	}
	for i, im := range again.images {
		exp, changed := want[fmt.Sprintf("%d/%s", im.Doc, im.Field)]
		if !changed {
			exp = f.images[i].Ref
		}
		if im.Ref != exp || im.Field != f.images[i].Field {
			return nil, fmt.Errorf("%s:%d: rewriting produced %q for %s, want %q", f.Path, im.Line, im.Ref, im.Field, exp)
		}
	}
	return out, nil
}

// span returns where the value of im is in the file and the text that
// replaces it with v, in the value's own quoting style.
func (f *File) span(im Image, v string) (int, int, string, error) {
	start, err := offset(f.data, im.Line, im.Column)
	if err != nil {
		return 0, 0, "", fmt.Errorf("%s:%d: %v", f.Path, im.Line, err)
	}
	n := im.node
	switch n.Style {
	case 0, yaml.FlowStyle:
		end := start + len(im.Ref)
		if end > len(f.data) || string(f.data[start:end]) != im.Ref {
			return 0, 0, "", fmt.Errorf("%s:%d: %s: %w: the plain value is not where the parser says", f.Path, im.Line, im.Field, ErrUnsupported)
		}
		text := v
		if needsQuotes(v) {
			q, _ := json.Marshal(v)
			text = string(q)
		}
		return start, end, text, nil
	case yaml.SingleQuotedStyle:
		if start >= len(f.data) || f.data[start] != '\'' {
			return 0, 0, "", fmt.Errorf("%s:%d: %s: %w: quote not found", f.Path, im.Line, im.Field, ErrUnsupported)
		}
		i := start + 1
		for i < len(f.data) {
			if f.data[i] == '\'' {
				if i+1 < len(f.data) && f.data[i+1] == '\'' {
					i += 2
					continue
				}
				return start, i + 1, "'" + strings.ReplaceAll(v, "'", "''") + "'", nil
			}
			i++
		}
		return 0, 0, "", fmt.Errorf("%s:%d: %s: %w: unterminated quote", f.Path, im.Line, im.Field, ErrUnsupported)
	case yaml.DoubleQuotedStyle:
		if start >= len(f.data) || f.data[start] != '"' {
			return 0, 0, "", fmt.Errorf("%s:%d: %s: %w: quote not found", f.Path, im.Line, im.Field, ErrUnsupported)
		}
		i := start + 1
		for i < len(f.data) {
			switch f.data[i] {
			case '\\':
				i += 2
				continue
			case '"':
				q, _ := json.Marshal(v)
				return start, i + 1, string(q), nil
			}
			i++
		}
		return 0, 0, "", fmt.Errorf("%s:%d: %s: %w: unterminated quote", f.Path, im.Line, im.Field, ErrUnsupported)
	}
	return 0, 0, "", fmt.Errorf("%s:%d: %s is a block scalar: %w", f.Path, im.Line, im.Field, ErrUnsupported)
}

// needsQuotes reports whether a value written plain could read back as
// something else: it starts with a YAML indicator, or it does not parse back
// as the same string.
func needsQuotes(v string) bool {
	if strings.ContainsAny(v[:1], "-?:,[]{}#&*!|>'\"%@` ") || strings.Contains(v, ": ") || strings.Contains(v, " #") {
		return true
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte("k: "+v), &m); err != nil {
		return true
	}
	s, ok := m["k"].(string)
	return !ok || s != v
}

// offset converts a 1-based line and column (in characters) into a byte
// offset.
func offset(data []byte, line, col int) (int, error) {
	pos := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data[pos:], '\n')
		if i < 0 {
			return 0, fmt.Errorf("line %d is past the end", line)
		}
		pos += i + 1
	}
	for c := 1; c < col; c++ {
		if pos >= len(data) {
			return 0, fmt.Errorf("column %d is past the end of line %d", col, line)
		}
		_, size := utf8.DecodeRune(data[pos:])
		pos += size
	}
	return pos, nil
}

// PinDigest returns ref pinned to digest, keeping its tag as Kyverno's
// mutateDigest does: repo:tag@sha256:... (a digest already there is
// replaced).
func PinDigest(ref, digest string) (string, error) {
	if !strings.HasPrefix(digest, "sha256:") || len(digest) != 71 {
		return "", fmt.Errorf("%q is not a sha256 digest", digest)
	}
	base := ref
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		base = ref[:i]
	}
	if _, err := name.ParseReference(base, name.WeakValidation); err != nil {
		return "", fmt.Errorf("image %q: %w", ref, err)
	}
	return base + "@" + digest, nil
}
