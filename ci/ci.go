package ci

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// Item is what happened to one image.
type Item struct {
	// Image is the reference as given.
	Image string
	// Digest is the digest reference (repo@sha256:...), when known.
	Digest string
	// OK is true when the command succeeded for the image.
	OK bool
	// Result says what happened: signed, attested, verified, denied, ...
	Result string
	// Detail is a reason, a predicate type, a destination.
	Detail string
}

// Report is what a command did.
type Report struct {
	// Command is sign, attest, verify, verify-attestation or promote.
	Command string
	Items   []Item
}

// Runner is where tollgate runs.
type Runner interface {
	// Name is github-actions, tekton or local.
	Name() string
	// Publish tells the runner what the command did.
	Publish(Report) error
}

// Env is what detection may read.
type Env struct {
	Getenv func(string) string
	Stat   func(string) (fs.FileInfo, error)
	// Stdout receives workflow commands (GitHub's ::error:: annotations).
	Stdout io.Writer
}

// OSEnv is the process's environment and file system.
func OSEnv(stdout io.Writer) Env {
	return Env{Getenv: os.Getenv, Stat: os.Stat, Stdout: stdout}
}

// TektonResultsDir is where Tekton mounts a step's results.
const TektonResultsDir = "/tekton/results"

// Detect returns the runner tollgate runs in. $TOLLGATE_CI set to none,
// github or tekton overrides detection.
func Detect(env Env) (Runner, error) {
	override := env.Getenv("TOLLGATE_CI")
	switch override {
	case "", "auto":
	case "none", "local":
		return local{}, nil
	case "github", "github-actions":
	case "tekton":
	default:
		return nil, fmt.Errorf("TOLLGATE_CI=%q: want auto, none, github or tekton", override)
	}
	if override == "github" || override == "github-actions" || (override == "" && env.Getenv("GITHUB_ACTIONS") == "true") {
		return newGitHub(env), nil
	}
	dir := env.Getenv("TOLLGATE_TEKTON_RESULTS_DIR")
	if dir == "" {
		dir = TektonResultsDir
	}
	if fi, err := env.Stat(dir); err == nil && fi.IsDir() {
		return &tekton{dir: dir}, nil
	}
	if override == "tekton" {
		return nil, fmt.Errorf("TOLLGATE_CI=tekton, but there is no results directory %s", dir)
	}
	return local{}, nil
}

type local struct{}

func (local) Name() string         { return "local" }
func (local) Publish(Report) error { return nil }

// github publishes to GitHub Actions.
type github struct {
	a *githubactions.Action
}

func newGitHub(env Env) *github {
	return &github{a: githubactions.New(githubactions.WithGetenv(env.Getenv), githubactions.WithWriter(env.Stdout))}
}

func (g *github) Name() string { return "github-actions" }

func (g *github) Publish(r Report) error {
	var ok []Item
	for _, it := range r.Items {
		if it.OK {
			ok = append(ok, it)
			continue
		}
		msg := it.Result + ": " + it.Detail
		if it.Detail == "" || strings.HasPrefix(it.Detail, it.Result) {
			msg = it.Result
			if it.Detail != "" {
				msg = it.Detail
			}
		}
		g.a.WithFieldsMap(map[string]string{"title": "tollgate " + r.Command}).Errorf("%s: %s", it.Image, oneLine(msg))
	}
	if len(ok) > 0 {
		first := ok[0].Digest
		g.a.SetOutput("image", first)
		if _, d, found := strings.Cut(first, "@"); found {
			g.a.SetOutput("digest", d)
		}
		var refs []string
		for _, it := range ok {
			refs = append(refs, it.Digest)
		}
		g.a.SetOutput("images", strings.Join(refs, "\n"))
	}
	g.a.AddStepSummary(summary(r))
	return nil
}

// summary renders a Markdown table of the report.
func summary(r Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### tollgate %s\n\n| image | digest | result | detail |\n| --- | --- | --- | --- |\n", r.Command)
	for _, it := range r.Items {
		mark := "✅"
		if !it.OK {
			mark = "❌"
		}
		d := it.Digest
		if _, h, found := strings.Cut(d, "@"); found {
			d = h
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s %s | %s |\n", cell(it.Image), cell(d), mark, cell(it.Result), cell(it.Detail))
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(oneLine(s), "|", "\\|") }

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// tekton writes the results of a Tekton step.
type tekton struct {
	dir string
}

func (t *tekton) Name() string { return "tekton" }

// Publish writes IMAGE_DIGEST and IMAGE_URL for the first image that
// succeeded (the names Tekton Chains reads), and IMAGES with every digest
// reference, one per line.
func (t *tekton) Publish(r Report) error {
	var refs []string
	var first *Item
	for i, it := range r.Items {
		if !it.OK || it.Digest == "" {
			continue
		}
		if first == nil {
			first = &r.Items[i]
		}
		refs = append(refs, it.Digest)
	}
	var errs []error
	write := func(name, value string) {
		if err := os.WriteFile(filepath.Join(t.dir, name), []byte(value), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("writing Tekton result %s: %w", name, err))
		}
	}
	if first != nil {
		repo, d, _ := strings.Cut(first.Digest, "@")
		write("IMAGE_DIGEST", d)
		write("IMAGE_URL", repo)
	}
	write("IMAGES", strings.Join(refs, "\n"))
	return errors.Join(errs...)
}
