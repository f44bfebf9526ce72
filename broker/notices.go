package broker

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Notices that the data subject's rights call for (issue 13), written to
// partners' inboxes in the same transaction as the change that calls for
// them:
//
//   - rectification (AVG art. 16 and 19): when an involvement is corrected
//     (service, status, period or contact changed, moved to another person)
//     or ended, every partner that was shown it in the last
//     rectification_notice_days (policy data, default 30) is told which of
//     the fields it was shown changed — never the new values, which it asks
//     again through the policy, and never a BSN or pseudonym;
//   - informing the person (art. 14): a registration of a new involvement
//     and every disclosure under a statute purpose raise an item for the
//     partner responsible for informing the person (policy data
//     inform.responsible). Whether an exception of art. 14 lid 5 applies is
//     that partner's judgement, not the broker's (rego/README.md, section 7).

// Kinds of inbox items of the data subject's rights.
const (
	InboxRectification = "rectification" // an involvement the recipient was shown was corrected or ended
	InboxInform        = "inform"        // the recipient informs the person of a registration or disclosure
)

// DefaultRectificationNoticeDays is how far back the broker looks for
// partners that were shown a corrected involvement when the policy data
// does not say (rectification_notice_days).
const DefaultRectificationNoticeDays = 30

// Values of the policy data's inform.responsible.
const (
	InformCoordinator  = "coordinator"  // the household's coordinating partner (default)
	InformMunicipality = "municipality" // the municipality partner of the household's municipality
)

// ChangedPerson names, in a rectification signal, that the involvement was
// moved to another person: it no longer holds for the person it was shown
// of.
const ChangedPerson = "person"

// RectificationSignal is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type RectificationSignal = wire.RectificationSignal

// InformSignal is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type InformSignal = wire.InformSignal

// InformMember is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type InformMember = wire.InformMember

// Event values of an InformSignal.
const (
	InformRegistration = "registration"
	InformDisclosure   = "disclosure"
)

// informExceptions is the reminder every inform signal carries.
const informExceptions = "AVG art. 14 lid 5: no notice where the person already has the information (sub a), " +
	"it proves impossible or would take a disproportionate effort (sub b), the law that lays down the processing " +
	"provides measures to protect the person (sub c), or professional secrecy applies (sub d); UAVG art. 41 may " +
	"restrict it. The responsible partner judges these, the broker does not."

// noticeSettings are the policy data the notices read.
type noticeSettings struct {
	rectificationDays int
	responsible       string
	grounds           map[string]string // purpose → consent or statute
	bases             map[string]string // purpose → basis its rule cites
}

// noticeConfig is the part of the policy data the notices read.
type noticeConfig struct {
	RectificationNoticeDays *int `json:"rectification_notice_days"`
	Inform                  struct {
		Responsible string `json:"responsible"`
	} `json:"inform"`
	Purposes map[string]struct {
		Basis string `json:"basis"`
	} `json:"purposes"`
}

var noticeCache struct {
	sync.Mutex
	version string
	set     *noticeSettings
}

// notices returns the notice settings of the active policy.
func (s *Service) notices() *noticeSettings {
	d := s.cfg.Policy.Describe()
	noticeCache.Lock()
	defer noticeCache.Unlock()
	if d.Version != "" && noticeCache.version == d.Version && noticeCache.set != nil {
		return noticeCache.set
	}
	set := &noticeSettings{rectificationDays: DefaultRectificationNoticeDays, responsible: InformCoordinator,
		grounds: map[string]string{}, bases: d.PurposeBases}
	var cfg noticeConfig
	if len(d.Config) > 0 && json.Unmarshal(d.Config, &cfg) == nil {
		if n := cfg.RectificationNoticeDays; n != nil && *n >= 0 {
			set.rectificationDays = *n
		}
		if cfg.Inform.Responsible == InformMunicipality {
			set.responsible = InformMunicipality
		}
		for code, p := range cfg.Purposes {
			set.grounds[code] = p.Basis
		}
	}
	noticeCache.version, noticeCache.set = d.Version, set
	return set
}

// statute reports whether purpose rests on a statute.
func (n *noticeSettings) statute(purpose string) bool { return n.grounds[purpose] == "statute" }

// correction is one involvement as it was and as it will be.
type correction struct {
	old, cur Involvement
}

// changedFields names what changed between old and cur, in the words of
// the fields an overview shows, and whether the involvement ended.
func changedFields(old, cur *Involvement) (fields []string, ended bool) {
	if old.Subject != cur.Subject {
		fields = append(fields, ChangedPerson)
	}
	if old.Service != cur.Service || old.ServiceLabel != cur.ServiceLabel {
		fields = append(fields, FieldService)
	}
	if old.Status != cur.Status {
		fields = append(fields, FieldStatus)
	}
	if old.Start != cur.Start || old.End != cur.End {
		fields = append(fields, FieldPeriod)
	}
	if old.Contact != cur.Contact {
		fields = append(fields, FieldContact)
	}
	return fields, old.Status != InvolvementEnded && cur.Status == InvolvementEnded
}

// shownRecord is what one partner was shown of one involvement within the
// window.
type shownRecord struct {
	fields    map[string]bool
	at        time.Time
	household string // the household overview it was shown in, "municipality:id"
	request   string // the partner's own request that showed it
}

// auditTime reads the time of audit record raw without decoding the rest:
// a record about a sync chunk names a thousand subjects, and shownTo looks
// at every record about a subject only to know where its window ends, so
// decoding them whole made ending involvements cost milliseconds each. The
// sealed records put time fourth (after seq and the hashes); the reader
// takes the members in order and stops at it. ok is false when raw has
// no readable time.
func auditTime(raw []byte) (t time.Time, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return time.Time{}, false
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return time.Time{}, false
		}
		if key != "time" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return time.Time{}, false
			}
			continue
		}
		var s string
		if dec.Decode(&s) != nil {
			return time.Time{}, false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		return t, err == nil
	}
	return time.Time{}, false
}

// shownTo reads the audit entries about subject since the start of the
// window, newest first, and returns per partner (other than owner) what it
// was shown of involvement id: in overviews (the entry's partner) and in
// signals (Disclosure.To).
func shownTo(tx AuditRecordReader, subject Pseudonym, id, owner string, since time.Time) (map[string]*shownRecord, error) {
	seqs, err := tx.AuditSeqsOf(subject)
	if err != nil {
		return nil, err
	}
	needle, _ := json.Marshal(id)
	needle = append([]byte(`"involvement":`), needle...)
	out := map[string]*shownRecord{}
	for i := len(seqs) - 1; i >= 0; i-- {
		raw, err := tx.AuditGet(seqs[i])
		if errors.Is(err, ErrNotFound) {
			continue // purged by retention
		}
		if err != nil {
			return nil, err
		}
		if !bytes.Contains(raw, needle) {
			if t, ok := auditTime(raw); ok && t.Before(since) {
				break
			}
			continue
		}
		var e struct {
			Time      time.Time    `json:"time"`
			Partner   string       `json:"partner"`
			RequestID string       `json:"request_id"`
			Object    string       `json:"object"`
			Disclosed []Disclosure `json:"disclosed"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, err
		}
		if e.Time.Before(since) {
			break
		}
		for _, d := range e.Disclosed {
			if d.Involvement != id || d.Subject != subject {
				continue
			}
			to := d.To
			if to == "" {
				to = e.Partner
			}
			if to == "" || to == owner {
				continue
			}
			r := out[to]
			if r == nil {
				r = &shownRecord{fields: map[string]bool{}, at: e.Time}
				out[to] = r
			}
			for _, f := range d.Fields {
				r.fields[f] = true
			}
			if d.To == "" {
				if h, ok := strings.CutPrefix(e.Object, "household:"); ok && r.household == "" {
					r.household = h
				}
				if r.request == "" {
					r.request = e.RequestID
				}
			}
		}
	}
	return out, nil
}

// rectifications works out, in tx, the rectification signals of the
// corrections cs: one per partner that was shown a corrected involvement
// within the window and was shown something that changed (its existence,
// when it ended or moved to another person).
func (s *Service) rectifications(tx ReadTx, set *noticeSettings, cs []correction) ([]InboxItem, error) {
	if set.rectificationDays == 0 || len(cs) == 0 {
		return nil, nil
	}
	now := s.now()
	since := now.AddDate(0, 0, -set.rectificationDays)
	var items []InboxItem
	for i := range cs {
		old, cur := &cs[i].old, &cs[i].cur
		if old.ID == "" {
			continue
		}
		changed, ended := changedFields(old, cur)
		if len(changed) == 0 {
			continue
		}
		shown, err := shownTo(tx, old.Subject, old.ID, old.Partner, since)
		if err != nil {
			return nil, err
		}
		if len(shown) == 0 {
			continue
		}
		var households []Household
		var involvements []Involvement
		for _, partner := range sortedShown(shown) {
			if rp, err := s.LookupPartner(partner); err != nil || rp.Status != PartnerActive {
				continue
			}
			r := shown[partner]
			sig := &RectificationSignal{Ended: ended, ShownAt: r.at}
			for _, f := range changed {
				if f == ChangedPerson || r.fields[f] {
					sig.Changed = append(sig.Changed, f)
				}
			}
			if len(sig.Changed) == 0 && !ended {
				continue // nothing it was shown changed
			}
			if sig.Changed == nil {
				sig.Changed = []string{}
			}
			if r.fields[FieldPartner] {
				sig.Partner = old.Partner
			}
			it := InboxItem{Partner: partner, Kind: InboxRectification, Created: now, Subject: old.Subject,
				Rectification: sig}
			// How the recipient knows the person: its own involvement,
			// else the household it coordinates or was shown, else its
			// own request.
			if involvements == nil {
				if involvements, err = tx.InvolvementsOf(old.Subject); err != nil {
					return nil, err
				}
				if households, err = tx.HouseholdsOf(old.Subject); err != nil {
					return nil, err
				}
			}
			it.Ref = ownRef(involvements, partner)
			if it.Ref == "" {
				for _, h := range households {
					if h.Coordinator.Partner == partner {
						it.Household = h.ID
						break
					}
				}
			}
			if it.Ref == "" && it.Household == "" {
				it.Household = r.household
			}
			if it.Ref == "" && it.Household == "" {
				sig.Request = r.request
			}
			it.disclosed = []Disclosure{{Subject: old.Subject, Involvement: old.ID, Partner: old.Partner,
				Fields: prefixed("changed:", sig.Changed, ended), To: partner}}
			items = append(items, it)
		}
	}
	return items, nil
}

// prefixed names the changes of a rectification signal for the audit
// trail, apart from the fields an overview shows.
func prefixed(prefix string, fields []string, ended bool) []string {
	out := make([]string, 0, len(fields)+1)
	for _, f := range fields {
		out = append(out, prefix+f)
	}
	if ended {
		out = append(out, prefix+"ended")
	}
	return out
}

// ownRef is partner's own reference of an involvement with the person, a
// live one first; "" when it has none.
func ownRef(invs []Involvement, partner string) string {
	ref := ""
	for _, v := range invs {
		if v.Partner != partner {
			continue
		}
		if v.Status != InvolvementEnded {
			return v.Ref
		}
		if ref == "" {
			ref = v.Ref
		}
	}
	return ref
}

func sortedShown(m map[string]*shownRecord) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// informRecipient is the partner responsible for informing the members of
// h (policy data inform.responsible): the coordinating partner, or the
// municipality partner, each falling back to the other; "" when neither is
// an active partner.
func (s *Service) informRecipient(set *noticeSettings, h *Household) string {
	active := func(id string) bool {
		p, err := s.LookupPartner(id)
		return err == nil && p.Status == PartnerActive
	}
	municipality := func() string {
		if p, err := s.LookupPartner(h.Municipality); err == nil && p.Status == PartnerActive && p.Sector == SectorMunicipality {
			return p.ID
		}
		return ""
	}
	coordinator := ""
	if h.Coordinator.Partner != "" && active(h.Coordinator.Partner) {
		coordinator = h.Coordinator.Partner
	}
	if set.responsible == InformMunicipality {
		if m := municipality(); m != "" {
			return m
		}
		return coordinator
	}
	if coordinator != "" {
		return coordinator
	}
	return municipality()
}

// informSignal starts an inform signal of caller c's action.
func (s *Service) informSignal(set *noticeSettings, c *Caller, event, action string, bases []string) *InformSignal {
	return &InformSignal{Event: event, Action: action, By: c.Partner.ID, Purpose: c.Purpose,
		Grounds: set.grounds[c.Purpose], Basis: set.bases[c.Purpose], Bases: slices.Clone(bases),
		Members: []InformMember{}, Exceptions: informExceptions}
}

// registrationInforms works out, in tx, the inform items of new
// involvements regs registered by c: one per household of the person, to
// the partner responsible for informing its members. A person in no
// household is informed by the partner that registered them, which needs
// no item to know it.
func (s *Service) registrationInforms(tx ReadTx, set *noticeSettings, c *Caller, regs []*Involvement, bases []string) ([]InboxItem, error) {
	var items []InboxItem
	now := s.now()
	for _, v := range regs {
		hs, err := tx.HouseholdsOf(v.Subject)
		if err != nil {
			return nil, err
		}
		for i := range hs {
			h := &hs[i]
			to := s.informRecipient(set, h)
			if to == "" {
				continue
			}
			label := ""
			for _, m := range h.Members {
				if m.Subject == v.Subject {
					label = m.Label
				}
			}
			sig := s.informSignal(set, c, InformRegistration, ActionInvolvementWrite, bases)
			sig.Members = append(sig.Members, InformMember{Label: label, Partners: []string{v.Partner}})
			items = append(items, InboxItem{Partner: to, Kind: InboxInform, Created: now, Household: h.ID,
				Subject: v.Subject, Inform: sig,
				disclosed: []Disclosure{{Subject: v.Subject, Involvement: v.ID, Partner: v.Partner,
					Fields: []string{"inform:" + InformRegistration}, To: to}}})
		}
	}
	return items, nil
}

// disclosureInforms works out the inform items of an overview's
// disclosures e.Disclosed under a statute purpose: one to the partner
// responsible for the household's members (household overviews, and
// person overviews of a person in a household of that municipality), or,
// for a person in no household there, one to each partner whose
// involvement was shown, which alone knows the person (by its own
// reference).
func (s *Service) disclosureInforms(set *noticeSettings, c *Caller, e *AuditEntry, bases []string, hs []Household, subs []subject) []InboxItem {
	if !set.statute(c.Purpose) || len(e.Disclosed) == 0 {
		return nil
	}
	// A partner shown its own involvement learns nothing it did not know.
	var disclosed []Disclosure
	for _, d := range e.Disclosed {
		if d.Partner != c.Partner.ID && d.To == "" {
			disclosed = append(disclosed, d)
		}
	}
	now := s.now()
	if len(hs) > 0 {
		h := &hs[0]
		to := s.informRecipient(set, h)
		if to == "" {
			return nil
		}
		sig := s.informSignal(set, c, InformDisclosure, e.Action, bases)
		it := InboxItem{Partner: to, Kind: InboxInform, Created: now, Household: h.ID, Inform: sig}
		for _, m := range h.Members {
			im := InformMember{Label: m.Label}
			fields := map[string]bool{}
			for _, d := range disclosed {
				if d.Subject != m.Subject {
					continue
				}
				if !slices.Contains(im.Partners, d.Partner) {
					im.Partners = append(im.Partners, d.Partner)
				}
				for _, f := range d.Fields {
					fields[f] = true
				}
				it.disclosed = append(it.disclosed, Disclosure{Subject: d.Subject, Involvement: d.Involvement,
					Partner: d.Partner, Fields: []string{"inform:" + InformDisclosure}, To: to})
				if it.Subject == "" {
					it.Subject = d.Subject
				}
			}
			if len(im.Partners) == 0 {
				continue
			}
			im.Fields = fieldOrder(fields)
			sig.Members = append(sig.Members, im)
		}
		if len(sig.Members) == 0 {
			return nil
		}
		return []InboxItem{it}
	}
	// No household: each partner whose involvement was shown informs.
	var items []InboxItem
	for _, d := range disclosed {
		if p, err := s.LookupPartner(d.Partner); err != nil || p.Status != PartnerActive {
			continue
		}
		ref := ""
		for _, sub := range subs {
			for _, v := range sub.involvements {
				if v.ID == d.Involvement {
					ref = v.Ref
				}
			}
		}
		sig := s.informSignal(set, c, InformDisclosure, e.Action, bases)
		sig.Members = append(sig.Members, InformMember{Label: "person", Partners: []string{d.Partner}, Fields: slices.Clone(d.Fields)})
		items = append(items, InboxItem{Partner: d.Partner, Kind: InboxInform, Created: now, Ref: ref, Subject: d.Subject,
			Inform: sig, disclosed: []Disclosure{{Subject: d.Subject, Involvement: d.Involvement, Partner: d.Partner,
				Fields: []string{"inform:" + InformDisclosure}, To: d.Partner}}})
	}
	return items
}

// fieldOrder lists the fields of set in the order an overview names them.
func fieldOrder(set map[string]bool) []string {
	var out []string
	for _, f := range []string{FieldPartner, FieldContact, FieldService, FieldStatus, FieldPeriod} {
		if set[f] {
			out = append(out, f)
		}
	}
	return out
}
