// Package ci knows where tollgate runs and tells that runner what a command
// did, so that the GitHub Actions and Tekton Tasks wrapping tollgate stay
// thin:
//
//   - GitHub Actions (GITHUB_ACTIONS=true, read with go-githubactions):
//     step outputs in $GITHUB_OUTPUT (digest, image, images), a table of
//     what was signed or verified in $GITHUB_STEP_SUMMARY, and every failure
//     as an ::error:: annotation naming the image and the reason;
//   - Tekton (the /tekton/results directory, or $TOLLGATE_TEKTON_RESULTS_DIR):
//     the results Tekton Chains reads, IMAGE_DIGEST and IMAGE_URL, and
//     IMAGES (every digest reference, one per line);
//   - anywhere else: nothing beyond the command's own output.
//
// Detection reads only the environment and the file system it is given.
// The package never signs or verifies anything.
package ci
