package cli

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

var update = flag.Bool("update", false, "rewrite docs/cli and docs/exit-codes.md")

const docsDir = "../../../docs"

// TestCLIReference keeps docs/cli (generated from the commands) and
// docs/exit-codes.md (generated from exitcodes.go) fresh. Run
// `go test ./cmd/tollgate/cli -run TestCLIReference -update` (make docs)
// after changing a command, a flag or an exit code.
func TestCLIReference(t *testing.T) {
	want := map[string][]byte{}
	root := New(IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	root.DisableAutoGenTag = true
	tmp := t.TempDir()
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.DisableAutoGenTag = true
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if err := doc.GenMarkdownTree(root, tmp); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(tmp, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		want[filepath.Join("cli", e.Name())] = b
	}
	want["exit-codes.md"] = exitCodesDoc(t)

	if *update {
		if err := os.RemoveAll(filepath.Join(docsDir, "cli")); err != nil {
			t.Fatal(err)
		}
		for name, b := range want {
			p := filepath.Join(docsDir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	for name, b := range want {
		got, err := os.ReadFile(filepath.Join(docsDir, name))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("docs/%s is stale; run `make docs`", name)
		}
	}
	existing, _ := filepath.Glob(filepath.Join(docsDir, "cli", "*.md"))
	for _, p := range existing {
		if _, ok := want[filepath.Join("cli", filepath.Base(p))]; !ok {
			t.Errorf("docs/cli/%s documents no command; run `make docs`", filepath.Base(p))
		}
	}
}

// exitCodesDoc renders the Exit* constants of exitcodes.go, with their doc
// comments, as a Markdown table.
func exitCodesDoc(t *testing.T) []byte {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "exitcodes.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ code, name, doc string }
	var rows []row
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			if len(vs.Names) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Exit") || len(vs.Values) != 1 {
				continue
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok {
				continue
			}
			text := strings.Join(strings.Fields(vs.Doc.Text()), " ")
			_, text, _ = strings.Cut(text, ": ")
			rows = append(rows, row{lit.Value, vs.Names[0].Name, text})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].code < rows[j].code })
	var b bytes.Buffer
	fmt.Fprintln(&b, "# Exit codes")
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "Generated from cmd/tollgate/cli/exitcodes.go by `make docs`; a test keeps it fresh.")
	fmt.Fprintln(&b, "When several images fail for different reasons, a denial (1) wins over a")
	fmt.Fprintln(&b, "failure to check (3), so a gate never mistakes a refused image for a flaky registry.")
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "| code | name | meaning |")
	fmt.Fprintln(&b, "| --- | --- | --- |")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | `%s` | %s |\n", r.code, r.name, r.doc)
	}
	return b.Bytes()
}
