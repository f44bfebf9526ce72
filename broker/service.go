package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Service. Every field without a default is required.
type Config struct {
	// ID is the broker's identifier, the audience of request tokens.
	ID string
	// Store holds the broker's state.
	Store Store
	// Audit is the tamper-evident trail every disclosure, denial and change
	// is written to before the response leaves.
	Audit AuditLog
	// AuditReader reads and verifies that trail.
	AuditReader AuditReader
	// Policy answers the policy questions and manages policy versions.
	Policy PolicyEngine
	// Pseudonyms turns BSNs into keyed pseudonyms.
	Pseudonyms *Pseudonymizer
	// CheckJWKS validates a partner's public JWKS (private, symmetric and
	// short RSA keys are refused).
	CheckJWKS func(json.RawMessage) error
	// FourEyes requires a second privacy officer to approve a policy
	// version before it becomes active. Default true (set by
	// DefaultFourEyes); a single-officer region turns it off.
	FourEyes bool
	// DryRunDefault is the number of recent decisions a dry-run replays
	// when the caller names none. Default 1000.
	DryRunDefault int
	// SyncMaxEndFraction is the share of a partner's live involvements
	// one full-caseload sync may end unless the caller allows a mass end
	// (see SyncEndLimit): from 0 to 1, 0 meaning
	// DefaultSyncMaxEndFraction (0.10).
	SyncMaxEndFraction float64
	// LoginSecrets is the directory that the client-secret files of
	// partners' console logins must lie in; "" refuses every login
	// configuration.
	LoginSecrets SecretDir
	// OverviewWatcher, when set, is told of every overview answered (an
	// alert on unusual volumes, see OverviewWatcher).
	OverviewWatcher OverviewWatcher
	// Logger receives operational logs; never personal data. Default: slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Validate checks the configuration and fills defaults.
func (c *Config) Validate() error {
	var errs []error
	if !ValidID(c.ID) {
		errs = append(errs, errors.New("broker: ID must be a valid identifier"))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("broker: Store is required"))
	}
	if c.Audit == nil || c.AuditReader == nil {
		errs = append(errs, errors.New("broker: Audit and AuditReader are required"))
	}
	if c.Policy == nil {
		errs = append(errs, errors.New("broker: Policy is required"))
	}
	if c.Pseudonyms == nil {
		errs = append(errs, errors.New("broker: Pseudonyms is required"))
	}
	if c.CheckJWKS == nil {
		errs = append(errs, errors.New("broker: CheckJWKS is required"))
	}
	if c.SyncMaxEndFraction < 0 || c.SyncMaxEndFraction > 1 || c.SyncMaxEndFraction != c.SyncMaxEndFraction {
		errs = append(errs, errors.New("broker: SyncMaxEndFraction must be from 0 to 1"))
	}
	if c.DryRunDefault <= 0 {
		c.DryRunDefault = 1000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return errors.Join(errs...)
}

// Service orchestrates requests: it checks who may do what, asks the policy,
// reads and writes the store and writes the audit trail. One Service serves
// all transports.
type Service struct {
	cfg Config
	log *slog.Logger

	// partners is a read-mostly snapshot of all partners, replaced whole on
	// every partner change, so that authenticating a request never touches
	// the store.
	partners atomic.Pointer[map[string]*Partner]
	// partnerMu serialises partner writes so snapshots are never lost.
	partnerMu sync.Mutex
	// policyMu serialises activations with Refresh (refresh.go), so a
	// refresh that read the store before a local activation committed
	// cannot put the old version back into the engine.
	policyMu sync.Mutex
	// bell wakes inbox long-polls.
	bell inboxBell
	// followups caches the follow-up settings of the active policy
	// version (followup_settings.go).
	followups atomic.Pointer[followupSettings]
}

// New validates cfg, loads the partner registry and activates the stored
// policy version, if one was activated before.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: cfg.Logger}
	if err := s.reloadPartners(); err != nil {
		return nil, err
	}
	if err := s.restorePolicy(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// ID returns the broker's identifier.
func (s *Service) ID() string { return s.cfg.ID }

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// auditEntry starts an audit entry for caller c.
func (s *Service) auditEntry(c *Caller, event, action string) AuditEntry {
	e := AuditEntry{Time: s.now(), Event: event, Action: action, Decision: DecisionAllow}
	if c != nil {
		e.RequestID = c.RequestID
		e.Partner = c.Partner.ID
		e.Sub = c.Sub
		e.SubKnown, e.SubVia = c.Person.Known(), c.Person.Via
		e.Role = c.Role
		e.Purpose = c.Purpose
	}
	return e
}

// requireRole refuses callers not in one of roles. The protocol layer has
// already checked that the partner may use the role at all.
func requireRole(c *Caller, roles ...Role) error {
	for _, r := range roles {
		if c.Role == r {
			return nil
		}
	}
	return &roleError{have: c.Role, need: roles}
}

// roleError refuses a caller whose role may not do something, naming the
// roles that may: the message is shown as is (no "forbidden:" repeated
// before it), and it matches ErrForbidden.
type roleError struct {
	have Role
	need []Role
}

func (e *roleError) Error() string {
	names := make([]string, len(e.need))
	for i, r := range e.need {
		names[i] = string(r)
	}
	return fmt.Sprintf("role %s may not do this; it is for the role %s: sign with an identity of that role", e.have, strings.Join(names, " or "))
}

// Is makes errors.Is(err, ErrForbidden) true.
func (e *roleError) Is(target error) bool { return target == ErrForbidden }

// callerFacts describes c for the policy.
func callerFacts(c *Caller) CallerFacts {
	return CallerFacts{
		Partner: c.Partner.ID, Sector: c.Partner.Sector, Role: c.Role, Sub: c.Sub,
		Level: c.Partner.Level, Covenant: c.Partner.Covenant, Municipalities: c.Partner.Municipalities,
		RegisteredAt: rfc3339(c.Partner.CreatedAt),
	}
}

// verdict is a decision and the question it answered. A commit keeps both
// as a decision record with its audit entry, so that dry-runs of a new
// policy version replay what was really asked.
type verdict struct {
	Decision
	input *DecisionInput
}

// commit is the one way the services change state and write the audit
// trail. In one store transaction (through AuditLog.Record) it writes e,
// a decision record of each verdict, apply's change, and the inbox items
// apply returns, each with a webhook delivery job when its partner has a
// webhook; after the commit it wakes the recipients' long-polls and the
// deliverer.
//
// The verdicts give e its legal bases and policy version: one verdict's
// bases as the policy listed them, several verdicts' as their sorted union.
// With no verdicts e keeps what the caller set. apply and vs may be nil;
// with neither, e is all there is.
//
// apply may run more than once (see AuditLog): it must assign its results
// to captured variables, never append to them.
func (s *Service) commit(ctx context.Context, e AuditEntry, vs []*verdict, apply func(Tx) ([]InboxItem, error)) error {
	switch len(vs) {
	case 0:
	case 1:
		e.Bases, e.PolicyVersion = vs[0].Bases, vs[0].Version
	default:
		e.Bases, e.PolicyVersion = nil, vs[0].Version
		for _, v := range vs {
			e.Bases = append(e.Bases, v.Bases...)
		}
		slices.Sort(e.Bases)
		e.Bases = slices.Compact(e.Bases)
	}
	if len(vs) == 0 && apply == nil {
		_, err := s.cfg.Audit.Record(ctx, e, nil)
		return err
	}
	var stored []InboxItem
	pushed := false
	_, err := s.cfg.Audit.Record(ctx, e, func(tx Tx) error {
		stored, pushed = stored[:0], false
		for _, v := range vs {
			if err := tx.PutDecision(DecisionRecord{Time: e.Time, RequestID: e.RequestID, Input: v.input, Decision: v.Decision}); err != nil {
				return err
			}
		}
		if apply == nil {
			return nil
		}
		items, err := apply(tx)
		if err != nil {
			return err
		}
		if err := s.openFollowups(tx, &e, items); err != nil {
			return err
		}
		for _, it := range items {
			it, err := tx.AppendInbox(it)
			if err != nil {
				return fmt.Errorf("inbox of %s: %w", it.Partner, err)
			}
			ok, err := s.enqueueDelivery(tx, &it)
			if err != nil {
				return fmt.Errorf("webhook delivery to %s: %w", it.Partner, err)
			}
			pushed = pushed || ok
			stored = append(stored, it)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, it := range stored {
		s.bell.ring(it.Partner)
	}
	if pushed {
		s.bell.ring(webhookBell)
	}
	return nil
}

// noItems adapts a change that sends no inbox items to commit; nil stays
// nil.
func noItems(apply func(Tx) error) func(Tx) ([]InboxItem, error) {
	if apply == nil {
		return nil
	}
	return func(tx Tx) ([]InboxItem, error) { return nil, apply(tx) }
}

// sending adapts a change to commit that sends items, made before the
// transaction, when it succeeds; apply may be nil.
func sending(items []InboxItem, apply func(Tx) error) func(Tx) ([]InboxItem, error) {
	return func(tx Tx) ([]InboxItem, error) {
		if apply != nil {
			if err := apply(tx); err != nil {
				return nil, err
			}
		}
		return items, nil
	}
}

// decide asks the policy and, on a denial, writes the denial to the audit
// trail and returns a *DeniedError. Policy failures deny (fail closed) and
// are logged with their cause.
func (s *Service) decide(ctx context.Context, c *Caller, in *DecisionInput, object string, subjects []Pseudonym) (*verdict, error) {
	in.Now = s.now().Format(time.RFC3339)
	d, err := s.cfg.Policy.Decide(ctx, in)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "policy failed; denying",
			slog.String("request_id", c.RequestID), slog.String("action", in.Action), slog.Any("error", err))
		d = Decision{Allow: false, Reasons: []string{ReasonPolicyError}, Version: d.Version}
	}
	if d.Allow {
		return &verdict{Decision: d, input: in}, nil
	}
	denied := d.Err()
	e := s.auditEntry(c, EventDenial, in.Action)
	e.Decision, e.Reasons = DecisionDeny, d.Reasons
	e.Object, e.Subjects = object, subjects
	if aerr := s.commit(ctx, e, []*verdict{{Decision: d, input: in}}, nil); aerr != nil {
		return nil, aerr
	}
	return nil, denied
}

// Ready reports whether the broker can serve: the store answers.
func (s *Service) Ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.cfg.Store.View(func(tx ReadTx) error {
		_, err := tx.ActivePolicy()
		return err
	})
}

// Backup writes a consistent copy of the store to w while serving. Operators
// only; the backup is audited, since it holds everything.
func (s *Service) Backup(ctx context.Context, c *Caller, w io.Writer) (int64, error) {
	if err := requireRole(c, RoleOperator); err != nil {
		return 0, err
	}
	e := s.auditEntry(c, EventChange, "store.backup")
	if err := s.commit(ctx, e, nil, nil); err != nil {
		return 0, err
	}
	return s.cfg.Store.Backup(w)
}
