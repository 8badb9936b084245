package manifests

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: arbitrary bytes never panic; what parses rewrites to the same
// bytes when nothing is replaced.
func FuzzParse(f *testing.F) {
	for _, n := range []string{"app.yaml", "list.json"} {
		if b, err := os.ReadFile(filepath.Join("testdata", n)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("kind: Pod\nspec:\n  containers:\n  - image: a\n---\n---\nkind: List\nitems: [{kind: Job}]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse("fuzz.yaml", b)
		if err != nil {
			return
		}
		out, err := m.Rewrite(func(Image) (string, bool) { return "", false })
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("identity rewrite: %v", err)
		}
	})
}

// FuzzRewrite: pinning every image either fails cleanly or gives a file
// whose images are the pinned ones.
func FuzzRewrite(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "app.yaml")); err == nil {
		f.Add(b, "registry.example.com/x:y@"+digest)
	}
	f.Add([]byte("kind: Pod\nspec:\n  containers:\n  - image: 'a''b'\n  - image: \"c\\\"d\"\n"), "new:v1")
	f.Fuzz(func(t *testing.T, b []byte, repl string) {
		m, err := Parse("fuzz.yaml", b)
		if err != nil {
			return
		}
		out, err := m.Rewrite(func(Image) (string, bool) { return repl, true })
		if err != nil {
			return
		}
		again, err := Parse("fuzz.yaml", out)
		if err != nil {
			t.Fatalf("rewritten file does not parse: %v", err)
		}
		for _, im := range again.Images() {
			if im.Ref != repl && repl != "" {
				t.Fatalf("image %q, want %q", im.Ref, repl)
			}
		}
	})
}
