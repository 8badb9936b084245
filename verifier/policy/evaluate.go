package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/verifier"
	"github.com/tollgate-dev/tollgate/verifier/policy/api"
)

// Set is every policy loaded together.
type Set struct {
	policies       []*compiled
	allowUncovered bool
}

// Policies returns the policies of the set as documents, in load order.
func (s *Set) Policies() []api.Policy {
	out := make([]api.Policy, len(s.policies))
	for i, p := range s.policies {
		out[i] = p.doc
	}
	return out
}

// AllowUncovered reports whether images no policy covers are allowed.
func (s *Set) AllowUncovered() bool { return s.allowUncovered }

// covering returns the policies that cover image.
func (s *Set) covering(image string) []*compiled {
	var out []*compiled
	for _, p := range s.policies {
		if p.covers(image) {
			out = append(out, p)
		}
	}
	return out
}

func (p *compiled) covers(image string) bool {
	for _, sk := range p.skip {
		if sk.matches(image) {
			return false
		}
	}
	for _, im := range p.images {
		if im.matches(image) {
			return true
		}
	}
	return false
}

// Needs says what must be fetched to evaluate image: nothing when no policy
// covers it, signatures and/or attestations otherwise.
func (s *Set) Needs(image string) (covered, signatures, attestations bool) {
	for _, p := range s.covering(image) {
		covered = true
		signatures = signatures || len(p.sets) > 0
		attestations = attestations || len(p.atts) > 0
	}
	return covered, signatures, attestations
}

// Uncovered returns the decision for an image no policy covers, or nil when
// a policy covers it. It needs no digest: the verdict does not depend on
// what the registry holds.
func (s *Set) Uncovered(image string) *Decision {
	if len(s.covering(image)) > 0 {
		return nil
	}
	d := &Decision{Image: image, Uncovered: true, Allowed: s.allowUncovered, Policies: []PolicyResult{}}
	if !d.Allowed {
		d.Reasons = append(d.Reasons, "no policy covers this image (a PolicySet with uncoveredImages: Allow lets such images through)")
	}
	return d
}

// Evidence is what was fetched for an image: untrusted signatures and
// attestations.
type Evidence struct {
	Signatures, Attestations []evidence.Signature
}

// Decision is the verdict for one image.
type Decision struct {
	Image string `json:"image"`
	// Digest is the digest the verdict is about.
	Digest string `json:"digest"`
	// Allowed is the verdict.
	Allowed bool `json:"allowed"`
	// Uncovered is true when no policy covers the image.
	Uncovered bool `json:"uncovered,omitempty"`
	// MutateDigest is true when a covering policy asks for the image to be
	// pinned to its digest.
	MutateDigest bool           `json:"mutateDigest,omitempty"`
	Policies     []PolicyResult `json:"policies"`
	Reasons      []string       `json:"reasons,omitempty"`
}

// PolicyResult is one covering policy's verdict.
type PolicyResult struct {
	Name         string              `json:"name"`
	Source       string              `json:"source"`
	Allowed      bool                `json:"allowed"`
	Signers      []SetResult         `json:"signers,omitempty"`
	Attestations []AttestationResult `json:"attestations,omitempty"`
	Reasons      []string            `json:"reasons,omitempty"`
}

// SetResult is one signer set's verdict: Satisfied distinct entries out of
// the Needed.
type SetResult struct {
	Name      string        `json:"name"`
	Needed    int           `json:"needed"`
	Satisfied int           `json:"satisfied"`
	Passed    bool          `json:"passed"`
	Entries   []EntryResult `json:"entries"`
}

// EntryResult says whether one entry made a valid signature (or attestation).
type EntryResult struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	// Evidence lists where the valid signatures were found.
	Evidence []string `json:"evidence,omitempty"`
	Reason   string   `json:"reason,omitempty"`
}

// AttestationResult is one required attestation's verdict.
type AttestationResult struct {
	Name          string      `json:"name"`
	PredicateType string      `json:"predicateType"`
	Passed        bool        `json:"passed"`
	Signers       []SetResult `json:"signers"`
	// Statements are the verified statements whose conditions held.
	Statements []json.RawMessage `json:"statements,omitempty"`
}

// ErrTLogRequired: the policy requires transparency log entries, which
// tollgate cannot verify yet.
var ErrTLogRequired = errors.New("a verified transparency log entry is required, and tollgate does not verify Rekor entries yet; set transparency.tlog: Ignore (Kyverno: rekor.ignoreTlog: true; Kubewarden: requireRekorBundle: false) to accept signatures without one")

// Run evaluates images against a Set, caching each policy's verdict by
// digest within the run (never by tag).
type Run struct {
	set   *Set
	now   func() time.Time
	mu    sync.Mutex
	cache map[string]PolicyResult
}

// NewRun starts a run at the given clock.
func (s *Set) NewRun(now func() time.Time) *Run {
	return &Run{set: s, now: now, cache: map[string]PolicyResult{}}
}

// Evaluate decides whether the image, resolved to digest, may be promoted
// given the evidence fetched for it. Every covering policy must allow it; an
// image no policy covers is denied unless the set allows uncovered images.
func (r *Run) Evaluate(image string, digest v1.Hash, ev Evidence) *Decision {
	if d := r.set.Uncovered(image); d != nil {
		d.Digest = digest.String()
		return d
	}
	d := &Decision{Image: image, Digest: digest.String(), Policies: []PolicyResult{}}
	ps := r.set.covering(image)
	d.Allowed = true
	for i, p := range ps {
		var pr PolicyResult
		key := fmt.Sprintf("%s|%d", digest, i)
		r.mu.Lock()
		cached, ok := r.cache[key]
		r.mu.Unlock()
		if ok {
			pr = cached
		} else {
			pr = p.evaluate(digest, ev, r.now())
			r.mu.Lock()
			r.cache[key] = pr
			r.mu.Unlock()
		}
		if p.requireDigest && !strings.Contains(image, "@sha256:") {
			pr.Allowed = false
			pr.Reasons = append(pr.Reasons, "the image reference is not pinned to a digest, and the policy requires it")
		}
		d.MutateDigest = d.MutateDigest || p.mutateDigest
		d.Allowed = d.Allowed && pr.Allowed
		for _, reason := range pr.Reasons {
			d.Reasons = append(d.Reasons, p.name+": "+reason)
		}
		d.Policies = append(d.Policies, pr)
	}
	return d
}

func (p *compiled) evaluate(digest v1.Hash, ev Evidence, now time.Time) PolicyResult {
	pr := PolicyResult{Name: p.name, Source: p.source, Allowed: true}
	for _, s := range p.sets {
		sr := s.evaluateSignatures(digest, ev.Signatures, now)
		if !sr.Passed {
			pr.Allowed = false
			pr.Reasons = append(pr.Reasons, fmt.Sprintf("signers %q: %d of %d required signers signed (%s)", sr.Name, sr.Satisfied, sr.Needed, entryReasons(sr)))
		}
		pr.Signers = append(pr.Signers, sr)
	}
	for _, a := range p.atts {
		ar := a.evaluate(digest, ev.Attestations, now)
		if !ar.Passed {
			pr.Allowed = false
			for _, sr := range ar.Signers {
				if !sr.Passed {
					pr.Reasons = append(pr.Reasons, fmt.Sprintf("attestation %q (%s): signers %q: %d of %d required (%s)", ar.Name, ar.PredicateType, sr.Name, sr.Satisfied, sr.Needed, entryReasons(sr)))
				}
			}
		}
		pr.Attestations = append(pr.Attestations, ar)
	}
	return pr
}

func entryReasons(sr SetResult) string {
	var out []string
	for _, e := range sr.Entries {
		if !e.Passed {
			out = append(out, e.Name+": "+e.Reason)
		}
	}
	return strings.Join(out, "; ")
}

func (e entry) verifier(now time.Time) (*verifier.Verifier, error) {
	opts := []verifier.Option{verifier.WithClock(func() time.Time { return now })}
	if e.key != nil {
		opts = append(opts, verifier.WithPublicKeys(*e.key))
	}
	if e.cert != nil {
		opts = append(opts, verifier.WithCertificates(*e.cert))
	}
	return verifier.New(opts...)
}

func (s signerSet) evaluateSignatures(digest v1.Hash, sigs []evidence.Signature, now time.Time) SetResult {
	sr := SetResult{Name: s.name, Needed: s.count}
	for _, e := range s.entries {
		er := EntryResult{Name: e.name}
		v, err := e.verifier(now)
		switch {
		case err != nil:
			er.Reason = err.Error()
		case e.tlog:
			er.Reason = ErrTLogRequired.Error()
		default:
			res, err := v.Verify(digest, sigs, verifier.Policy{Annotations: e.annotations})
			if err != nil {
				er.Reason = shortReason(err)
			} else {
				er.Passed = true
				for _, sig := range res.Verified() {
					er.Evidence = append(er.Evidence, sig.Source)
				}
			}
		}
		if er.Passed {
			sr.Satisfied++
		}
		sr.Entries = append(sr.Entries, er)
	}
	sr.Passed = sr.Satisfied >= sr.Needed
	return sr
}

func (a attestation) evaluate(digest v1.Hash, atts []evidence.Signature, now time.Time) AttestationResult {
	ar := AttestationResult{Name: a.name, PredicateType: a.predicateType, Passed: true}
	for _, s := range a.sets {
		sr := SetResult{Name: s.name, Needed: s.count}
		for _, e := range s.entries {
			er := EntryResult{Name: e.name}
			v, err := e.verifier(now)
			switch {
			case err != nil:
				er.Reason = err.Error()
			case e.tlog:
				er.Reason = ErrTLogRequired.Error()
			default:
				res, err := v.VerifyAttestations(digest, atts, verifier.AttestationPolicy{PredicateType: a.predicateType})
				if err != nil {
					er.Reason = shortReason(err)
					break
				}
				var failures []string
				for _, sig := range res.Verified() {
					if missing := missingAnnotations(e.annotations, sig.Annotations); missing != "" {
						failures = append(failures, sig.Source+": "+missing)
						continue
					}
					if a.program != nil {
						cr := a.program.Eval(sig.Statement)
						if !cr.Passed {
							failures = append(failures, fmt.Sprintf("%s: condition failed: %s", sig.Source, strings.Join(cr.Failures, "; ")))
							continue
						}
					}
					er.Passed = true
					er.Evidence = append(er.Evidence, sig.Source)
					ar.Statements = append(ar.Statements, json.RawMessage(sig.Statement))
				}
				if !er.Passed {
					er.Reason = strings.Join(failures, "; ")
				}
			}
			if er.Passed {
				sr.Satisfied++
			}
			sr.Entries = append(sr.Entries, er)
		}
		sr.Passed = sr.Satisfied >= sr.Needed
		ar.Passed = ar.Passed && sr.Passed
		ar.Signers = append(ar.Signers, sr)
	}
	return ar
}

func missingAnnotations(want, got map[string]string) string {
	var out []string
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			out = append(out, fmt.Sprintf("annotation %s=%s required", k, v))
		}
	}
	return strings.Join(out, ", ")
}

// shortReason renders a verifier error for a report line.
func shortReason(err error) string {
	var d *verifier.DeniedError
	if errors.As(err, &d) {
		if len(d.Reasons) == 0 {
			if d.What == "" {
				return "no signatures found"
			}
			return "no " + d.What + " found"
		}
		var rs []string
		for _, r := range d.Reasons {
			rs = append(rs, r.Error())
		}
		return strings.Join(rs, "; ")
	}
	return err.Error()
}
