package httpapi

import "github.com/ketenbrug/ketenbrug/broker"

// The rights schemas are held to their Go types by
// TestOpenAPISchemasMatchTypes like every other.
func init() {
	for name, v := range map[string]any{
		"RestrictionRequest": RestrictionRequest{}, "LiftRequest": LiftRequest{},
		"RestrictionView": broker.RestrictionView{}, "RestrictionList": broker.RestrictionList{},
		"RestrictionFacts": broker.RestrictionFacts{},
		"DisclosureQuery":  broker.DisclosureQuery{}, "DisclosureReport": broker.DisclosureReport{},
		"DisclosureRow": broker.DisclosureRow{}, "RectificationSignal": broker.RectificationSignal{},
		"InformSignal": broker.InformSignal{}, "InformMember": broker.InformMember{},
	} {
		schemaTypes[name] = v
	}
	knownDrift["RestrictionView"] = map[string]string{"subject": "broker/restriction.go"}
}
