package broker

import (
	"crypto/rand"
	"strings"
)

// newID returns prefix-<26 random base32 characters>, lower case so it is a
// valid identifier (ValidID).
func newID(prefix string) string {
	return prefix + "-" + strings.ToLower(rand.Text())
}
