package oci

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// DefaultKeychain is where registry credentials come from when no other is
// given: docker's config.json and credential helpers (authn.DefaultKeychain),
// then, when $DOCKER_CONFIG names a directory holding a .dockerconfigjson
// file and no config.json, the credentials in that file. That is how a
// Kubernetes Secret of type kubernetes.io/dockerconfigjson appears when a
// Tekton workspace mounts it, so the Tasks work with the Secrets clusters
// already have.
var DefaultKeychain authn.Keychain = authn.NewMultiKeychain(authn.DefaultKeychain, dockerConfigJSON{})

// maxDockerConfigBytes bounds the .dockerconfigjson file read.
const maxDockerConfigBytes = 1 << 20

// dockerConfigJSON resolves credentials from $DOCKER_CONFIG/.dockerconfigjson.
type dockerConfigJSON struct{}

func (dockerConfigJSON) Resolve(target authn.Resource) (authn.Authenticator, error) {
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		return authn.Anonymous, nil
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
		return authn.Anonymous, nil // authn.DefaultKeychain read it
	}
	path := filepath.Join(dir, ".dockerconfigjson")
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return authn.Anonymous, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading registry credentials: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxDockerConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading registry credentials %s: %w", path, err)
	}
	if len(b) > maxDockerConfigBytes {
		return nil, fmt.Errorf("registry credentials %s: larger than %d bytes", path, maxDockerConfigBytes)
	}
	cf := configfile.New(path)
	if err := cf.LoadFromReader(bytes.NewReader(b)); err != nil {
		// The error names the file, never its contents.
		return nil, fmt.Errorf("registry credentials %s: not a docker config file", path)
	}
	key := target.RegistryStr()
	if key == name.DefaultRegistry {
		key = authn.DefaultAuthKey
	}
	cfg, err := cf.GetAuthConfig(key)
	if err != nil {
		return nil, fmt.Errorf("registry credentials %s for %s: %w", path, key, err)
	}
	if cfg.Username == "" && cfg.Password == "" && cfg.Auth == "" && cfg.IdentityToken == "" && cfg.RegistryToken == "" {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{
		Username:      cfg.Username,
		Password:      cfg.Password,
		Auth:          cfg.Auth,
		IdentityToken: cfg.IdentityToken,
		RegistryToken: cfg.RegistryToken,
	}), nil
}
