// Package wire holds the JSON shapes of the broker's API that the SDK
// (package connectors) sends and receives.
//
// It is a leaf, importing only the standard library, so that a partner's
// program that imports the SDK does not pull in the broker's domain (its
// store, policy and audit code). Types without behaviour live only here
// and the domain names them by type alias (broker.SyncResult =
// wire.SyncResult), so the two cannot differ. Where the domain's type has
// methods or fields of its own (broker.Partner, broker.PersonKey,
// broker.LoginConfig, broker.RoleMapping), this package has a separate
// copy of the wire shape, and a test keeps the JSON fields of both the
// same.
//
// Because of the aliases the domain cannot give one of these types a
// method; one that needs behaviour becomes a separate copy with its field
// test. Shapes whose domain types have methods and no copy yet (plans,
// consents, decisions) are not here: for those the SDK's methods decode
// into a value the caller passes (out any).
package wire
