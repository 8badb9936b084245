package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tollgate-dev/tollgate/verifier/policy/api"
	"github.com/tollgate-dev/tollgate/verifier/policy/internal/strict"
	"github.com/tollgate-dev/tollgate/verifier/policy/kubewarden"
	"github.com/tollgate-dev/tollgate/verifier/policy/kyverno"
)

// maxFileSize bounds a policy file.
const maxFileSize = 8 << 20

// ErrInvalid is wrapped by every error about a policy that does not load.
var ErrInvalid = errors.New("invalid policy")

// importer turns a document of a foreign policy format into tollgate
// policies, with warnings about what it maps loosely.
type importer func(doc []byte, source string) ([]api.Policy, []string, error)

// importers maps "apiVersion kind" to the importer of that document kind.
var importers = func() map[string]importer {
	m := map[string]importer{}
	for _, f := range []struct {
		versions, kinds []string
		imp             importer
	}{
		{kyverno.APIVersions, kyverno.Kinds, kyverno.Convert},
		{kubewarden.APIVersions, kubewarden.Kinds, kubewarden.Convert},
	} {
		for _, v := range f.versions {
			for _, k := range f.kinds {
				m[v+" "+k] = f.imp
			}
		}
	}
	return m
}()

// Load reads policy files and directories (every *.yaml, *.yml and *.json
// in them, recursively) into one Set. Every document is checked; all the
// problems found are returned together, each naming its file, document and
// field path. Warnings say what was read but does not map exactly.
func Load(paths ...string) (*Set, []string, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != p {
				return filepath.SkipDir
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				if !d.IsDir() {
					files = append(files, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("%w: no policy files in %s", ErrInvalid, strings.Join(paths, ", "))
	}
	sort.Strings(files)
	b := &builder{set: &Set{}}
	for _, f := range files {
		data, err := readFile(f)
		if err != nil {
			b.errs = append(b.errs, err)
			continue
		}
		b.add(data, f, filepath.Dir(f))
	}
	return b.finish()
}

// Parse reads policy documents from data as if from a file named source
// whose relative file references resolve against baseDir.
func Parse(data []byte, source, baseDir string) (*Set, []string, error) {
	b := &builder{set: &Set{}}
	b.add(data, source, baseDir)
	return b.finish()
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	defer f.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(&limited{r: f, n: maxFileSize + 1})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, path, err)
	}
	if n > maxFileSize {
		return nil, fmt.Errorf("%w: %s: larger than %d bytes", ErrInvalid, path, maxFileSize)
	}
	return buf.Bytes(), nil
}

type limited struct {
	r interface{ Read([]byte) (int, error) }
	n int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("too large")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// builder collects policies, warnings and errors across documents.
type builder struct {
	set      *Set
	warnings []string
	errs     []error
	setSeen  string
}

func (b *builder) add(data []byte, source, baseDir string) {
	docs, err := strict.SplitDocuments(data)
	if err != nil {
		b.errs = append(b.errs, fmt.Errorf("%w: %s: %v", ErrInvalid, source, err))
		return
	}
	if len(docs) == 0 {
		b.errs = append(b.errs, fmt.Errorf("%w: %s: no documents", ErrInvalid, source))
	}
	for i, doc := range docs {
		where := source
		if len(docs) > 1 {
			where = fmt.Sprintf("%s (document %d)", source, i+1)
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(doc, &head); err != nil {
			b.errs = append(b.errs, fmt.Errorf("%w: %s: not a mapping: %v", ErrInvalid, where, err))
			continue
		}
		switch {
		case head.APIVersion == api.APIVersion && head.Kind == api.KindPolicy:
			var p api.Policy
			if err := strict.Decode(doc, &p); err != nil {
				b.errs = append(b.errs, prefixErrs(where, err))
				continue
			}
			b.compile(p, where, baseDir)
		case head.APIVersion == api.APIVersion && head.Kind == api.KindPolicySet:
			var ps api.PolicySet
			if err := strict.Decode(doc, &ps); err != nil {
				b.errs = append(b.errs, prefixErrs(where, err))
				continue
			}
			if b.setSeen != "" {
				b.errs = append(b.errs, fmt.Errorf("%w: %s: a second PolicySet (the first is in %s)", ErrInvalid, where, b.setSeen))
				continue
			}
			b.setSeen = where
			switch ps.Spec.UncoveredImages {
			case "", api.Deny:
			case api.Allow:
				b.set.allowUncovered = true
			default:
				b.errs = append(b.errs, fmt.Errorf("%w: %s: spec.uncoveredImages: %q is neither %s nor %s", ErrInvalid, where, ps.Spec.UncoveredImages, api.Deny, api.Allow))
			}
		default:
			imp, ok := importers[head.APIVersion+" "+head.Kind]
			if !ok {
				b.errs = append(b.errs, fmt.Errorf("%w: %s: unsupported document apiVersion %q kind %q (want %s Policy or PolicySet, a Kyverno ClusterPolicy/Policy, or a Kubewarden verify-image-signatures policy)", ErrInvalid, where, head.APIVersion, head.Kind, api.APIVersion))
				continue
			}
			ps, warns, err := imp(doc, where)
			for _, w := range warns {
				b.warnings = append(b.warnings, where+": "+w)
			}
			if err != nil {
				b.errs = append(b.errs, prefixErrs(where, err))
				continue
			}
			for _, p := range ps {
				b.compile(p, where, baseDir)
			}
		}
	}
}

func (b *builder) compile(p api.Policy, where, baseDir string) {
	name := p.Metadata.Name
	if name == "" {
		b.errs = append(b.errs, fmt.Errorf("%w: %s: metadata.name: required", ErrInvalid, where))
		return
	}
	c, errs := compilePolicy(p, baseDir)
	if len(errs) > 0 {
		for _, e := range errs {
			b.errs = append(b.errs, fmt.Errorf("%w: %s: %s: %v", ErrInvalid, where, name, e))
		}
		return
	}
	c.source = where
	c.doc = p
	b.set.policies = append(b.set.policies, c)
}

func (b *builder) finish() (*Set, []string, error) {
	if len(b.errs) > 0 {
		return nil, b.warnings, errors.Join(b.errs...)
	}
	if len(b.set.policies) == 0 {
		return nil, b.warnings, fmt.Errorf("%w: no policy found", ErrInvalid)
	}
	return b.set, b.warnings, nil
}

// prefixErrs prefixes every error joined in err with where.
func prefixErrs(where string, err error) error {
	var out []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, fmt.Errorf("%w: %s: %v", ErrInvalid, where, e))
		}
		return errors.Join(out...)
	}
	return fmt.Errorf("%w: %s: %v", ErrInvalid, where, err)
}
