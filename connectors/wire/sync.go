package wire

// SyncResult says what a sync did (or, in a dry run, would do).
type SyncResult struct {
	DryRun    bool `json:"dry_run"`
	Lines     int  `json:"lines"`
	Added     int  `json:"added"`
	Changed   int  `json:"changed"`
	Unchanged int  `json:"unchanged"`
	Ended     int  `json:"ended"`
	Rejected  int  `json:"rejected"`
	Signals   int  `json:"signals"`
	// Live is how many of the partner's involvements were live (not
	// ended) before the sync; EndLimit is how many of them one sync may
	// end (the broker's SyncEndLimit); MassEnd says that Ended exceeds it, so that the
	// sync is refused unless SyncOptions.AllowMassEnd.
	Live     int             `json:"live"`
	EndLimit int             `json:"end_limit"`
	MassEnd  bool            `json:"mass_end"`
	Problems []SyncRejection `json:"problems"`
}

// SyncOptions are the caller's choices of one sync.
type SyncOptions struct {
	// DryRun only says what the sync would do.
	DryRun bool
	// AllowMassEnd applies a sync that ends more than the broker's SyncEndLimit of the
	// partner's live involvements: the caller confirms that its export is
	// complete and that the involvements really ended.
	AllowMassEnd bool
	// Purpose is, for the SDK, the purpose the sync states in its request
	// token: the purpose the caseload is registered under. The default
	// policy requires one (involvement.write). The broker itself takes the
	// purpose from the verified token, never from here.
	Purpose string
	// Progress, when set, is called by the broker (the SDK does not use
	// it) each time the sync has committed a chunk — its lines written, or
	// in a dry run checked — and each time it has ended a page of the
	// involvements the caseload no longer holds, with how many of both
	// are done so far. It runs on the goroutine of the sync. The HTTP API
	// uses it to keep a sync that makes progress from being cut off by
	// the server's write timeout.
	Progress func(done int)
}

// SyncRejection is one rejected line.
type SyncRejection struct {
	Line   int    `json:"line"`
	Ref    string `json:"ref,omitempty"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}
