package boltstore

import (
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/storetest"
)

// TestConformance holds the bbolt store to the store contract that every
// implementation shares; the other tests here cover what is bbolt's own
// (file locking, migrations, the page check, the decision ring's capacity).
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) broker.Store { return openTest(t, Config{}) })
}
