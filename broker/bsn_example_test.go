package broker_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// A BSN is accepted only when it is nine digits that pass the elfproef;
// once parsed, it does not show itself in logs or errors.
func ExampleParseBSN() {
	for _, s := range []string{"111222333", "123456789", "12345678", "000000000", "11122233x"} {
		b, err := broker.ParseBSN(s)
		if err != nil {
			fmt.Printf("%s: %v\n", s, err)
			continue
		}
		fmt.Printf("%s: valid, prints as %v\n", s, b)
	}
	// Output:
	// 111222333: valid, prints as [bsn]
	// 123456789: a BSN is 9 digits that pass the elfproef
	// 12345678: a BSN is 9 digits that pass the elfproef
	// 000000000: a BSN is 9 digits that pass the elfproef
	// 11122233x: a BSN is 9 digits that pass the elfproef
}

// The broker stores, logs and audits a person only as a keyed pseudonym:
// the same BSN gives the same pseudonym under one secret, and an unrelated
// one under another.
func ExamplePseudonymizer() {
	secret := bytes.Repeat([]byte("k"), broker.MinSecretLen)
	p, err := broker.NewPseudonymizer(secret)
	if err != nil {
		panic(err)
	}
	b, _ := broker.ParseBSN("111222333")
	one, two := p.Pseudonym(b), p.Pseudonym(b)
	other, _ := broker.NewPseudonymizer(bytes.Repeat([]byte("x"), broker.MinSecretLen))

	fmt.Println(strings.HasPrefix(string(one), "p:"), len(one))
	fmt.Println("stable:", one == two)
	fmt.Println("keyed:", one != other.Pseudonym(b))
	fmt.Println("holds the number:", strings.Contains(string(one), b.Digits()))

	_, err = broker.NewPseudonymizer([]byte("too short"))
	fmt.Println(err)
	// Output:
	// true 24
	// stable: true
	// keyed: true
	// holds the number: false
	// broker: pseudonym secret must be at least 32 bytes
}

// elfproef is an independent statement of the rule in DESIGN.md.
func elfproef(s string) bool {
	if len(s) != 9 || s == "000000000" {
		return false
	}
	sum := 0
	for i, r := range []byte(s) {
		if r < '0' || r > '9' {
			return false
		}
		w := 9 - i
		if i == 8 {
			w = -1
		}
		sum += w * int(r-'0')
	}
	return sum%11 == 0
}

func FuzzParseBSN(f *testing.F) {
	for _, s := range []string{"111222333", "123456782", "999999990", "000000000", "123456789", "12345678", "1234567890",
		" 11222333", "11122233\n", "１１１２２２３３３", "-11222333", "+11222333", "", "0", "11122233x", "111 22 333"} {
		f.Add(s)
	}
	secret := bytes.Repeat([]byte("s"), broker.MinSecretLen)
	p, err := broker.NewPseudonymizer(secret)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := broker.ParseBSN(s)
		if want := elfproef(s); (err == nil) != want {
			t.Fatalf("ParseBSN(%q): %v, elfproef says %v", s, err, want)
		}
		if err != nil {
			// (The BSN returned with an error may hold the digits read so
			// far; callers must not use it.)
			if !errors.Is(err, broker.ErrBSN) {
				t.Fatalf("ParseBSN(%q): %v", s, err)
			}
			return
		}
		if b.IsZero() || b.Digits() != s {
			t.Fatalf("ParseBSN(%q) holds %q", s, b.Digits())
		}
		// The number never shows by accident.
		for _, out := range []string{fmt.Sprint(b), fmt.Sprintf("%v %+v %#v %s", b, b, b, b), b.String(), b.GoString(),
			fmt.Sprint(struct{ B broker.BSN }{b}), fmt.Sprint(errors.New("x " + b.String()))} {
			if strings.Contains(out, s) {
				t.Fatalf("the BSN shows in %q", out)
			}
		}
		if raw, err := json.Marshal(struct{ B broker.BSN }{b}); err == nil {
			t.Fatalf("a BSN was serialised: %s", raw)
		}
		ps := p.Pseudonym(b)
		if len(ps) != 24 || !strings.HasPrefix(string(ps), "p:") || strings.Contains(string(ps), s) || ps != p.Pseudonym(b) {
			t.Fatalf("pseudonym %q", ps)
		}
	})
}

func ExampleContainsBSN() {
	for _, ref := range []string{"dossier-42", "ref-111222333", "client-1112223334", "hh.111222334", "hh.1112.22.333"} {
		fmt.Println(ref, broker.ContainsBSN(ref))
	}
	// Output:
	// dossier-42 false
	// ref-111222333 true
	// client-1112223334 false
	// hh.111222334 false
	// hh.1112.22.333 true
}

// FuzzContainsBSN holds ContainsBSN to its contract: a run of exactly nine
// ASCII digits passing the elfproef is always found, a string without nine
// digits never is, and an identifier or reference that holds a BSN is
// never valid.
func FuzzContainsBSN(f *testing.F) {
	for _, s := range []string{"ref-111222333", "111222333", "x1112223334", "a111222333b", "", "123456789", "1-111222333-2",
		"111222333111222333", "id.999999990", "1112.22.333", "111 222 333", "2026-111222333"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		strict, digits := false, 0
		for i := 0; i < len(s); {
			if s[i] < '0' || s[i] > '9' {
				i++
				continue
			}
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			digits += j - i
			if j-i == 9 && elfproef(s[i:j]) {
				strict = true
			}
			i = j
		}
		got := broker.ContainsBSN(s)
		if strict && !got {
			t.Fatalf("ContainsBSN(%q) missed a nine-digit run that passes the elfproef", s)
		}
		if digits < 9 && got {
			t.Fatalf("ContainsBSN(%q) found a BSN in fewer than nine digits", s)
		}
		if got && (broker.ValidID(s) || broker.ValidRef(s)) {
			t.Fatalf("%q carries a BSN and is a valid identifier", s)
		}
	})
}
