package act

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/tollgate-dev/tollgate/test/harness"
)

// release is a tollgate release as the setup action downloads it: the
// archive, the checksums file, and the checksums file's signature (base64
// DER ECDSA over SHA-256, as cosign sign-blob writes it).
type release struct {
	files map[string][]byte
	key   *ecdsa.PrivateKey
}

func archiveName() string {
	return fmt.Sprintf("tollgate_%s_linux_%s.tar.gz", strings.TrimPrefix(releaseVersion, "v"), runtime.GOARCH)
}

func checksumsName() string {
	return fmt.Sprintf("tollgate_%s_checksums.txt", strings.TrimPrefix(releaseVersion, "v"))
}

var (
	archiveOnce  sync.Once
	archiveBytes []byte
	archiveErr   error
)

// releaseArchive is the release archive holding tollgate v0.1.0, made once.
func releaseArchive(t *testing.T) []byte {
	t.Helper()
	dir := releaseBinary(t)
	archiveOnce.Do(func() {
		bin, err := os.ReadFile(filepath.Join(dir, "tollgate"))
		if err != nil {
			archiveErr = err
			return
		}
		var buf bytes.Buffer
		gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		tw := tar.NewWriter(gz)
		if err := tw.WriteHeader(&tar.Header{Name: "tollgate", Mode: 0o755, Size: int64(len(bin))}); err != nil {
			archiveErr = err
			return
		}
		tw.Write(bin)
		tw.Close()
		gz.Close()
		archiveBytes = buf.Bytes()
	})
	if archiveErr != nil {
		t.Fatal(archiveErr)
	}
	return archiveBytes
}

func newRelease(t *testing.T) *release {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	archive := append([]byte(nil), releaseArchive(t)...)
	r := &release{files: map[string][]byte{archiveName(): archive}, key: key}
	r.sum()
	return r
}

// sum writes the checksums file for the archive and signs it.
func (r *release) sum() {
	h := sha256.Sum256(r.files[archiveName()])
	r.files[checksumsName()] = []byte(hex.EncodeToString(h[:]) + "  " + archiveName() + "\n")
	r.sign(r.key)
}

func (r *release) sign(key *ecdsa.PrivateKey) {
	h := sha256.Sum256(r.files[checksumsName()])
	sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	if err != nil {
		panic(err)
	}
	r.files[checksumsName()+".sig"] = []byte(base64.StdEncoding.EncodeToString(sig))
}

func (r *release) publicKey(t *testing.T) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&r.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func (r *release) serve(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		name, ok := strings.CutPrefix(req.URL.Path, "/"+releaseVersion+"/")
		b, found := r.files[name]
		if !ok || !found {
			http.NotFound(w, req)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

type install struct {
	code              int
	output, dir, path string
	outputs           string
}

// runInstall runs the setup action's install.sh as its composite step does,
// with a PATH that holds no tollgate (or pathTollgate's directory first).
func runInstall(t *testing.T, baseURL, publicKey, pathDir string) install {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the setup action's test release is built for linux")
	}
	dir := t.TempDir()
	in := install{dir: filepath.Join(dir, "tool"), path: filepath.Join(dir, "path"), outputs: filepath.Join(dir, "outputs")}
	env := harness.NewEnv(t)
	path := "/usr/local/bin:/usr/bin:/bin"
	if pathDir != "" {
		path = pathDir + ":" + path
	}
	if p, err := exec.LookPath("tollgate"); err == nil && pathDir == "" {
		t.Skipf("a tollgate is installed at %s; this test needs a PATH without one", p)
	}
	env.Set("PATH", path)
	env.Set("VERSION", releaseVersion)
	env.Set("BASE_URL", baseURL)
	env.Set("PUBLIC_KEY", publicKey)
	env.Set("INSTALL_DIR", in.dir)
	env.Set("GITHUB_OUTPUT", in.outputs)
	env.Set("GITHUB_PATH", in.path)
	res := env.Run("bash", filepath.Join(harness.Root(), "actions/setup/install.sh"))
	in.code, in.output = res.Code, res.Stdout+res.Stderr
	return in
}

func TestSetupActionInstallsVerifiedRelease(t *testing.T) {
	t.Parallel()
	rel := newRelease(t)
	url := rel.serve(t)
	keyFile := filepath.Join(t.TempDir(), "release.pub")
	writeFile(t, keyFile, rel.publicKey(t))

	for name, pub := range map[string]string{"key file": keyFile, "key text": rel.publicKey(t)} {
		in := runInstall(t, url, pub, "")
		if in.code != 0 {
			t.Fatalf("%s: install failed:\n%s", name, in.output)
		}
		out, err := exec.Command(filepath.Join(in.dir, "tollgate"), "version").Output()
		if err != nil || !strings.HasPrefix(string(out), "tollgate "+releaseVersion+"\n") {
			t.Errorf("%s: installed tollgate prints %q (%v), want version %s", name, out, err, releaseVersion)
		}
		if got := strings.TrimSpace(readFile(t, in.path)); got != in.dir {
			t.Errorf("%s: GITHUB_PATH holds %q, want %q", name, got, in.dir)
		}
		outputs := readFile(t, in.outputs)
		for _, want := range []string{"path=" + filepath.Join(in.dir, "tollgate") + "\n", "version=" + releaseVersion + "\n"} {
			if !strings.Contains(outputs, want) {
				t.Errorf("%s: GITHUB_OUTPUT lacks %q:\n%s", name, want, outputs)
			}
		}
	}
}

func TestSetupActionRefusesUnverifiedRelease(t *testing.T) {
	t.Parallel()
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(*release)
		key    func(*release) string
		want   string
	}{
		{
			name:   "archive changed after signing",
			change: func(r *release) { r.files[archiveName()] = append(r.files[archiveName()], 0) },
			want:   "the signed checksums say",
		},
		{
			name: "checksums changed after signing",
			change: func(r *release) {
				h := sha256.Sum256(r.files[archiveName()])
				r.files[checksumsName()] = []byte(hex.EncodeToString(h[:]) + "  " + archiveName() + "\n# more\n")
			},
			want: "does not verify with the release key",
		},
		{
			name:   "signed by another key",
			change: func(r *release) { r.sign(other) },
			want:   "does not verify with the release key",
		},
		{
			name:   "no signature",
			change: func(r *release) { delete(r.files, checksumsName()+".sig") },
			want:   "404",
		},
		{
			name:   "no entry for the archive",
			change: func(r *release) { r.files[checksumsName()] = []byte("00  other.tar.gz\n"); r.sign(r.key) },
			want:   "has no entry for " + archiveName(),
		},
		{
			name: "no public key",
			key:  func(*release) string { return "" },
			want: "no release public key",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rel := newRelease(t)
			if tc.change != nil {
				tc.change(rel)
			}
			pub := rel.publicKey(t)
			if tc.key != nil {
				pub = tc.key(rel)
			}
			in := runInstall(t, rel.serve(t), pub, "")
			if in.code == 0 {
				t.Fatalf("install passed:\n%s", in.output)
			}
			if !strings.Contains(in.output, tc.want) {
				t.Errorf("install output lacks %q:\n%s", tc.want, in.output)
			}
			if _, err := os.Stat(filepath.Join(in.dir, "tollgate")); err == nil {
				t.Errorf("an unverified tollgate was installed at %s", in.dir)
			}
			if b, _ := os.ReadFile(in.path); len(b) > 0 {
				t.Errorf("GITHUB_PATH was changed: %q", b)
			}
		})
	}
}

// A tollgate on PATH of another version is not used: the pinned release is
// downloaded and checked.
func TestSetupActionReplacesOtherVersionOnPath(t *testing.T) {
	t.Parallel()
	rel := newRelease(t)
	onPath := filepath.Dir(harness.Tollgate(t)) // built from the tree: not v0.1.0
	in := runInstall(t, rel.serve(t), rel.publicKey(t), onPath)
	if in.code != 0 {
		t.Fatalf("install failed:\n%s", in.output)
	}
	if !strings.Contains(in.output, "not "+releaseVersion+": installing") {
		t.Errorf("install did not say it replaces the tollgate on PATH:\n%s", in.output)
	}
	if _, err := os.Stat(filepath.Join(in.dir, "tollgate")); err != nil {
		t.Errorf("the release was not installed: %v", err)
	}
}

// A tollgate on PATH whose version command fails does not stop the action:
// it installs the pinned release.
func TestSetupActionSurvivesBrokenTollgateOnPath(t *testing.T) {
	t.Parallel()
	rel := newRelease(t)
	stub := t.TempDir()
	writeFile(t, filepath.Join(stub, "tollgate"), "#!/bin/sh\nexit 2\n")
	if err := os.Chmod(filepath.Join(stub, "tollgate"), 0o755); err != nil {
		t.Fatal(err)
	}
	in := runInstall(t, rel.serve(t), rel.publicKey(t), stub)
	if in.code != 0 {
		t.Fatalf("install failed:\n%s", in.output)
	}
	if !strings.Contains(in.output, "tollgate on PATH is unknown, not "+releaseVersion) {
		t.Errorf("install did not report the broken tollgate:\n%s", in.output)
	}
	if _, err := os.Stat(filepath.Join(in.dir, "tollgate")); err != nil {
		t.Errorf("the release was not installed: %v", err)
	}
}
