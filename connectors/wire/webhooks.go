package wire

import "time"

// DeadLetter is a delivery that failed its last attempt.
type DeadLetter struct {
	Delivery
	// URL is the webhook the last attempt went to.
	URL    string    `json:"url"`
	DeadAt time.Time `json:"dead_at"`
}

// DeadLetterList is the operator's list of dead letters, oldest first.
type DeadLetterList struct {
	DeadLetters []DeadLetter `json:"dead_letters"`
}

// Delivery is one pending webhook delivery of an inbox item.
type Delivery struct {
	ID      string `json:"id"`
	Partner string `json:"partner"`
	// Seq is the inbox item's sequence number (its id).
	Seq  uint64 `json:"seq"`
	Kind string `json:"kind"`
	// Attempts counts the failed attempts so far.
	Attempts  int       `json:"attempts"`
	NextAt    time.Time `json:"next_at"`
	LastError string    `json:"last_error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}
