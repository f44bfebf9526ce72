package connectors

// The paths of the operations a load generator signs requests for itself
// (cmd/ketenbrug-bench's light client, which checks only every n-th
// response signature): exported so that it builds them as the SDK does,
// ids escaped by route, and no program outside this package spells an
// API path.

// InvolvementPath is the path of the caller's involvement ref.
func InvolvementPath(ref string) string { return route("/v1/involvements/{}", ref) }

// ConsentsPath is the path a consent is recorded at.
func ConsentsPath() string { return "/v1/consents" }

// HouseholdOverviewPath is the path of household id's overview.
func HouseholdOverviewPath(id string) string { return route("/v1/households/{}/involvements", id) }
