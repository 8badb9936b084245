package harness

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Root returns the repository root: the directory of the go.mod above the
// test's working directory (go test runs tests in their package directory),
// or, failing that, the one above this source file. Builds with -trimpath
// (the Makefile's) record module paths, not directories, as source files.
func Root() string {
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/tollgate-dev/tollgate\n") {
				return dir
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Tollgate returns the path of the tollgate binary: $TOLLGATE_BIN, or one
// built from the tree once per test binary.
func Tollgate(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("TOLLGATE_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tollgate-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "tollgate")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/tollgate")
		cmd.Dir = Root()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building tollgate: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// Tool returns the path of a peer tool (registry, cosign-v2, cosign-v3): the
// environment variable the Makefile sets, or scripts/tools.sh's build.
func Tool(t testing.TB, name string) string {
	t.Helper()
	env := "TOLLGATE_" + strings.ToUpper(strings.NewReplacer("-", "_").Replace(name)) + "_BIN"
	if p := os.Getenv(env); p != "" {
		return p
	}
	cmd := exec.Command(filepath.Join(Root(), "scripts", "tools.sh"), "path", name)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/tools.sh path %s: %v\n%s", name, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Registry is a running registry server.
type Registry struct {
	// Addr is host:port, usable in image references.
	Addr string
	cmd  *exec.Cmd
	dir  string
	log  *bytes.Buffer
}

// StartRegistry starts the real registry server on a free loopback port with
// its storage in a temporary directory, and stops it when the test ends.
func StartRegistry(t testing.TB) *Registry {
	t.Helper()
	bin := Tool(t, "registry")
	dir := t.TempDir()
	port := FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "data"), addr)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &Registry{Addr: addr, dir: dir, log: &bytes.Buffer{}}
	r.cmd = exec.Command(bin, "serve", cfgPath)
	r.cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none")
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("starting registry: %v", err)
	}
	t.Cleanup(r.Stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry did not start on %s: %v\n%s", addr, err, r.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the registry; its address refuses connections afterwards.
func (r *Registry) Stop() {
	if r.cmd.Process != nil && r.cmd.ProcessState == nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
}

// Env is an isolated environment for running commands.
type Env struct {
	t    testing.TB
	Dir  string // working directory, also HOME
	vars []string
}

// NewEnv returns an environment whose HOME, DOCKER_CONFIG, XDG directories and
// working directory are a fresh temporary directory, with COSIGN_PASSWORD
// unset and cosign's update checks and TUF look-ups kept local.
func NewEnv(t testing.TB) *Env {
	t.Helper()
	dir := t.TempDir()
	vars := []string{
		"HOME=" + dir,
		"DOCKER_CONFIG=" + filepath.Join(dir, ".docker"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, ".cache"),
		"TUF_ROOT=" + filepath.Join(dir, ".sigstore"),
		"PATH=" + os.Getenv("PATH"),
		"TMPDIR=" + os.TempDir(),
		"OTEL_TRACES_EXPORTER=none",
	}
	return &Env{t: t, Dir: dir, vars: vars}
}

// Set sets an environment variable for later commands.
func (e *Env) Set(k, v string) { e.vars = append(e.vars, k+"="+v) }

// Result is a finished command.
type Result struct {
	Cmd            string
	Stdout, Stderr string
	Code           int
}

func (r Result) String() string {
	return fmt.Sprintf("$ %s\nexit %d\n--- stdout\n%s--- stderr\n%s", r.Cmd, r.Code, r.Stdout, r.Stderr)
}

// Run runs a command in the environment and returns its result; it fails the
// test only when the command cannot be started or times out.
func (e *Env) Run(bin string, args ...string) Result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = e.Dir, e.vars
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Cmd: filepath.Base(bin) + " " + strings.Join(args, " "), Stdout: stdout.String(), Stderr: stderr.String()}
	if ctx.Err() != nil {
		e.t.Fatalf("timed out: %s", res)
	}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			e.t.Fatalf("running %s: %v", res.Cmd, err)
		}
		res.Code = ee.ExitCode()
	}
	return res
}

// MustRun runs a command and fails the test unless it exits 0.
func (e *Env) MustRun(bin string, args ...string) Result {
	e.t.Helper()
	r := e.Run(bin, args...)
	if r.Code != 0 {
		e.t.Fatalf("command failed:\n%s", r)
	}
	return r
}
