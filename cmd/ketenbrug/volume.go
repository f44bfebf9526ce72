package main

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ketenbrug/ketenbrug/broker"
)

// DefaultUnusualVolume is how many overviews one caller (partner and
// acting person) may ask within an hour before the broker raises the alert
// metric (serve --unusual-volume).
const DefaultUnusualVolume = 200

// newVolumeAlert returns the broker's watcher of overview volumes (AVG
// art. 33: a misused account or key shows as an unusual volume) and the
// counter it increments, ketenbrug_unusual_volume_total{partner}: once each
// time one caller goes over threshold overviews in a sliding hour, with a
// warning in the log that names the partner and the count, never the
// person (who acted is in the audit trail, for the privacy office). A
// threshold of 0 turns it off (nil).
func newVolumeAlert(threshold int, log *slog.Logger) (*broker.OverviewVolume, *prometheus.CounterVec) {
	counter := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ketenbrug_unusual_volume_total",
		Help: "Times one caller (partner and acting person) asked more overviews within an hour than --unusual-volume allows, by partner.",
	}, []string{"partner"})
	if threshold <= 0 {
		return nil, counter
	}
	return broker.NewOverviewVolume(threshold, func(partner string, count int) {
		counter.WithLabelValues(partner).Inc()
		log.Warn("unusual volume of overviews by one caller of a partner; see audit.disclosures and the audit trail",
			slog.String("partner", partner), slog.Int("overviews_in_an_hour", count), slog.Int("threshold", threshold))
	}), counter
}
