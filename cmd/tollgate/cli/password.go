package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/tollgate-dev/tollgate/signer"
)

// passFunc returns where key passwords come from, as in cosign:
// $COSIGN_PASSWORD when set (even to the empty string); otherwise the file
// $TOLLGATE_PASSWORD_FILE names (the cosign.password of the Kubernetes Secret
// cosign generate-key-pair k8s://... writes, mounted as a Tekton workspace);
// otherwise a prompt on the terminal; otherwise one line of standard input.
func passFunc(stdin io.Reader, stderr io.Writer) signer.PassFunc {
	return func(confirm bool) ([]byte, error) {
		if pw, ok := os.LookupEnv("COSIGN_PASSWORD"); ok {
			return []byte(pw), nil
		}
		if f := os.Getenv("TOLLGATE_PASSWORD_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("reading the password file named by TOLLGATE_PASSWORD_FILE: %w", err)
			}
			return bytes.TrimRight(b, "\r\n"), nil
		}
		if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			fmt.Fprint(stderr, "Enter password for private key: ")
			pw, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(stderr)
			if err != nil {
				return nil, err
			}
			if confirm {
				fmt.Fprint(stderr, "Enter password for private key again: ")
				again, err := term.ReadPassword(int(f.Fd()))
				fmt.Fprintln(stderr)
				if err != nil {
					return nil, err
				}
				if !bytes.Equal(pw, again) {
					return nil, errors.New("passwords do not match")
				}
			}
			return pw, nil
		}
		line, err := bufio.NewReader(stdin).ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if errors.Is(err, io.EOF) && len(line) == 0 {
			return nil, errors.New("no password: set COSIGN_PASSWORD or run on a terminal")
		}
		return bytes.TrimRight(line, "\r\n"), nil
	}
}
