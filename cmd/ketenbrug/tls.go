package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// serverTLS is how `serve` speaks HTTPS: its certificate and key and, for
// mutual TLS (a region that requires PKIoverheid-style client
// certificates of its partners' organisations), the CA bundle client
// certificates must chain to. Request tokens still authenticate every
// request: the client certificate adds that the connection comes from an
// organisation the region's PKI vouches for.
type serverTLS struct {
	cert, key, clientCA string
}

// config returns the server's TLS configuration, or nil for plain HTTP.
// TLS 1.2 is the minimum (the NCSC's ICT-beveiligingsrichtlijnen for TLS
// rate 1.3 good and 1.2 sufficient); Go picks modern AEAD suites and
// prefers 1.3.
func (s serverTLS) config() (*tls.Config, error) {
	if s.cert == "" && s.key == "" {
		if s.clientCA != "" {
			return nil, errors.New("--client-ca needs --tls-cert and --tls-key: mutual TLS is TLS")
		}
		return nil, nil
	}
	if s.cert == "" || s.key == "" {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	cert, err := tls.LoadX509KeyPair(s.cert, s.key)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if s.clientCA != "" {
		pem, err := os.ReadFile(s.clientCA)
		if err != nil {
			return nil, fmt.Errorf("--client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--client-ca %s holds no PEM certificate", s.clientCA)
		}
		c.ClientCAs, c.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return c, nil
}
