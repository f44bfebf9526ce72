package connectors

import (
	"context"
	"net/http"
	"net/url"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// The pilot's figures (stuurinformatie): a municipality's counts per
// month, small cells suppressed by the broker (analyst, privacy officer,
// operator).

// StatisticsQuery names the municipality and months of the figures; ""
// leaves a field to the broker's default (the caller's own municipality,
// the twelve months up to this one).
type StatisticsQuery struct {
	Municipality string
	// From and To are months, YYYY-MM, both included.
	From, To string
}

func (q StatisticsQuery) values(format string) url.Values {
	v := url.Values{"by": {"month"}}
	for k, s := range map[string]string{"municipality": q.Municipality, "from": q.From, "to": q.To, "format": format} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// Statistics returns the municipality's figures per month.
func (c *Client) Statistics(ctx context.Context, q StatisticsQuery) (wire.Statistics, error) {
	var st wire.Statistics
	err := c.JSON(ctx, http.MethodGet, withQuery("/v1/statistics", q.values("")), "", nil, &st)
	return st, err
}

// StatisticsCSV returns the same figures as CSV, one line per month and
// measure, for the municipality's own reporting.
func (c *Client) StatisticsCSV(ctx context.Context, q StatisticsQuery) ([]byte, error) {
	resp, err := c.Do(ctx, Request{Method: http.MethodGet, Path: withQuery("/v1/statistics", q.values("csv"))})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
