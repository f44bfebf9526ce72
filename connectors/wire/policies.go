package wire

import "time"

// ProcessingActivity is the register entry of one purpose.
type ProcessingActivity struct {
	Purpose string `json:"purpose"`
	Name    string `json:"name"`
	// Basis is the legal basis the purpose's rule cites; Grounds whether
	// it rests on consent or a statute.
	Basis   string `json:"basis"`
	Grounds string `json:"grounds"`
	// Subjects are the categories of data subjects.
	Subjects []string `json:"subjects"`
	// Categories are the categories of personal data: the fields an
	// involvement shows, and from which sectors.
	Categories []string `json:"categories"`
	// SpecialCategories are the sectors whose involvements reveal special
	// categories of data (AVG art. 9) or criminal-law data (art. 10).
	SpecialCategories []string `json:"special_categories,omitempty"`
	// Recipients: who may learn of it (roles and sectors of the callers).
	RecipientRoles   []string `json:"recipient_roles"`
	RecipientSectors []string `json:"recipient_sectors"`
	// Relations a recipient must stand in to the household or person.
	Relations []string `json:"relations,omitempty"`
}

// ProcessingRegister is the register of processing activities.
type ProcessingRegister struct {
	GeneratedAt   time.Time `json:"generated_at"`
	Broker        string    `json:"broker"`
	PolicyVersion string    `json:"policy_version"`
	// Activities: one per purpose of the active policy.
	Activities []ProcessingActivity `json:"activities"`
	// Parties: the registered partners with their role for this processing
	// and their contact point for privacy questions.
	Parties []RegisterParty `json:"parties"`
	// AuditRetentionDays and InvolvementRetentionDays are the retention
	// periods the policy data sets (0: not set).
	AuditRetentionDays       int `json:"audit_retention_days"`
	InvolvementRetentionDays int `json:"involvement_retention_days"`
}

// RegisterParty is a partner as the register names it.
type RegisterParty struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Sector         Sector   `json:"sector"`
	Municipalities []string `json:"municipalities"`
	// Role is controller, joint-controller or processor; "" when the
	// operator has not registered it (the register says so).
	Role          string `json:"role,omitempty"`
	Contact       string `json:"privacy_contact,omitempty"`
	PrivacyOffice bool   `json:"privacy_office,omitempty"`
}

// PurposeChoice is one purpose a caller may state, as a purpose picker
// shows it: its code, name and the legal basis its rule cites.
type PurposeChoice struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Basis is the legal basis the purpose's rule names (its METADATA);
	// Grounds is consent or statute.
	Basis   string `json:"basis"`
	Grounds string `json:"grounds"`
}

// PolicyVersion is one uploaded policy bundle.
type PolicyVersion struct {
	// ID is the hex SHA-256 of the bundle bytes.
	ID         string       `json:"id"`
	Bundle     []byte       `json:"bundle,omitempty"` // OPA bundle, tar.gz
	Note       string       `json:"note,omitempty"`
	Status     string       `json:"status"`
	UploadedBy Actor        `json:"uploaded_by"`
	UploadedAt time.Time    `json:"uploaded_at"`
	Report     PolicyReport `json:"report"`
	// UploadedVia is how the uploader was verified ("key:<kid>"); empty
	// when the uploader was only asserted (versions from before person
	// keys), which four eyes cannot compare.
	UploadedVia string     `json:"uploaded_via,omitempty"`
	ApprovedBy  *Actor     `json:"approved_by,omitempty"`
	ApprovedVia string     `json:"approved_via,omitempty"`
	ApprovedAt  *time.Time `json:"approved_at,omitempty"`
	ActivatedAt *time.Time `json:"activated_at,omitempty"`
	// RejectedBy, RejectedVia, RejectedAt and RejectComment record a
	// privacy officer's refusal of a pending version, and why.
	RejectedBy    *Actor     `json:"rejected_by,omitempty"`
	RejectedVia   string     `json:"rejected_via,omitempty"`
	RejectedAt    *time.Time `json:"rejected_at,omitempty"`
	RejectComment string     `json:"reject_comment,omitempty"`
}

// PolicyReport is the result of compiling a policy bundle and running its
// tests.
type PolicyReport struct {
	Passed  int          `json:"passed"`
	Failed  int          `json:"failed"`
	Errored int          `json:"errored"`
	Tests   []PolicyTest `json:"tests"`
	Notes   []string     `json:"notes,omitempty"`
}

// PolicyTest is the outcome of one Rego test.
type PolicyTest struct {
	Package string  `json:"package"`
	Name    string  `json:"name"`
	Pass    bool    `json:"pass"`
	Error   string  `json:"error,omitempty"`
	Millis  float64 `json:"ms"`
}
