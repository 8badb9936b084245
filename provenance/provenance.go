package provenance

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	slsa1 "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intotov1 "github.com/in-toto/attestation/go/v1"
	slsa02 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v0.2"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Predicate types.
const (
	PredicateV1  = "https://slsa.dev/provenance/v1"
	PredicateV02 = "https://slsa.dev/provenance/v0.2"
)

// Build types and builder IDs tollgate defines.
const (
	GitHubBuildType = "https://actions.github.io/buildtypes/workflow/v1"
	TektonBuildType = "https://tekton.dev/chains/v2/slsa"
	LocalBuildType  = "https://tollgate.dev/buildtypes/local/v1"
	// LocalBuilderID names a build on a developer's machine: no CI vouches
	// for it.
	LocalBuilderID = "https://tollgate.dev/builders/local"
	// TektonBuilderID names tollgate running as a Tekton step; it is not
	// Tekton Chains, which observes runs from outside.
	TektonBuilderID = "https://tollgate.dev/builders/tekton"
)

// Env is what a source may read: the environment, files, the clock.
type Env struct {
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
	Now      func() time.Time
}

// OSEnv is the process's environment, file system and clock.
func OSEnv() Env { return Env{Getenv: os.Getenv, ReadFile: os.ReadFile, Now: time.Now} }

// Source is where a build ran.
type Source interface {
	// Kind is github-actions, tekton or local.
	Kind() string
	build() (*build, error)
}

// build is what every source knows, in SLSA v1 terms.
type build struct {
	buildType    string
	builderID    string
	external     map[string]any
	internal     map[string]any
	deps         []dep
	invocationID string
	entryPoint   string // for v0.2's configSource
	startedOn    time.Time
	finishedOn   time.Time
}

type dep struct {
	name, uri string
	digest    map[string]string
}

// Subject is what a statement is about: an image repository and its digest.
type Subject struct {
	Name   string
	Digest map[string]string
}

// Option configures Statement.
type Option func(*config) error

type config struct {
	version        string
	builderVersion string
}

// WithSLSAVersion chooses the predicate: "1" (the default) or "0.2".
func WithSLSAVersion(v string) Option {
	return func(c *config) error {
		switch v {
		case "1", "1.0", "v1":
			c.version = "1"
		case "0.2", "v0.2":
			c.version = "0.2"
		default:
			return fmt.Errorf("SLSA provenance version %q: want 1 or 0.2", v)
		}
		return nil
	}
}

// WithBuilderVersion records tollgate's version in the builder.
func WithBuilderVersion(v string) Option {
	return func(c *config) error { c.builderVersion = v; return nil }
}

// Statement builds the provenance statement of the build src describes, about
// subjects.
func Statement(src Source, subjects []Subject, opts ...Option) (*intotov1.Statement, error) {
	c := config{version: "1"}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if len(subjects) == 0 {
		return nil, errors.New("a provenance statement needs at least one subject")
	}
	b, err := src.build()
	if err != nil {
		return nil, err
	}
	st := &intotov1.Statement{Type: intotov1.StatementTypeUri}
	for _, s := range subjects {
		st.Subject = append(st.Subject, &intotov1.ResourceDescriptor{Name: s.Name, Digest: s.Digest})
	}
	var pred *structpb.Struct
	if c.version == "0.2" {
		st.PredicateType = PredicateV02
		pred, err = b.v02(c)
	} else {
		st.PredicateType = PredicateV1
		pred, err = b.v1(c)
	}
	if err != nil {
		return nil, err
	}
	st.Predicate = pred
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("provenance statement: %w", err)
	}
	return st, nil
}

// Marshal renders a statement as indented JSON with a stable field order.
func Marshal(st *intotov1.Statement) ([]byte, error) {
	b, err := protojson.Marshal(st)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func (b *build) v1(c config) (*structpb.Struct, error) {
	ext, err := structpb.NewStruct(b.external)
	if err != nil {
		return nil, fmt.Errorf("external parameters: %w", err)
	}
	p := &slsa1.Provenance{
		BuildDefinition: &slsa1.BuildDefinition{BuildType: b.buildType, ExternalParameters: ext},
		RunDetails: &slsa1.RunDetails{
			Builder:  &slsa1.Builder{Id: b.builderID},
			Metadata: &slsa1.BuildMetadata{InvocationId: b.invocationID},
		},
	}
	if len(b.internal) > 0 {
		if p.BuildDefinition.InternalParameters, err = structpb.NewStruct(b.internal); err != nil {
			return nil, fmt.Errorf("internal parameters: %w", err)
		}
	}
	for _, d := range b.deps {
		p.BuildDefinition.ResolvedDependencies = append(p.BuildDefinition.ResolvedDependencies, &intotov1.ResourceDescriptor{Name: d.name, Uri: d.uri, Digest: d.digest})
	}
	if c.builderVersion != "" {
		p.RunDetails.Builder.Version = map[string]string{"tollgate": c.builderVersion}
	}
	if !b.startedOn.IsZero() {
		p.RunDetails.Metadata.StartedOn = timestamppb.New(b.startedOn)
	}
	if !b.finishedOn.IsZero() {
		p.RunDetails.Metadata.FinishedOn = timestamppb.New(b.finishedOn)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("SLSA v1 predicate: %w", err)
	}
	return toStruct(p)
}

func (b *build) v02(c config) (*structpb.Struct, error) {
	p := slsa02.ProvenancePredicate{
		Builder:   slsa02.ProvenanceBuilder{ID: b.builderID},
		BuildType: b.buildType,
		Invocation: slsa02.ProvenanceInvocation{
			Parameters:  b.external,
			Environment: b.internal,
		},
		Metadata: &slsa02.ProvenanceMetadata{
			BuildInvocationID: b.invocationID,
			Completeness:      slsa02.ProvenanceComplete{Parameters: true},
		},
	}
	if len(b.deps) > 0 {
		d := b.deps[0]
		p.Invocation.ConfigSource = slsa02.ConfigSource{URI: d.uri, Digest: v02Digest(d.digest), EntryPoint: b.entryPoint}
	}
	for _, d := range b.deps {
		p.Materials = append(p.Materials, slsa02.ProvenanceMaterial{URI: d.uri, Digest: v02Digest(d.digest)})
	}
	if !b.startedOn.IsZero() {
		t := b.startedOn.UTC()
		p.Metadata.BuildStartedOn = &t
	}
	if !b.finishedOn.IsZero() {
		t := b.finishedOn.UTC()
		p.Metadata.BuildFinishedOn = &t
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(raw, s); err != nil {
		return nil, err
	}
	return s, nil
}

// v02Digest renames gitCommit to sha1, as SLSA v0.2 records git commits.
func v02Digest(d map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range d {
		if k == "gitCommit" && len(v) == 40 {
			k = "sha1"
		}
		out[k] = v
	}
	return out
}

func toStruct(p *slsa1.Provenance) (*structpb.Struct, error) {
	raw, err := protojson.Marshal(p)
	if err != nil {
		return nil, err
	}
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(raw, s); err != nil {
		return nil, err
	}
	return s, nil
}

// Detect returns the source the environment describes: GitHub Actions when
// GITHUB_ACTIONS is true, Tekton when TOLLGATE_TEKTON_TASKRUN_NAME is set,
// local otherwise. A detected CI whose data is malformed is an error, never a
// fall back to local.
func Detect(env Env) (Source, error) {
	if env.Getenv("GITHUB_ACTIONS") == "true" {
		return newGitHub(env)
	}
	if env.Getenv("TOLLGATE_TEKTON_TASKRUN_NAME") != "" {
		return tektonFromEnv(env)
	}
	return &Local{env: env}, nil
}

// Local is a build on a machine no CI vouches for.
type Local struct {
	env Env
	// SourceURI and Commit record the source built, when the caller knows it.
	SourceURI, Commit string
}

// NewLocal returns a local source; sourceURI and commit may be empty.
func NewLocal(env Env, sourceURI, commit string) *Local {
	return &Local{env: env, SourceURI: sourceURI, Commit: commit}
}

// Kind is local.
func (l *Local) Kind() string { return "local" }

func (l *Local) build() (*build, error) {
	b := &build{
		buildType:  LocalBuildType,
		builderID:  LocalBuilderID,
		external:   map[string]any{"note": "built outside any CI: no build platform vouches for this build"},
		startedOn:  l.env.Now(),
		finishedOn: l.env.Now(),
	}
	if l.SourceURI != "" {
		d := dep{uri: l.SourceURI}
		if l.Commit != "" {
			d.digest = map[string]string{"gitCommit": l.Commit}
		}
		b.deps = append(b.deps, d)
		b.external["source"] = l.SourceURI
	}
	return b, nil
}
