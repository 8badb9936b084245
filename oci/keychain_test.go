package oci

import (
	"context"
	"encoding/base64"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// newAuthRegistry starts an in-process registry that answers only requests
// with user:secret as basic auth.
func newAuthRegistry(t *testing.T) string {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "secret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func dockerConfig(host, user, pass string) string {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	return `{"auths":{"` + host + `":{"auth":"` + auth + `"}}}`
}

// A kubernetes.io/dockerconfigjson Secret mounted as $DOCKER_CONFIG holds
// .dockerconfigjson, not config.json: the default keychain reads it.
func TestDefaultKeychainReadsDockerConfigJSON(t *testing.T) {
	host := newAuthRegistry(t)
	ref := host + "/app:v1"
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	resolve := func() error {
		_, err := newClient(t).Resolve(ctx, mustRef(t, ref))
		return err
	}

	for _, tc := range []struct {
		name  string
		files map[string]string
		ok    bool
	}{
		{"dockerconfigjson", map[string]string{".dockerconfigjson": dockerConfig(host, "user", "secret")}, true},
		{"config.json", map[string]string{"config.json": dockerConfig(host, "user", "secret")}, true},
		// config.json wins when both are there, as docker reads only it.
		{"both", map[string]string{"config.json": dockerConfig(host, "user", "wrong"), ".dockerconfigjson": dockerConfig(host, "user", "secret")}, false},
		{"wrong password", map[string]string{".dockerconfigjson": dockerConfig(host, "user", "wrong")}, false},
		{"other registry", map[string]string{".dockerconfigjson": dockerConfig("registry.example.com", "user", "secret")}, false},
		{"none", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for n, content := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, n), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("DOCKER_CONFIG", dir)
			if tc.name == "dockerconfigjson" {
				// Push with the same credentials so there is something to read.
				r, err := name.ParseReference(ref)
				if err != nil {
					t.Fatal(err)
				}
				if err := remote.Write(r, img, remote.WithAuthFromKeychain(DefaultKeychain)); err != nil {
					t.Fatalf("push with .dockerconfigjson credentials: %v", err)
				}
			}
			err := resolve()
			if tc.ok && err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if !tc.ok {
				if err == nil {
					t.Fatal("resolve passed without the right credentials")
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("the error shows a credential: %v", err)
				}
			}
		})
	}
}

func TestDockerConfigJSONBadFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".dockerconfigjson"), []byte(`{"auths": "s3cr3t-not-json`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	res, err := name.NewRepository("registry.example.com/app")
	if err != nil {
		t.Fatal(err)
	}
	_, err = dockerConfigJSON{}.Resolve(res)
	if err == nil || !strings.Contains(err.Error(), "not a docker config file") {
		t.Fatalf("Resolve = %v, want a clear error", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("the error shows the file's contents: %v", err)
	}
}
