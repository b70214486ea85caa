package upstream_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"agentdesk/agent/upstream"
)

// testCA is a certificate authority made by the test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "坐席中心 test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue makes a server certificate signed by the CA (or by itself when
// ca is nil) for ips and names, valid between from and to.
func issue(t *testing.T, ca *testCA, ips []net.IP, names []string, from, to time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "hub"},
		NotBefore: from, NotAfter: to, IPAddresses: ips, DNSNames: names,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	parent, signer := tmpl, any(key)
	if ca != nil {
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func tlsHub(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	mem, _ := newMemHub(t, nil)
	srv := httptest.NewUnstartedServer(upstream.NewServer(mem, upstream.WithServerLogger(quiet)))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestClient_TLSCertificateChecks(t *testing.T) {
	ca := newTestCA(t)
	loopback := []net.IP{net.IPv4(127, 0, 0, 1)}
	now := time.Now()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	good := tlsHub(t, issue(t, ca, loopback, nil, now.Add(-time.Hour), now.Add(time.Hour)))
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		url  string
		opts []upstream.ClientOption
		want error // nil: the health check passes
	}{
		{"trusting the CA file", good, []upstream.ClientOption{upstream.WithCAFile(caFile)}, nil},
		{"trusting the CA pool", good, []upstream.ClientOption{upstream.WithRootCAs(pool)}, nil},
		{"the CA through a given HTTP client", good, []upstream.ClientOption{upstream.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}), upstream.WithCAFile(caFile)}, nil},
		{"default roots, the center's CA", good, nil, upstream.ErrCertUntrusted},
		{"default roots, self-signed", tlsHub(t, issue(t, nil, loopback, nil, now.Add(-time.Hour), now.Add(time.Hour))), nil, upstream.ErrCertUntrusted},
		{"the CA does not vouch for a self-signed one", tlsHub(t, issue(t, nil, loopback, nil, now.Add(-time.Hour), now.Add(time.Hour))),
			[]upstream.ClientOption{upstream.WithCAFile(caFile)}, upstream.ErrCertUntrusted},
		{"expired", tlsHub(t, issue(t, ca, loopback, nil, now.Add(-48*time.Hour), now.Add(-24*time.Hour))), []upstream.ClientOption{upstream.WithCAFile(caFile)}, upstream.ErrCertExpired},
		{"not yet valid", tlsHub(t, issue(t, ca, loopback, nil, now.Add(24*time.Hour), now.Add(48*time.Hour))), []upstream.ClientOption{upstream.WithCAFile(caFile)}, upstream.ErrCertExpired},
		{"for another host", tlsHub(t, issue(t, ca, nil, []string{"hub.example.org"}, now.Add(-time.Hour), now.Add(time.Hour))), []upstream.ClientOption{upstream.WithCAFile(caFile)}, upstream.ErrCertWrongHost},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := hubClient(t, tt.url, supToken, tt.opts...)
			err := c.Ping(ctx)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Ping = %v", err)
				}
				return
			}
			var te *upstream.TLSError
			if !errors.Is(err, tt.want) || !errors.As(err, &te) {
				t.Fatalf("Ping = %v, want %v", err, tt.want)
			}
			for _, other := range []error{upstream.ErrCertUntrusted, upstream.ErrCertExpired, upstream.ErrCertWrongHost, upstream.ErrCertInvalid} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("Ping = %v matches %v too", err, other)
				}
			}
			// The stream and the clock check say the same.
			if err := c.Stream(ctx, func(string, []byte) {}); !errors.Is(err, tt.want) {
				t.Errorf("Stream = %v, want %v", err, tt.want)
			}
			if _, err := c.ClockOffset(ctx); !errors.Is(err, tt.want) {
				t.Errorf("ClockOffset = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWithCAFile_Refusals(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "missing.pem"), junk} {
		if _, err := upstream.NewClient("https://127.0.0.1:1", "t", nil, nil, upstream.WithCAFile(path)); err == nil {
			t.Errorf("WithCAFile(%s) accepted", path)
		}
	}
	rt := roundTripper(func(*http.Request) (*http.Response, error) { return nil, errors.New("no") })
	if _, err := upstream.NewClient("https://127.0.0.1:1", "t", nil, nil, upstream.WithHTTPClient(&http.Client{Transport: rt}),
		upstream.WithRootCAs(x509.NewCertPool())); err == nil {
		t.Errorf("WithRootCAs over a transport it cannot set accepted")
	}
	if _, err := upstream.NewClient("https://127.0.0.1:1", "t", nil, nil, upstream.WithCAFile("")); err != nil {
		t.Errorf("WithCAFile(\"\") (no CA configured) = %v", err)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
