package signer_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/json"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/tollgate-dev/tollgate/signer"
)

func TestGenerateKeyPair(t *testing.T) {
	e := encryptedKeys(t)
	kp := e.generated

	priv, _ := pem.Decode(kp.Private)
	if priv == nil || priv.Type != signer.SigstorePrivateKeyPEMType {
		t.Fatalf("GenerateKeyPair().Private = %q, want a %s PEM block", kp.Private, signer.SigstorePrivateKeyPEMType)
	}
	// cosign's format: a JSON document with scrypt and NaCl secretbox, with
	// scrypt parameters cosign accepts.
	var body struct {
		KDF struct {
			Name   string `json:"name"`
			Params struct {
				N, R, P int
			} `json:"params"`
			Salt []byte `json:"salt"`
		} `json:"kdf"`
		Cipher struct {
			Name  string `json:"name"`
			Nonce []byte `json:"nonce"`
		} `json:"cipher"`
		Ciphertext []byte `json:"ciphertext"`
	}
	if err := json.Unmarshal(priv.Bytes, &body); err != nil {
		t.Fatalf("GenerateKeyPair().Private body is not cosign's JSON: %v", err)
	}
	if body.KDF.Name != "scrypt" || body.Cipher.Name != "nacl/secretbox" {
		t.Errorf("GenerateKeyPair().Private uses kdf %q and cipher %q, want scrypt and nacl/secretbox", body.KDF.Name, body.Cipher.Name)
	}
	switch p := body.KDF.Params; {
	case p.R != 8 || p.P != 1 || (p.N != 1<<15 && p.N != 1<<16 && p.N != 1<<17):
		t.Errorf("GenerateKeyPair() scrypt parameters = %+v, want one of the sets cosign reads", p)
	}
	if len(body.KDF.Salt) != 32 || len(body.Cipher.Nonce) != 24 || len(body.Ciphertext) == 0 {
		t.Errorf("GenerateKeyPair() salt %d bytes, nonce %d bytes, ciphertext %d bytes; want 32, 24, >0", len(body.KDF.Salt), len(body.Cipher.Nonce), len(body.Ciphertext))
	}

	pub, err := signer.ParsePublicKey(kp.Public)
	if err != nil {
		t.Fatalf("ParsePublicKey(GenerateKeyPair().Public) error = %v", err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		t.Fatalf("GenerateKeyPair().Public = %T, want an ECDSA P-256 key", pub)
	}

	// Round trip: the right password gives the key of the public half.
	s, err := signer.ParsePrivateKey(kp.Private, fixedPass(testPassword, nil))
	if err != nil {
		t.Fatalf("ParsePrivateKey(GenerateKeyPair(%q).Private, %q) error = %v", testPassword, testPassword, err)
	}
	if !samePublic(s.Public(), pub) {
		t.Errorf("ParsePrivateKey(GenerateKeyPair().Private).Public() = %v, want the key of GenerateKeyPair().Public", s.Public())
	}
	// A wrong password (also: one differing only in case, a prefix, empty).
	for _, pw := range []string{"wrong", "Tollgate-test-password", testPassword[:len(testPassword)-1], ""} {
		if _, err := signer.ParsePrivateKey(kp.Private, fixedPass(pw, nil)); !errors.Is(err, signer.ErrWrongPassword) {
			t.Errorf("ParsePrivateKey(GenerateKeyPair(%q).Private, %q) error = %v, want %v", testPassword, pw, err, signer.ErrWrongPassword)
		}
	}
	if _, err := signer.ParsePrivateKey(kp.Private, nil); !errors.Is(err, signer.ErrNoPassword) {
		t.Errorf("ParsePrivateKey(GenerateKeyPair().Private, nil) error = %v, want %v", err, signer.ErrNoPassword)
	}

	// The empty password is allowed, as in cosign.
	if _, err := signer.ParsePrivateKey(e.emptyPassword.Private, fixedPass("", nil)); err != nil {
		t.Errorf("ParsePrivateKey(GenerateKeyPair(\"\").Private, \"\") error = %v", err)
	}

	// Two key pairs are two different keys.
	other, err := signer.ParsePublicKey(e.emptyPassword.Public)
	if err != nil {
		t.Fatal(err)
	}
	if samePublic(pub, other) {
		t.Errorf("GenerateKeyPair returned the same key twice")
	}
}
