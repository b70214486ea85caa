package kamailiotest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Certs are PEM files made at run time: a CA, and a certificate for
// 127.0.0.1 it signed, with its key.
type Certs struct {
	CAFile, CertFile, KeyFile string
}

// MakeCerts makes a CA and a server certificate for 127.0.0.1 signed by
// it, valid for an hour, in a temporary folder. With selfSigned the server
// certificate signs itself instead (CAFile is then empty): a certificate
// nobody was told to trust.
func MakeCerts(t testing.TB, selfSigned bool) Certs {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var c Certs
	srvKey := newKey()
	srv := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1", Organization: []string{"agentdesk test pbx"}},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parent, signer := srv, srvKey
	if !selfSigned {
		caKey := newKey()
		ca := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "agentdesk test ca"},
			NotBefore:             now.Add(-time.Hour),
			NotAfter:              now.Add(time.Hour),
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
			BasicConstraintsValid: true,
			IsCA:                  true,
		}
		der, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		c.CAFile = write("ca.pem", "CERTIFICATE", der)
		parent, signer = ca, caKey
	}
	der, err := x509.CreateCertificate(rand.Reader, srv, parent, &srvKey.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c.CertFile = write("cert.pem", "CERTIFICATE", der)
	kder, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	c.KeyFile = write("key.pem", "EC PRIVATE KEY", kder)
	return c
}
