package connectors_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"testing"

	"github.com/ketenbrug/ketenbrug/connectors"
)

// A connector's whole life with the SDK: make an identity once, have the
// operator register its public key set, then call the broker. Every request
// is signed and every answer's signature checked; a refusal comes back as a
// *connectors.ProblemError.
func Example() {
	// Once, with `ketenbrug identity new`: a key pair for the partner. The
	// private half stays in the identity file (mode 0600); the public JWKS
	// goes to the broker's operator, who registers the partner with it.
	id, publicJWKS, err := connectors.NewIdentity("kredietbank", "connector", "connector", "EdDSA")
	if err != nil {
		log.Fatal(err)
	}
	broker := startBroker(publicJWKS) // a broker where the operator registered kredietbank
	defer broker.Close()

	c, err := connectors.New(connectors.Config{Server: broker.URL, Identity: id})
	if err != nil {
		log.Fatal(err)
	}
	var me struct {
		Partner string `json:"partner"`
		Role    string `json:"role"`
	}
	if err := c.JSON(context.Background(), http.MethodGet, "/v1/whoami", "", nil, &me); err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.Partner, me.Role)
	// Output: kredietbank connector
}

// ExampleNewIdentity makes an identity file and prints the public key set
// to register (not run: the key differs every time).
func ExampleNewIdentity() {
	id, publicJWKS, err := connectors.NewIdentity("kredietbank", "connector", "connector", "EdDSA")
	if err != nil {
		log.Fatal(err)
	}
	if err := id.WriteFile("kredietbank.json"); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("register this public key set for kredietbank:\n%s\n", publicJWKS)
}

// startBroker starts a stand-in broker that knows one partner.
func startBroker(partnerJWKS []byte) *fakeBroker {
	return newFakeBroker(&exampleTB{}, "kredietbank", partnerJWKS)
}

// exampleTB lets the test helpers run in an example.
type exampleTB struct{ testing.TB }

func (exampleTB) Helper()                   {}
func (exampleTB) Cleanup(func())            {}
func (exampleTB) Fatal(args ...any)         { log.Fatal(args...) }
func (exampleTB) Fatalf(f string, a ...any) { log.Fatalf(f, a...) }
