package broker

import (
	"context"
	"fmt"
)

// Refresh brings what the service keeps in memory — the partner registry
// and the active policy version — up to the store's state. One broker
// alone never needs it: its own writes update its memory as they commit.
// Several brokers on one shared store (PostgreSQL, issue 20) call it
// periodically, so a partner registered, a key bound or a policy version
// approved at one broker is in force at the others within that period.
func (s *Service) Refresh(ctx context.Context) error {
	// Under partnerMu: a partner write of this broker that commits
	// meanwhile publishes after the reload, not before it, so the newer
	// snapshot is never replaced by an older one.
	s.partnerMu.Lock()
	err := s.reloadPartners()
	s.partnerMu.Unlock()
	if err != nil {
		return err
	}
	s.policyMu.Lock()
	defer s.policyMu.Unlock()
	var active string
	var v PolicyVersion
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		if active, err = tx.ActivePolicy(); err != nil || active == "" || active == s.cfg.Policy.Active() {
			return err
		}
		v, err = tx.PolicyVersion(active)
		return err
	}); err != nil {
		return fmt.Errorf("refresh active policy: %w", err)
	}
	if active == "" || active == s.cfg.Policy.Active() {
		return nil
	}
	if err := s.cfg.Policy.Activate(ctx, v.ID, v.Bundle); err != nil {
		return fmt.Errorf("activate policy %s approved at another broker: %w", short(v.ID), err)
	}
	s.log.Info("policy version activated at another broker is now in force here", "version", short(v.ID))
	return nil
}

// InboxArrived wakes the long-polls of partner, and the webhook
// deliverer, for an inbox item another broker on the shared store
// committed (pgstore's Listen); "" wakes every long-poll, for when
// signals may have been missed. A woken long-poll reads the store, so a
// spurious wake costs one read.
func (s *Service) InboxArrived(partner string) {
	if partner != "" {
		s.bell.ring(partner)
	} else {
		s.bell.mu.Lock()
		for p, ch := range s.bell.bells {
			if p != webhookBell {
				close(ch)
				delete(s.bell.bells, p)
			}
		}
		s.bell.mu.Unlock()
	}
	s.bell.ring(webhookBell)
}
