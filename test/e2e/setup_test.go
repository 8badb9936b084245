package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/test/harness"
)

// world is what most tests need: a registry, tollgate and cosign, a key pair
// ("cosign") and a second one ("other") in the environment's directory.
type world struct {
	t        *testing.T
	reg      *harness.Registry
	env      *harness.Env
	tollgate string
	cosign2  string
	cosign3  string
}

const password = "correct horse battery staple"

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{
		t:        t,
		reg:      harness.StartRegistry(t),
		env:      harness.NewEnv(t),
		tollgate: harness.Tollgate(t),
		cosign2:  harness.Tool(t, "cosign-v2"),
		cosign3:  harness.Tool(t, "cosign-v3"),
	}
	w.env.Set("COSIGN_PASSWORD", password)
	w.env.MustRun(w.tollgate, "generate-key-pair")
	w.env.MustRun(w.tollgate, "generate-key-pair", "--output-key-prefix", "other")
	// An empty trusted root: cosign v2 reads Sigstore bundles only with
	// --trusted-root, and key-signed bundles need no Sigstore trust material.
	w.write("empty_trusted_root.json", `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`)
	// An empty signing config: cosign v3 signs with neither Rekor nor a TSA.
	w.env.MustRun(w.cosign3, "signing-config", "create", "--out", "no_services.json")
	return w
}

func (w *world) write(name, content string) string {
	w.t.Helper()
	p := filepath.Join(w.env.Dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// image pushes a fresh image to the registry under repo:tag and returns the
// tag reference and the digest reference.
func (w *world) image(repo string) (tag, digest string) {
	w.t.Helper()
	tag = w.reg.Addr + "/" + repo + ":v1"
	return tag, harness.PushImage(w.t, tag).String()
}

// tg runs tollgate.
func (w *world) tg(args ...string) harness.Result {
	w.t.Helper()
	return w.env.Run(w.tollgate, args...)
}

// cosignVerify runs `cosign verify` of the given major version with key.
func (w *world) cosignVerify(major int, key, img string) harness.Result {
	w.t.Helper()
	if major == 2 {
		return w.env.Run(w.cosign2, "verify", "--key", key, "--insecure-ignore-tlog", "--trusted-root", "empty_trusted_root.json", img)
	}
	return w.env.Run(w.cosign3, "verify", "--key", key, "--insecure-ignore-tlog", img)
}

// cosignVerifyLegacy runs cosign v2 verify without a trusted root: the way a
// cosign v2 user verifies cosign's own tag-scheme signatures.
func (w *world) cosignVerifyLegacy(key, img string) harness.Result {
	w.t.Helper()
	return w.env.Run(w.cosign2, "verify", "--key", key, "--insecure-ignore-tlog", img)
}

func wantCode(t *testing.T, r harness.Result, code int, stderrHas ...string) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("exit code %d, want %d\n%s", r.Code, code, r)
	}
	for _, s := range stderrHas {
		if !strings.Contains(r.Stderr, s) {
			t.Errorf("stderr does not mention %q\n%s", s, r)
		}
	}
}
