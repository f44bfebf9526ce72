package httpapi

// Collaboration is what the API needs from the domain for ambition levels
// 3 (assignments) and 4 (the joint household plan).
type Collaboration interface{}

// collaborationRoutes registers the level 3 and 4 routes.
func (a *api) collaborationRoutes(v1 v1Routes) {}
