package wire

import "time"

// AuditEntry is one entry of the tamper-evident audit trail. It never holds
// a BSN: persons appear as pseudonyms.
type AuditEntry struct {
	// Seq, PrevHash and Hash are set by the audit log when the entry is
	// sealed into the chain.
	Seq      uint64 `json:"seq"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`

	Time      time.Time `json:"time"`
	Event     string    `json:"event"`
	RequestID string    `json:"request_id,omitempty"`
	Partner   string    `json:"partner,omitempty"`
	Sub       string    `json:"sub,omitempty"`
	// SubKnown tells how the broker knew the person in Sub: "verified" (a
	// person-bound key, later a console login) or "asserted" (the
	// organisation's key; Sub is the organisation's own reference).
	// Entries written before persons were verified have neither.
	SubKnown string `json:"sub_known,omitempty"`
	// SubVia names the proof of a verified person: "key:<kid>" or
	// "oidc:<issuer>"; "broker" for the broker's own actions.
	SubVia  string `json:"sub_via,omitempty"`
	Role    Role   `json:"role,omitempty"`
	Action  string `json:"action"`
	Purpose string `json:"purpose,omitempty"`
	// Object names what was acted on: "household:hh-1", "involvement:kredietbank/ref-1".
	Object   string      `json:"object,omitempty"`
	Subjects []Pseudonym `json:"subjects,omitempty"`
	Decision string      `json:"decision"` // allow or deny
	Reasons  []string    `json:"reasons,omitempty"`
	Bases    []string    `json:"bases,omitempty"`
	// PolicyVersion is the content hash of the policy that decided.
	PolicyVersion string `json:"policy_version,omitempty"`
	// Disclosed lists what was shown, per involvement: for a resident's
	// access report.
	Disclosed []Disclosure `json:"disclosed,omitempty"`
	// Detail holds small, non-personal facts of a change ("status": "ended").
	Detail map[string]string `json:"detail,omitempty"`
}

// Disclosure records that fields of one involvement of a subject were shown.
type Disclosure struct {
	Subject     Pseudonym `json:"subject"`
	Involvement string    `json:"involvement"`
	Partner     string    `json:"partner"`
	Fields      []string  `json:"fields"`
	// To is the partner the fields were shown to, when that is not the
	// entry's own partner (a match signal to another partner's inbox).
	To string `json:"to,omitempty"`
}

// AuditPage is one page of the audit trail as the caller may see it.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	// Next is the sequence number to continue from; 0 at the end of the
	// trail. A page of a partner's privacy officer may hold fewer entries
	// than were read (those outside its reach are left out), so follow
	// Next, not the count.
	Next uint64 `json:"next,omitempty"`
}

// SubjectAccessReport answers a resident's access request (inzage, AVG art.
// 15): every disclosure and denial about them, who, when, why and what was
// shown.
type SubjectAccessReport struct {
	GeneratedAt time.Time          `json:"generated_at"`
	Broker      string             `json:"broker"`
	Events      []SubjectAccessRow `json:"events"`
}

// SubjectAccessRow is one audited event about the resident.
type SubjectAccessRow struct {
	Seq         uint64    `json:"seq"`
	Time        time.Time `json:"time"`
	Event       string    `json:"event"`
	Partner     string    `json:"partner"`
	PartnerName string    `json:"partner_name,omitempty"`
	// PartnerRole is the partner's role for this processing (controller,
	// joint-controller, processor) and PartnerContact its contact point
	// for privacy questions, where registered: whom the resident asks.
	PartnerRole    string `json:"partner_role,omitempty"`
	PartnerContact string `json:"partner_contact,omitempty"`
	Sub            string `json:"sub,omitempty"`
	// SubKnown says whether Sub is a verified person ("verified") or the
	// organisation's own reference ("asserted").
	SubKnown string   `json:"sub_known,omitempty"`
	Role     Role     `json:"role,omitempty"`
	Action   string   `json:"action"`
	Purpose  string   `json:"purpose,omitempty"`
	Decision string   `json:"decision"`
	Reasons  []string `json:"reasons,omitempty"`
	Bases    []string `json:"bases,omitempty"`
	// Shown lists, per involvement, which fields were shown about this
	// resident (and only this resident).
	Shown []Disclosure `json:"shown,omitempty"`
}

// AuditProblem is one inconsistency: an edited, removed, inserted or
// reordered entry, or a bad checkpoint signature.
type AuditProblem struct {
	Seq    uint64 `json:"seq"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// AuditVerification is the result of walking the audit chain.
type AuditVerification struct {
	OK          bool           `json:"ok"`
	Entries     int            `json:"entries"`
	FirstSeq    uint64         `json:"first_seq"`
	LastSeq     uint64         `json:"last_seq"`
	Checkpoints int            `json:"checkpoints"`
	Problems    []AuditProblem `json:"problems"`
}

// Pseudonym is the keyed pseudonym of a person: "p:" and 22 base64url
// characters of HMAC-SHA256(secret, BSN), 128 bits. It is the only form in
// which a person is stored, logged, audited or shown to the policy.
type Pseudonym string
