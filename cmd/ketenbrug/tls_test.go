package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// testPKI is a CA made in the test, and what it signs.
type testPKI struct {
	t    *testing.T
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestPKI(t *testing.T, name string) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name, Organization: []string{"Test PKI"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	p := &testPKI{t: t, dir: t.TempDir(), cert: cert, key: key}
	p.write(name+"-ca.pem", "CERTIFICATE", der)
	return p
}

func (p *testPKI) write(name, typ string, der []byte) string {
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// issue makes a certificate for cn (a server for 127.0.0.1 or a client)
// and returns the paths of its certificate and key.
func (p *testPKI) issue(cn string, server bool) (certFile, keyFile string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn, Organization: []string{cn}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &key.PublicKey, p.key)
	if err != nil {
		p.t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.write(cn+".pem", "CERTIFICATE", der), p.write(cn+"-key.pem", "EC PRIVATE KEY", kder)
}

func (p *testPKI) caFile() string { return filepath.Join(p.dir, p.cert.Subject.CommonName+"-ca.pem") }

// startTLSBroker serves a fresh broker over HTTPS as `serve --tls-cert
// --tls-key [--client-ca]` does, and returns its URL and the operator's
// identity.
func startTLSBroker(t *testing.T, files serverTLS) (string, *connectors.Identity) {
	t.Helper()
	conf, err := files.config()
	if err != nil {
		t.Fatal(err)
	}
	sys, err := CreateSystem(context.Background(), SystemConfig{DataDir: t.TempDir(), ID: testBrokerID, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	op, pub, err := connectors.NewIdentity(operatorID, "operator", string(broker.RoleOperator), "EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sys.Service.EnsureOperator(context.Background(), broker.Partner{ID: operatorID, Name: "Operator",
		Sector: broker.SectorOther, Roles: []broker.Role{broker.RoleOperator}, Level: broker.MaxLevel, JWKS: pub}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, sys, tls.NewListener(ln, conf), discardLogger()) }()
	t.Cleanup(func() {
		stop()
		<-done
		sys.Close()
	})
	return "https://" + ln.Addr().String(), op
}

func whoamiOver(t *testing.T, url string, id *connectors.Identity, files connectors.TLSFiles) error {
	t.Helper()
	hc, err := files.HTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	c, err := connectors.New(connectors.Config{Server: url, Identity: id, HTTPClient: hc, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c.JSON(context.Background(), http.MethodGet, "/v1/whoami", "", nil, nil)
}

func TestServeHTTPS(t *testing.T) {
	pki := newTestPKI(t, "region")
	cert, key := pki.issue("broker", true)
	url, op := startTLSBroker(t, serverTLS{cert: cert, key: key})
	if err := whoamiOver(t, url, op, connectors.TLSFiles{CA: pki.caFile()}); err != nil {
		t.Fatalf("over HTTPS with the region's CA: %v", err)
	}
	err := whoamiOver(t, url, op, connectors.TLSFiles{})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a client that does not trust the region's CA: %v, want a certificate error", err)
	}
	// A plain HTTP request to the HTTPS port gets no API answer.
	resp, err := http.Get(strings.Replace(url, "https://", "http://", 1) + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP was served on the HTTPS listener")
		}
	}
}

func TestServeMutualTLS(t *testing.T) {
	region := newTestPKI(t, "region")
	other := newTestPKI(t, "elsewhere")
	cert, key := region.issue("broker", true)
	url, op := startTLSBroker(t, serverTLS{cert: cert, key: key, clientCA: region.caFile()})
	clientCert, clientKey := region.issue("kredietbank", false)
	strangerCert, strangerKey := other.issue("stranger", false)

	if err := whoamiOver(t, url, op, connectors.TLSFiles{CA: region.caFile(), ClientCert: clientCert, ClientKey: clientKey}); err != nil {
		t.Fatalf("with a client certificate of the region's PKI: %v", err)
	}
	for name, files := range map[string]connectors.TLSFiles{
		"no client certificate":             {CA: region.caFile()},
		"a certificate of another CA":       {CA: region.caFile(), ClientCert: strangerCert, ClientKey: strangerKey},
		"not trusting the broker's CA":      {ClientCert: clientCert, ClientKey: clientKey},
		"the region's cert, a stranger key": {CA: region.caFile(), ClientCert: clientCert, ClientKey: strangerKey},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "the region's cert, a stranger key" {
				if _, err := files.Config(); err == nil {
					t.Fatal("a certificate with another key's file was loaded")
				}
				return
			}
			if err := whoamiOver(t, url, op, files); err == nil {
				t.Fatal("the connection was accepted")
			}
		})
	}
}

func TestServerTLSConfigRefusesHalfConfigs(t *testing.T) {
	pki := newTestPKI(t, "region")
	cert, key := pki.issue("broker", true)
	for _, bad := range []serverTLS{
		{cert: cert},
		{key: key},
		{clientCA: pki.caFile()},
		{cert: cert, key: key, clientCA: cert + ".missing"},
		{cert: key, key: cert},
	} {
		if _, err := bad.config(); err == nil {
			t.Errorf("%+v was accepted", bad)
		}
	}
	if c, err := (serverTLS{}).config(); c != nil || err != nil {
		t.Errorf("no TLS flags: %v %v, want plain HTTP", c, err)
	}
}

// With mutual TLS a partner can be bound to its organisation's client
// certificates: its requests over another organisation's connection are
// refused, even with its own valid request token.
func TestClientCertificateBoundToPartner(t *testing.T) {
	region := newTestPKI(t, "region")
	cert, key := region.issue("broker", true)
	url, op := startTLSBroker(t, serverTLS{cert: cert, key: key, clientCA: region.caFile()})
	opCert, opKey := region.issue("operator-org", false)
	kbCert, kbKey := region.issue("kredietbank", false)
	otherCert, otherKey := region.issue("other-org", false)
	files := func(c, k string) connectors.TLSFiles {
		return connectors.TLSFiles{CA: region.caFile(), ClientCert: c, ClientKey: k}
	}
	hc, err := files(opCert, opKey).HTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	operator, err := connectors.New(connectors.Config{Server: url, Identity: op, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	kbID, pub, err := connectors.NewIdentity("kredietbank", "connector", string(broker.RoleConnector), "EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	if err := operator.JSON(context.Background(), http.MethodPost, "/v1/partners", "", map[string]any{"id": "kredietbank",
		"name": "Kredietbank", "sector": broker.SectorDebt, "roles": []broker.Role{broker.RoleConnector}, "level": 2,
		"municipalities": []string{"gem-c"}, "covenant": "2026-1", "jwks": json.RawMessage(pub),
		"client_certs": []string{"kredietbank"}}, nil); err != nil {
		t.Fatalf("registering a partner bound to its certificate: %v", err)
	}
	if err := whoamiOver(t, url, kbID, files(kbCert, kbKey)); err != nil {
		t.Fatalf("over its own organisation's connection: %v", err)
	}
	err = whoamiOver(t, url, kbID, files(otherCert, otherKey))
	var pe *connectors.ProblemError
	if !errors.As(err, &pe) || pe.Status != http.StatusForbidden || pe.Code != "forbidden" {
		t.Fatalf("over another organisation's connection: %v, want 403 forbidden", err)
	}
	// The operator is bound to nothing: any certificate of the region.
	if err := whoamiOver(t, url, op, files(otherCert, otherKey)); err != nil {
		t.Fatalf("an unbound partner: %v", err)
	}
}
