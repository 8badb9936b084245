package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		// tollgate is the command as users run it.
		"tollgate": func() {
			os.Exit(Execute(context.Background(), IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Args[1:]))
		},
		// tollgate-status runs tollgate, then prints "exit status N" on
		// stderr and exits 0, so scripts can check the exact exit code.
		"tollgate-status": func() {
			code := Execute(context.Background(), IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Args[1:])
			fmt.Fprintf(os.Stderr, "exit status %d\n", code)
			os.Exit(0)
		},
	})
}

// TestScripts runs testdata/script/*.txtar. Each script has an in-process
// registry at $REGISTRY (with the referrers API when the script's name says
// "referrers"), and these commands besides testscript's own:
//
//	push-image REF VAR     push a random image to REF; set $VAR to its digest reference
//	layout-image DIR TAG VAR  write a random image tagged TAG into a new OCI layout DIR
//	env-file VAR FILE      set $VAR to the content of FILE
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			srv := httptest.NewServer(registry.New(
				registry.WithReferrersSupport(strings.Contains(env.WorkDir, "referrers")),
				registry.Logger(log.New(io.Discard, "", 0))))
			env.Defer(srv.Close)
			env.Setenv("REGISTRY", strings.TrimPrefix(srv.URL, "http://"))
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("DOCKER_CONFIG", filepath.Join(env.WorkDir, ".docker"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"push-image": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: push-image REF VAR")
				}
				ref, err := name.ParseReference(args[0])
				ts.Check(err)
				img, err := random.Image(128, 1)
				ts.Check(err)
				ts.Check(remote.Write(ref, img))
				h, err := img.Digest()
				ts.Check(err)
				ts.Setenv(args[1], ref.Context().Digest(h.String()).String())
			},
			"env-file": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: env-file VAR FILE")
				}
				ts.Setenv(args[0], ts.ReadFile(args[1]))
			},
			"layout-image": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 3 {
					ts.Fatalf("usage: layout-image DIR TAG VAR")
				}
				img, err := random.Image(128, 1)
				ts.Check(err)
				p, err := layout.Write(ts.MkAbs(args[0]), empty.Index)
				ts.Check(err)
				ts.Check(p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": args[1]})))
				h, err := img.Digest()
				ts.Check(err)
				ts.Setenv(args[2], h.String())
			},
		},
	})
}

// TestExitCodeMapping checks ExitCode on the errors the library returns.
func TestExitCodeMapping(t *testing.T) {
	var buf bytes.Buffer
	code := Execute(context.Background(), IO{In: strings.NewReader(""), Out: &buf, Err: &buf}, []string{"verify", "--nope"})
	if code != ExitUsage {
		t.Errorf("Execute(unknown flag) = %d, want %d", code, ExitUsage)
	}
	if !strings.Contains(buf.String(), "tollgate: error: unknown flag: --nope") {
		t.Errorf("unknown flag output = %q", buf.String())
	}
	if code := ExitCode(nil); code != ExitOK {
		t.Errorf("ExitCode(nil) = %d, want %d", code, ExitOK)
	}
}
