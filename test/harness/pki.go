package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// PKI is a certificate authority made with openssl: a root, an intermediate,
// and code-signing leaf certificates, as a company's own PKI would issue them.
type PKI struct {
	Dir string
	// Root, Intermediate and Chain (intermediate then root) are PEM files.
	Root, Intermediate, Chain string
}

// NewPKI creates a root and an intermediate CA with openssl in dir.
func NewPKI(t testing.TB, dir string) *PKI {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatalf("openssl is needed (scripts/deps.sh installs it): %v", err)
	}
	p := &PKI{Dir: dir, Root: filepath.Join(dir, "root.pem"), Intermediate: filepath.Join(dir, "inter.pem"), Chain: filepath.Join(dir, "chain.pem")}
	writeFile(t, filepath.Join(dir, "ca.cnf"), "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n")
	p.openssl(t, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "root.key")
	p.openssl(t, "req", "-x509", "-new", "-key", "root.key", "-subj", "/CN=tollgate test root CA", "-days", "3650", "-out", "root.pem",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
	p.openssl(t, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "inter.key")
	p.openssl(t, "req", "-new", "-key", "inter.key", "-subj", "/CN=tollgate test intermediate CA", "-out", "inter.csr")
	p.openssl(t, "x509", "-req", "-in", "inter.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-days", "1825",
		"-extfile", "ca.cnf", "-extensions", "ca", "-out", "inter.pem")
	root, _ := os.ReadFile(p.Root)
	inter, _ := os.ReadFile(p.Intermediate)
	writeFile(t, p.Chain, string(inter)+string(root))
	return p
}

// Leaf issues a code-signing certificate for email from the intermediate CA
// and returns the paths of its PEM PKCS#8 private key and its certificate.
func (p *PKI) Leaf(t testing.TB, name, email string) (key, cert string) {
	t.Helper()
	writeFile(t, filepath.Join(p.Dir, name+".cnf"), fmt.Sprintf(
		"basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectAltName=email:%s\n", email))
	p.openssl(t, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name+".key")
	p.openssl(t, "req", "-new", "-key", name+".key", "-subj", "/CN="+name, "-out", name+".csr")
	p.openssl(t, "x509", "-req", "-in", name+".csr", "-CA", "inter.pem", "-CAkey", "inter.key", "-CAcreateserial", "-days", "365",
		"-extfile", name+".cnf", "-out", name+".pem")
	return filepath.Join(p.Dir, name+".key"), filepath.Join(p.Dir, name+".pem")
}

func (p *PKI) openssl(t testing.TB, args ...string) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = p.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
