package provenance

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// GitHub is a GitHub Actions workflow run.
type GitHub struct {
	env Env
	ctx *githubactions.GitHubContext
	a   *githubactions.Action
}

func newGitHub(env Env) (*GitHub, error) {
	a := githubactions.New(githubactions.WithGetenv(env.Getenv))
	ctx, err := a.Context()
	if err != nil {
		return nil, fmt.Errorf("reading the GitHub Actions context: %w", err)
	}
	for name, v := range map[string]string{"GITHUB_REPOSITORY": ctx.Repository, "GITHUB_SHA": ctx.SHA, "GITHUB_REF": ctx.Ref, "GITHUB_RUN_ID": strconv.FormatInt(ctx.RunID, 10), "GITHUB_WORKFLOW_REF": a.Getenv("GITHUB_WORKFLOW_REF")} {
		if v == "" || v == "0" {
			return nil, fmt.Errorf("GitHub Actions context: %s is not set", name)
		}
	}
	if len(ctx.SHA) != 40 {
		return nil, fmt.Errorf("GitHub Actions context: GITHUB_SHA %q is not a commit", ctx.SHA)
	}
	return &GitHub{env: env, ctx: ctx, a: a}, nil
}

// Kind is github-actions.
func (g *GitHub) Kind() string { return "github-actions" }

func (g *GitHub) build() (*build, error) {
	c := g.ctx
	server := strings.TrimSuffix(c.ServerURL, "/")
	if server == "" {
		server = "https://github.com"
	}
	// GITHUB_WORKFLOW_REF is owner/repo/.github/workflows/x.yml@refs/heads/main.
	workflowRef := g.a.Getenv("GITHUB_WORKFLOW_REF")
	wfPath, wfRef, ok := strings.Cut(workflowRef, "@")
	if !ok {
		return nil, fmt.Errorf("GITHUB_WORKFLOW_REF %q has no @ref", workflowRef)
	}
	wfRepo := c.Repository
	if strings.HasPrefix(wfPath, c.Repository+"/") {
		wfPath = strings.TrimPrefix(wfPath, c.Repository+"/")
	} else if parts := strings.SplitN(wfPath, "/", 3); len(parts) == 3 {
		wfRepo, wfPath = parts[0]+"/"+parts[1], parts[2]
	}
	attempt := c.RunAttempt
	if attempt == 0 {
		attempt = 1
	}
	internal := map[string]any{}
	for k, v := range map[string]string{
		"event_name":          c.EventName,
		"repository_id":       g.a.Getenv("GITHUB_REPOSITORY_ID"),
		"repository_owner_id": g.a.Getenv("GITHUB_REPOSITORY_OWNER_ID"),
		"runner_environment":  g.a.Getenv("RUNNER_ENVIRONMENT"),
	} {
		if v != "" {
			internal[k] = v
		}
	}
	return &build{
		buildType: GitHubBuildType,
		builderID: server + "/" + workflowRef,
		external: map[string]any{"workflow": map[string]any{
			"ref":        wfRef,
			"repository": server + "/" + wfRepo,
			"path":       wfPath,
		}},
		internal: map[string]any{"github": internal},
		deps: []dep{{
			uri:    "git+" + server + "/" + c.Repository + "@" + c.Ref,
			digest: map[string]string{"gitCommit": c.SHA},
		}},
		invocationID: fmt.Sprintf("%s/%s/actions/runs/%d/attempts/%d", server, c.Repository, c.RunID, attempt),
		entryPoint:   wfPath,
		finishedOn:   g.env.Now(),
	}, nil
}
