package httpapi

import (
	"net/http"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Purposes is what the purpose list needs.
type Purposes interface {
	Purposes(c *broker.Caller) ([]broker.PurposeChoice, error)
}

// PurposeList is the purposes a caller may state.
type PurposeList struct {
	Purposes []broker.PurposeChoice `json:"purposes"`
}

func (a *api) listPurposes(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	ps, err := a.b.Purposes(c)
	return a.reply(w, r, http.StatusOK, PurposeList{Purposes: ps}, err)
}
