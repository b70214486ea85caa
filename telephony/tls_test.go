package telephony

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"agentdesk/telephony/audio/audiotest"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fake pbx"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestUA_TLS registers over TLS and takes a call that the PBX sends back
// over the same connection (the UA has no TLS listener).
func TestUA_TLS(t *testing.T) {
	pbx := startFakePBX(t, "pw", "SHA-256")
	cert, pool := selfSigned(t)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() { _ = pbx.srv.ServeTLS(l) }()

	ev := newEvents()
	ua := StartTestUA(t, Config{PBX: "sip:" + l.Addr().String(), User: "1001", Password: "pw", Transport: "tls"}, ev,
		WithLogger(quietLogger()), WithListenAddr("127.0.0.1:0"), WithTLSConfig(&tls.Config{RootCAs: pool}), WithAudioBackend(audiotest.New()))
	reg := pbx.waitRegister(t)
	ev.wait(t, EventRegistered, 5*time.Second)
	contact := reg.Contact().Address
	if tr, _ := contact.UriParams.Get("transport"); tr != "tls" || contact.Port == 0 {
		t.Fatalf("contact %s: want transport=tls and the connection's port", contact.String())
	}

	// Call the UA back over the registered connection.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cli, err := sipgo.NewClient(pbx.ua, sipgo.WithClientLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	dc := sipgo.NewDialogClientCache(cli, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "caller", Host: "127.0.0.1", Port: 5061}})
	req := sip.NewRequest(sip.INVITE, contact)
	req.SetTransport("TLS")
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	// With TLS signalling the UA takes SRTP only.
	key, err := newCrypto(1, "AES_CM_128_HMAC_SHA1_80")
	if err != nil {
		t.Fatal(err)
	}
	req.SetBody(offerSDPWith("127.0.0.1", 40002, 1, 1, dirSendRecv, &key))
	d, err := dc.WriteInvite(ctx, req)
	if err != nil {
		t.Fatalf("invite over tls: %v", err)
	}
	answerDialog(t, ctx, d, ua, ev)
}
