// Package provenance builds SLSA provenance statements (in-toto Statement
// v1; predicate SLSA Provenance v1, or v0.2 for verifiers that only read
// that) from the CI context tollgate runs in:
//
//   - GitHub Actions (GITHUB_ACTIONS=true, read with go-githubactions), laid
//     out as GitHub's own build provenance (actions/attest-build-provenance):
//     build type https://actions.github.io/buildtypes/workflow/v1; the
//     workflow's ref, repository and path as external parameters; event,
//     repository and owner IDs and runner environment as internal parameters;
//     the source repository at GITHUB_SHA as resolved dependency; the builder
//     is the workflow (its GITHUB_WORKFLOW_REF); the invocation is the run
//     URL with its attempt.
//
//   - Tekton, in Tekton Chains' SLSA v1 layout (build type
//     https://tekton.dev/chains/v2/slsa: the run's spec as runSpec, its
//     source from params or Chains type hints as resolved dependencies), from
//     either a TaskRun or PipelineRun object (FromTektonRun) or, inside a
//     running step, these variables, which tollgate's own Tasks set from
//     Tekton's context (a public contract):
//
//     TOLLGATE_TEKTON_TASKRUN_NAME      $(context.taskRun.name) (detection needs it)
//     TOLLGATE_TEKTON_TASKRUN_UID       $(context.taskRun.uid)
//     TOLLGATE_TEKTON_NAMESPACE         $(context.taskRun.namespace)
//     TOLLGATE_TEKTON_TASK_NAME         $(context.task.name)
//     TOLLGATE_TEKTON_PIPELINERUN_NAME  $(context.pipelineRun.name)
//     TOLLGATE_TEKTON_PIPELINE_NAME     $(context.pipeline.name)
//     TOLLGATE_TEKTON_PARAMS            a JSON object of the params to record
//     TOLLGATE_TEKTON_SOURCE_URL        the source repository built
//     TOLLGATE_TEKTON_SOURCE_COMMIT     the commit built
//
//   - anywhere else, a local build that says so (build type
//     https://tollgate.dev/buildtypes/local/v1, builder
//     https://tollgate.dev/builders/local): it never claims a CI builder it
//     is not.
//
// The package reads the environment and files only through the Env it is
// given, so every statement can be tested from recorded contexts. It never
// signs and never talks to a registry.
package provenance
