package cli

import (
	"fmt"

	"github.com/tollgate-dev/tollgate/ci"
)

// publish tells the CI runner tollgate runs in (GitHub Actions, Tekton) what
// the command did: outputs, results, a summary and annotations.
func publish(streams IO, r ci.Report) error {
	runner, err := ci.Detect(ci.OSEnv(streams.Out))
	if err != nil {
		return usageError{err}
	}
	if err := runner.Publish(r); err != nil {
		return fmt.Errorf("publishing results to %s: %w", runner.Name(), err)
	}
	return nil
}

// item renders one image's outcome for the CI.
func item(image, digest string, err error, ok, failed string) ci.Item {
	it := ci.Item{Image: image, Digest: digest, OK: err == nil, Result: ok}
	if err != nil {
		it.Result, it.Detail = failed, err.Error()
		if failed == "" {
			it.Result = status(err)
		}
	}
	return it
}
