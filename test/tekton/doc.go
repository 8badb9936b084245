// Package tekton tests tollgate's Tekton Tasks (tasks/) and the example
// Pipeline (examples/tekton/) in their real runner as far as a machine
// without Kubernetes and without a container runtime allows. All its code is
// in _test.go files; github.com/tektoncd/pipeline (v1.15.0) is a test-only
// dependency that the tollgate binary never links (depcheck_test.go).
//
// # What is real
//
// Validation (validate_test.go): every YAML document under tasks/ and
// examples/ whose apiVersion is tekton.dev/* is decoded strictly (an unknown
// or duplicate field is an error) into Tekton's Go types, defaulted and
// validated with Tekton's own SetDefaults and Validate, in the context its
// admission webhook uses on create with the default feature flags and
// defaults. Other documents (tollgate, Kyverno and Kubewarden policies,
// ConfigMaps, Secrets, GitHub workflows) are skipped. An object created with
// generateName is given a name first, as the API server does before
// admission. The tests also check that tasks/ holds the four tollgate Tasks
// with the results IMAGE_DIGEST, IMAGE_URL and IMAGES, and that the
// examples' PipelineRuns and Pipelines refer to Pipelines and Tasks that
// exist, passing declared params and binding required workspaces.
//
// TaskRuns (harness_test.go, runTask): a TaskRun is built in memory (name,
// namespace, UID, params, workspace bindings) and goes through what Tekton's
// webhook and TaskRun reconciler do before a pod exists, with Tekton's code:
// TaskRun defaulting and validation, the resolved Task's param checks
// (taskrun.ValidateResolvedTask, ValidateEnumParam, ValidateParamArrayIndex),
// workspace.ValidateBindings, and the substitutions of
// pkg/reconciler/taskrun/resources in the reconciler's order (ApplyParameters,
// ApplyContexts, ApplyResults, ApplyArtifacts, ApplyStepExitCodePath,
// ApplyWorkspaces, ApplyCredentialsPath), then MergeStepsWithStepTemplate.
// Each bound workspace's declared mountPath is replaced by a directory of
// this machine before ApplyWorkspaces, so $(workspaces.NAME.path) is that
// directory; an optional workspace left unbound is "" as in Tekton. Paths
// under /tekton/ (results, creds, steps, ...) are mapped into a temporary
// directory, and TOLLGATE_TEKTON_RESULTS_DIR names its results directory,
// from which the declared results are read after the steps, as the
// entrypoint reports them.
//
// The steps then run as processes, in order, stopping at the first failure
// (unless onError: continue) as Tekton does. A step with command [tollgate]
// runs the tollgate binary under test (harness.Tollgate); [crane] runs crane
// (harness.Tool). A script step is written to a file and run with sh (bash
// when its shebang names bash); the shebang's interpreter path is ignored,
// since there are no images, and a script without one gets Tekton's
// "set -e" preamble. Each step's environment is its substituted env on top
// of PATH (a directory with tollgate and crane, then /usr/local/bin,
// /usr/bin, /bin), HOME (an empty temporary directory), TMPDIR and
// TOLLGATE_TEKTON_RESULTS_DIR; nothing else of the machine's environment
// leaks in. workingDir is honoured (empty: a fresh directory; relative:
// under a stand-in for /workspace). Any Tekton variable left unsubstituted in
// a step is an error.
//
// PipelineRuns (runPipeline): the pipeline is scheduled with Tekton's
// pkg/reconciler/pipeline/dag (runAfter and result references), after the
// PipelineRun reconciler's checks (required params, param types, workspace
// bindings, taskRunSpecs) and substitutions (pipelinerun/resources
// ApplyParameters, ApplyContexts for $(context.pipelineRun.*) and
// $(context.pipeline.name), ApplyWorkspaces). Before each task,
// $(tasks.X.results.Y) is resolved from the finished TaskRuns' status with
// ResolveResultRef and ApplyTaskResults, and when expressions are
// evaluated; TaskRuns are named with GetTaskRunName. Pipeline workspaces
// map to task workspaces (with subPaths); the PipelineRun's ConfigMap,
// Secret and PVC bindings stand for directories the test provides. Tasks
// run one at a time; after a failure no new task starts and finally tasks
// run; the PipelineRun's results come from ApplyTaskResultsToPipelineResults.
//
// The registry is the real distribution registry on 127.0.0.1, and every
// signature, attestation and promotion is checked afterwards with the
// tollgate CLI.
//
// # What is not covered
//
// Anything that needs a cluster: the API server (beyond the generateName
// step above), RBAC and service accounts; pod creation, scheduling, node
// selection, resources and security contexts; Tekton's entrypoint binary
// and its step ordering through /tekton/run files and its termination
// message (including the 4 KiB limit on results); images: the step's image
// is never pulled, so its tools (busybox, a shell, the tollgate in
// ghcr.io/tollgate-dev/tollgate) are stood in for by this machine's sh,
// tar and mktemp and the binaries under test, and a shebang's interpreter
// path is not checked to exist in the image; mounting of Secrets and
// ConfigMaps (a directory stands for each, without the ..data symlinks, file
// modes or readOnly enforcement; the tests run as the same user throughout);
// env valueFrom and envFrom, volumes, sidecars, StepActions and remote
// resolvers (reported as unsupported); Kubernetes $(VAR) expansion of env
// references in args; $(tasks.X.status) and $(tasks.status) in finally
// tasks (a step left with them is an error); timeouts, retries, matrix, child pipelines and custom
// tasks; parallel execution of independent pipeline tasks; Tekton Chains
// (no Chains signs or stores provenance; only tollgate's own attestation is
// tested) and the affinity assistant.
package tekton
