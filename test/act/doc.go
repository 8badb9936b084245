// Package act runs the example GitHub workflow (examples/github/release.yml)
// and the GitHub Actions of actions/ in a real workflow runner, nektos/act
// v0.2.82, in host mode and offline, against a real registry on 127.0.0.1.
//
// Each test copies examples/ and actions/ into a fresh git repository, puts
// the test's registry address and public key into the example policy, and
// runs
//
//	act EVENT -W .github/workflows/release.yml -P ubuntu-latest=-self-hosted \
//	  --pull=false --action-offline-mode --no-cache-server \
//	  --local-repository tollgate-dev/tollgate@v0.1.0=REPO --json
//
// with HOME and the XDG directories in a temp dir. The workflow uses the
// actions by their published names (tollgate-dev/tollgate/actions/...@v0.1.0);
// --local-repository makes act take them from the copy. The setup action finds
// a tollgate built from this tree with version v0.1.0 on PATH, and crane (the
// example's Docker-free image builder) is on PATH too. The assertions read
// act's JSON records: step results, set-output, ::error:: annotations and
// GITHUB_STEP_SUMMARY contents.
//
// What this does not cover: GitHub's hosted runners and their images, the
// runner's container and service handling, GitHub's own expression and
// context quirks where act differs (act v0.2.82 does not set
// GITHUB_WORKFLOW_REF, so the test passes it with --env as GitHub would),
// OIDC tokens, and the release download of the setup action through GitHub
// itself (install.sh's download, checksum and signature checks are tested
// here against a local HTTP server instead).
package act
