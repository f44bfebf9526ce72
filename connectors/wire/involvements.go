package wire

// InvolvementInput is what a partner registers about one involvement. The
// BSN is only in the request body and is turned into a pseudonym at once.
type InvolvementInput struct {
	BSN          string  `json:"bsn"`
	Service      string  `json:"service"`
	ServiceLabel string  `json:"service_label,omitempty"`
	Status       string  `json:"status,omitempty"`
	Start        string  `json:"start,omitempty"`
	End          string  `json:"end,omitempty"`
	Contact      Contact `json:"contact"`
}

// InvolvementPage is one page of a partner's own involvements.
type InvolvementPage struct {
	Involvements []InvolvementView `json:"involvements"`
	// Next is the cursor of the next page ("" when this is the last).
	Next string `json:"next,omitempty"`
}

// InvolvementView is an involvement as its own partner sees it: with the
// partner's reference, without the pseudonym.
type InvolvementView struct {
	ID           string  `json:"id"`
	Ref          string  `json:"ref"`
	Service      string  `json:"service"`
	ServiceLabel string  `json:"service_label,omitempty"`
	Status       string  `json:"status"`
	Start        string  `json:"start,omitempty"`
	End          string  `json:"end,omitempty"`
	Contact      Contact `json:"contact"`
	Revision     uint64  `json:"revision"`
	UpdatedAt    string  `json:"updated_at"`
}
