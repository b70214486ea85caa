package upstream

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
)

// Errors of the hub's TLS certificate, as the client sees them. Every
// request's error matches one of them (errors.Is) when the certificate
// check failed, so the desk can say which in words of its own; the error
// is a *TLSError.
var (
	// ErrCertUntrusted: the certificate is not signed by a trusted
	// authority (self-signed, or a private CA the client was not given:
	// WithCAFile).
	ErrCertUntrusted = errors.New("hub certificate not trusted")
	// ErrCertExpired: the certificate is expired or not yet valid (also
	// when the desk's clock is far off).
	ErrCertExpired = errors.New("hub certificate expired or not yet valid")
	// ErrCertWrongHost: the certificate is for another host name than the
	// hub URL's.
	ErrCertWrongHost = errors.New("hub certificate is for another host")
	// ErrCertInvalid: the certificate was refused for another reason (not
	// for server use, a malformed chain…).
	ErrCertInvalid = errors.New("hub certificate refused")
)

// TLSError is a failed certificate check of the hub: Reason is one of
// ErrCertUntrusted, ErrCertExpired, ErrCertWrongHost, ErrCertInvalid; Err
// is the error of the TLS stack.
type TLSError struct {
	Reason error
	Err    error
}

func (e *TLSError) Error() string { return fmt.Sprintf("%v: %v", e.Reason, e.Err) }

// Is reports whether target is the reason.
func (e *TLSError) Is(target error) bool { return target == e.Reason }

// Unwrap returns the TLS stack's error.
func (e *TLSError) Unwrap() error { return e.Err }

// tlsProblem turns a failed certificate check in err into a *TLSError
// (keeping err inside it); any other error is returned as it is.
func tlsProblem(err error) error {
	if err == nil {
		return nil
	}
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var sr x509.SystemRootsError
	var cv *tls.CertificateVerificationError
	switch {
	case errors.As(err, &ua), errors.As(err, &sr):
		return &TLSError{Reason: ErrCertUntrusted, Err: err}
	case errors.As(err, &he):
		return &TLSError{Reason: ErrCertWrongHost, Err: err}
	case errors.As(err, &ci):
		if ci.Reason == x509.Expired {
			return &TLSError{Reason: ErrCertExpired, Err: err}
		}
		return &TLSError{Reason: ErrCertInvalid, Err: err}
	case errors.As(err, &cv):
		return &TLSError{Reason: ErrCertInvalid, Err: err}
	}
	return err
}

// WithRootCAs makes the client trust exactly the certificate authorities
// in pool for the hub's certificate, instead of the system's. It applies
// to the HTTP client's transport (WithHTTPClient's, which must then be an
// *http.Transport, or the default one), copied, never changed in place.
func WithRootCAs(pool *x509.CertPool) ClientOption { return func(c *Client) { c.roots = pool } }

// WithCAFile is WithRootCAs with the PEM certificates of the file at path:
// the desk's [hub] ca setting. NewClient fails when the file cannot be
// read or holds no certificate.
func WithCAFile(path string) ClientOption {
	return func(c *Client) {
		if path == "" {
			return
		}
		pem, err := os.ReadFile(path)
		if err != nil {
			c.optErr = fmt.Errorf("hub ca file: %w", err)
			return
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			c.optErr = fmt.Errorf("hub ca file %s: no PEM certificate in it", path)
			return
		}
		c.roots = pool
	}
}

// withRoots returns h with a transport trusting roots.
func withRoots(h *http.Client, roots *x509.CertPool) (*http.Client, error) {
	var t *http.Transport
	switch rt := h.Transport.(type) {
	case nil:
		t = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		t = rt.Clone()
	default:
		return nil, fmt.Errorf("hub ca: the HTTP client's transport is a %T, not an *http.Transport", rt)
	}
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	t.TLSClientConfig.RootCAs = roots
	out := *h
	out.Transport = t
	return &out, nil
}
