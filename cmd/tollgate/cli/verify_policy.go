package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/tollgate-dev/tollgate/ci"
	"github.com/tollgate-dev/tollgate/flow"
	"github.com/tollgate-dev/tollgate/manifests"
	"github.com/tollgate-dev/tollgate/verifier/policy"
)

// runVerifyPolicy verifies images, and the images of Kubernetes manifests,
// against policy files; with --rewrite it pins every image of the manifests
// to its verified digest, only when every image passed.
func runVerifyPolicy(ctx context.Context, streams IO, o *VerifyOptions, args []string) error {
	if o.Trust.set() || len(o.AttestationTypes) > 0 || len(o.Annotations) > 0 {
		return usageError{errors.New("--policy says whom to trust: do not combine it with --key, --certificate, --ca-roots, --trusted-root, --attestation-type or -a")}
	}
	if o.Rewrite && len(o.Files) == 0 {
		return usageError{errors.New("--rewrite needs -f: it rewrites Kubernetes manifests")}
	}
	set, _, err := loadPolicies(streams, o.Policies)
	if err != nil {
		return err
	}
	var files []*manifests.File
	images := append([]string{}, args...)
	seen := map[string]bool{}
	for _, a := range args {
		seen[a] = true
	}
	if len(o.Files) > 0 {
		files, err = manifests.Load(o.Files...)
		if err != nil {
			return usageError{err}
		}
		for _, f := range files {
			for _, im := range f.Images() {
				if !seen[im.Ref] {
					seen[im.Ref] = true
					images = append(images, im.Ref)
				}
			}
		}
	}
	if len(images) == 0 {
		return usageError{errors.New("no images: give image references, or -f with manifests that hold some")}
	}
	ctx, cancel := withTimeout(ctx, &o.Registry)
	defer cancel()
	client, err := o.Registry.NewClient(logger(streams.Err))
	if err != nil {
		return err
	}
	results, verr := flow.VerifyPolicy(ctx, client, set, images, flow.WithMaxWorkers(o.MaxWorkers))
	if results == nil {
		return verr
	}
	rep := ci.Report{Command: "verify"}
	for _, r := range results {
		it := item(r.Image, r.Digest, r.Err, "verified", "")
		if r.Err == nil && r.Decision != nil {
			var names []string
			for _, p := range r.Decision.Policies {
				names = append(names, p.Name)
			}
			it.Detail = "policy " + strings.Join(names, ", ")
			if r.Decision.Uncovered {
				it.Detail = "no policy covers it; allowed by the policy set"
			}
		}
		rep.Items = append(rep.Items, it)
	}
	if perr := publish(streams, rep); perr != nil {
		verr = errors.Join(verr, perr)
	}
	if o.Output.JSON() {
		type item struct {
			Image    string           `json:"image"`
			Digest   string           `json:"digest,omitempty"`
			Status   string           `json:"status"`
			Error    string           `json:"error,omitempty"`
			Decision *policy.Decision `json:"decision,omitempty"`
		}
		items := make([]item, len(results))
		for i, r := range results {
			items[i] = item{Image: r.Image, Digest: r.Digest, Status: status(r.Err), Decision: r.Decision}
			if r.Err != nil {
				items[i].Error = r.Err.Error()
			}
		}
		enc := json.NewEncoder(streams.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"images": items}); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			if r.Err == nil {
				fmt.Fprintln(streams.Out, r.Digest)
			}
		}
	}
	if verr != nil {
		if o.Rewrite {
			fmt.Fprintln(streams.Err, "tollgate: hint: no manifest was rewritten: every image must pass first")
		}
		return verr
	}
	if o.Rewrite {
		return rewriteManifests(streams, files, results)
	}
	return nil
}

// rewriteManifests pins each image of the manifests to its verified digest,
// keeping the tag (repo:tag@sha256:...), as Kyverno's mutateDigest does.
func rewriteManifests(streams IO, files []*manifests.File, results []flow.PolicyResult) error {
	byImage := map[string]flow.PolicyResult{}
	for _, r := range results {
		byImage[r.Image] = r
	}
	type out struct {
		path string
		data []byte
		n    int
	}
	var outs []out
	for _, f := range files {
		n := 0
		data, err := f.Rewrite(func(im manifests.Image) (string, bool) {
			r, ok := byImage[im.Ref]
			if !ok || r.Target == nil || (r.Decision != nil && !r.Decision.MutateDigest && !r.Decision.Uncovered) {
				return "", false
			}
			pinned, err := manifests.PinDigest(im.Ref, r.Target.Digest().String())
			if err != nil {
				return "", false
			}
			n++
			return pinned, true
		})
		if err != nil {
			return err
		}
		outs = append(outs, out{f.Path, data, n})
	}
	// Write only after every file rewrote cleanly.
	for _, o := range outs {
		if o.n == 0 {
			continue
		}
		info, err := os.Stat(o.path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.path, o.data, info.Mode().Perm()); err != nil {
			return err
		}
		fmt.Fprintf(streams.Err, "rewrote %s: %d image%s pinned to verified digests\n", o.path, o.n, plural(o.n))
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// set reports whether any trust flag was given.
func (o *TrustOptions) set() bool {
	return len(o.Keys) > 0 || o.Certificate != "" || o.CARoots != "" || o.TrustedRoot != "" ||
		o.Identity != "" || o.IdentityRegexp != "" || o.Issuer != "" || o.IssuerRegexp != ""
}
