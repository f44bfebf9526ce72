package main

import ()

// orDash prints an empty field of a table as "-", so that its columns
// stay readable.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shortID shortens a policy version's hash to the 12 characters a person
// reads and types, as git does.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
