package connectors

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
)

// TLSFiles names the files of a connection to a broker served over HTTPS:
// the CA bundle that signed the broker's certificate (empty: the system's
// roots) and, where the region requires mutual TLS (PKIoverheid-style
// client certificates), the organisation's client certificate and key
// (PEM).
type TLSFiles struct {
	CA         string `json:"ca_file,omitempty"`
	ClientCert string `json:"client_cert,omitempty"`
	ClientKey  string `json:"client_key,omitempty"`
}

// Empty reports whether no file is named.
func (f TLSFiles) Empty() bool { return f == TLSFiles{} }

// Config returns the client TLS configuration of f: TLS 1.2 or later, the
// CA bundle as the only roots when one is named, and the client
// certificate when one is named.
func (f TLSFiles) Config() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CA != "" {
		pem, err := os.ReadFile(f.CA)
		if err != nil {
			return nil, fmt.Errorf("connectors: CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("connectors: CA bundle %s holds no PEM certificate", f.CA)
		}
		c.RootCAs = pool
	}
	if (f.ClientCert == "") != (f.ClientKey == "") {
		return nil, errors.New("connectors: a client certificate needs its key, and a key its certificate")
	}
	if f.ClientCert != "" {
		cert, err := tls.LoadX509KeyPair(f.ClientCert, f.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("connectors: client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// HTTPClient returns an http.Client for Config.HTTPClient that speaks TLS as
// f says, with the default client's connection timeouts (30 s to connect,
// 10 s for the handshake) and, like it, no overall timeout: the Client
// bounds each request by Config.Timeout, a sync by Config.SyncTimeout.
func (f TLSFiles) HTTPClient() (*http.Client, error) {
	c, err := f.Config()
	if err != nil {
		return nil, err
	}
	t := newTransport()
	t.TLSClientConfig = c
	return &http.Client{Transport: t}, nil
}
