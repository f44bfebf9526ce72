package connectors

import (
	"context"
	"net/http"
	"net/url"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Match follow-ups: a match signal to a household's coordinator opens a
// follow-up that its lead (the coordinator, or a person the coordinator
// names) closes once in touch with the other partner. Only the lead and
// the coordinator, as persons, see one; to anyone else it does not exist.
// A step is taken under the follow-up's purpose: pass its Purpose (read
// with Followup), or "" where the policy makes the purpose optional
// (contact, close).

// FollowupQuery filters Followups; "" leaves a field out.
type FollowupQuery struct {
	// State is open, contacted, closed, cancelled, live (open or
	// contacted) or overdue (live and past its due date).
	State string
	// Household is a household id, or municipality:id.
	Household string
}

// Followups lists the follow-ups the caller leads or coordinates: overdue
// first, then the live ones by due date, then the rest, newest first.
func (c *Client) Followups(ctx context.Context, q FollowupQuery) ([]wire.FollowupView, error) {
	v := url.Values{}
	for k, s := range map[string]string{"state": q.State, "household": q.Household} {
		if s != "" {
			v.Set(k, s)
		}
	}
	var out wire.FollowupList
	err := c.JSON(ctx, http.MethodGet, withQuery("/v1/followups", v), "", nil, &out)
	return out.Followups, err
}

// Followup returns follow-up id with its steps.
func (c *Client) Followup(ctx context.Context, id string) (wire.FollowupView, error) {
	var v wire.FollowupView
	err := c.JSON(ctx, http.MethodGet, route("/v1/followups/{}", id), "", nil, &v)
	return v, err
}

// followupStep takes step on follow-up id with body in.
func (c *Client) followupStep(ctx context.Context, id, step, purpose string, in any) (wire.FollowupView, error) {
	var v wire.FollowupView
	err := c.JSON(ctx, http.MethodPost, route("/v1/followups/{}/"+step, id), purpose, in, &v)
	return v, err
}

// ContactFollowup records that the lead got in touch: with partner with
// ("" for the follow-up's other partner) on day on (YYYY-MM-DD; "" for
// today).
func (c *Client) ContactFollowup(ctx context.Context, id, purpose, with, on string) (wire.FollowupView, error) {
	in := map[string]string{}
	if with != "" {
		in["with"] = with
	}
	if on != "" {
		in["on"] = on
	}
	return c.followupStep(ctx, id, "contact", purpose, in)
}

// CloseFollowup closes follow-up id with an outcome code from the policy
// data (afgestemd, geen-actie-nodig, overgedragen, niet-bereikt in the
// default policy).
func (c *Client) CloseFollowup(ctx context.Context, id, purpose, outcome string) (wire.FollowupView, error) {
	return c.followupStep(ctx, id, "close", purpose, map[string]string{"outcome": outcome})
}

// ReassignFollowup names lead, a person of a partner, the follow-up's
// lead (the household's coordinator only; the purpose is required).
func (c *Client) ReassignFollowup(ctx context.Context, id, purpose string, lead wire.Actor) (wire.FollowupView, error) {
	return c.followupStep(ctx, id, "reassign", purpose, map[string]wire.Actor{"lead": lead})
}
