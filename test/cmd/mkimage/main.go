// Command mkimage writes a small, deterministic container image (one layer
// holding one text file) to a registry or an OCI image layout. The demo and
// the end-to-end tests use it to have something to sign; it is never shipped.
//
//	mkimage [-platforms linux/amd64,linux/arm64] [-content TEXT] REF
//
// REF is a registry reference or oci:DIR[:TAG]. With more than one platform
// the image is an index.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func main() {
	platforms := flag.String("platforms", "linux/amd64", "comma-separated platforms; more than one makes an index")
	content := flag.String("content", "hello from tollgate", "content of /hello.txt")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: mkimage [-platforms P,...] [-content TEXT] REF")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), strings.Split(*platforms, ","), *content); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func image(platform, content string) (v1.Image, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := []byte(content + "\n" + platform + "\n")
	if err := tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(0, 0)}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(body); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	})
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(mutate.MediaType(mutate.ConfigMediaType(empty.Image, types.OCIConfigJSON), types.OCIManifestSchema1), layer)
	if err != nil {
		return nil, err
	}
	os, arch, _ := strings.Cut(platform, "/")
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = os, arch
	cf.Config.Cmd = []string{"cat", "/hello.txt"}
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	return mutate.ConfigFile(img, cf)
}

func run(ref string, platforms []string, content string) error {
	var (
		img v1.Image
		idx v1.ImageIndex
		err error
	)
	if len(platforms) == 1 {
		if img, err = image(platforms[0], content); err != nil {
			return err
		}
	} else {
		var adds []mutate.IndexAddendum
		for _, p := range platforms {
			i, err := image(p, content)
			if err != nil {
				return err
			}
			osName, arch, _ := strings.Cut(p, "/")
			adds = append(adds, mutate.IndexAddendum{Add: i, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: osName, Architecture: arch}}})
		}
		idx = mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
	}
	if dir, ok := strings.CutPrefix(ref, "oci:"); ok {
		tag := ""
		if i := strings.LastIndex(dir, ":"); i > 0 && !strings.Contains(dir[i+1:], "/") {
			dir, tag = dir[:i], dir[i+1:]
		}
		p, err := layout.FromPath(dir)
		if err != nil {
			if err := os.MkdirAll(filepath.Dir(dir+"/x"), 0o755); err != nil {
				return err
			}
			if p, err = layout.Write(dir, empty.Index); err != nil {
				return err
			}
		}
		var opts []layout.Option
		m := match.Annotation("org.opencontainers.image.ref.name", tag)
		if tag != "" {
			opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag}))
		}
		if img != nil {
			err = p.ReplaceImage(img, m, opts...)
		} else {
			err = p.ReplaceIndex(idx, m, opts...)
		}
		if err != nil {
			return err
		}
		d, _ := digest(img, idx)
		fmt.Println("oci:" + dir + "@" + d.String())
		return nil
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return err
	}
	ro := []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	if img != nil {
		err = remote.Write(r, img, ro...)
	} else {
		err = remote.WriteIndex(r, idx, ro...)
	}
	if err != nil {
		return err
	}
	d, _ := digest(img, idx)
	fmt.Println(r.Context().Digest(d.String()).String())
	return nil
}

func digest(img v1.Image, idx v1.ImageIndex) (v1.Hash, error) {
	if img != nil {
		return img.Digest()
	}
	return idx.Digest()
}
