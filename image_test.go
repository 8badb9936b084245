package tollgate_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfile checks what the container image promises without a Docker
// engine (there is none in CI): the build stage builds with the Makefile, the
// final stage is a minimal base with CA certificates running as non-root,
// and the binary `make build` makes is static, built with -trimpath and
// without cgo, so the image holds what the tests ran.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	stages := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build stage and a runtime stage", len(stages))
	}
	if final := stages[len(stages)-1][1]; !strings.HasPrefix(final, "gcr.io/distroless/static") || !strings.HasSuffix(final, ":nonroot") {
		t.Errorf("final stage is %s, want distroless static (CA certificates, no shell) in its nonroot variant", final)
	}
	if !regexp.MustCompile(`(?m)^RUN make build\b`).MatchString(df) {
		t.Errorf("the build stage does not call make build")
	}
	users := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(users) == 0 || strings.HasPrefix(users[len(users)-1][1], "root") || strings.HasPrefix(users[len(users)-1][1], "0") {
		t.Errorf("the image does not end with a non-root USER: %v", users)
	}

	// The binary as make build makes it.
	bin := os.Getenv("TOLLGATE_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "tollgate")
		cmd := exec.Command("make", "build", "BIN="+bin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make build: %v\n%s", err, out)
		}
	}
	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	for _, want := range []string{"build\t-trimpath=true", "build\tCGO_ENABLED=0"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("%s was not built with %s:\n%s", bin, want, out)
		}
	}
	if strings.Contains(string(out), "vcs.modified") {
		t.Errorf("%s carries VCS stamps (not reproducible across checkouts):\n%s", bin, out)
	}
}
