// Package dataset generates deterministic, seeded synthetic data sets for
// load tests and benchmarks of the broker: municipalities at ambition levels
// 1–4, chain partners of every sector with their signing keys, persons with
// valid BSNs (the elfproef), households with members, involvements and
// consents.
//
// Every entity is a pure function of the configuration and its index: the
// n-th household, involvement or person is the same on every run and on
// every machine, and can be computed without generating the others (random
// access, so a load generator can pick "a household of municipality m" or
// "an involvement of partner p" in O(1)). Nothing here is real: BSNs are
// drawn from the whole nine-digit space and only satisfy the elfproef.
//
// Load writes a data set into a broker.Store directly, in large
// transactions. It bypasses the broker's services, and so the policy and
// the audit trail: it is meant for synthetic data in a benchmark's store,
// never for a production region, whose facts arrive through the audited API.
//
// It belongs to the load tool (cmd/ketenbrug-bench) and lives beside it,
// outside the domain folder; the broker binary does not link it. The
// in-process benchmarks and the soak test of cmd/ketenbrug import it too.
package dataset

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Config sizes a data set. The zero value of a field takes its default.
type Config struct {
	// Seed makes the data set; the same seed and sizes give the same data.
	Seed uint64
	// Persons is the number of persons (default 20 000).
	Persons int
	// Households is the number of households (default 30 % of Persons).
	// Members are persons; persons not needed for households live alone
	// and appear only through their involvements and consents.
	Households int
	// Involvements is the number of involvements (default 3 per person).
	Involvements int
	// Municipalities is the number of municipalities (default 12). Their
	// ambition levels cycle through 1, 2, 3, 4.
	Municipalities int
	// PartnersPerSector is the number of chain partners of each sector
	// (default 2).
	PartnersPerSector int
	// ConsentShare is the share of persons with a consent for integrated
	// support (default 0.5).
	ConsentShare float64
	// Today is the reference date of periods and consents (default
	// 2026-11-22).
	Today time.Time
}

// Defaults.
const (
	DefaultPersons           = 20_000
	DefaultMunicipalities    = 12
	DefaultPartnersPerSector = 2
	DefaultConsentShare      = 0.5
	// Purpose is the consent purpose the data set's consents are for.
	Purpose = "integrale-ondersteuning"
	// Covenant is the covenant version most partners signed.
	Covenant = "2026-1"
	// OldCovenant is the version a few partners still have: the policy
	// does not accept it, so their involvements are withheld.
	OldCovenant = "2025-1"
)

func (c *Config) fill() error {
	if c.Persons == 0 {
		c.Persons = DefaultPersons
	}
	if c.Households == 0 {
		c.Households = c.Persons * 3 / 10
	}
	if c.Involvements == 0 {
		c.Involvements = c.Persons * 3
	}
	if c.Municipalities == 0 {
		c.Municipalities = DefaultMunicipalities
	}
	if c.PartnersPerSector == 0 {
		c.PartnersPerSector = DefaultPartnersPerSector
	}
	if c.ConsentShare == 0 {
		c.ConsentShare = DefaultConsentShare
	}
	if c.Today.IsZero() {
		c.Today = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	}
	var errs []error
	if c.Persons < 1 || c.Persons > MaxPersons {
		errs = append(errs, fmt.Errorf("dataset: persons must be 1-%d", MaxPersons))
	}
	if c.Households < 0 || c.Households > c.Persons {
		errs = append(errs, errors.New("dataset: households must be 0 to persons"))
	}
	if c.Involvements < 0 || c.Involvements > 1<<31-1 {
		errs = append(errs, errors.New("dataset: involvements out of range"))
	}
	if c.Municipalities < 1 || c.Municipalities > 999 {
		errs = append(errs, errors.New("dataset: municipalities must be 1-999"))
	}
	if c.PartnersPerSector < 1 || c.PartnersPerSector > 99 {
		errs = append(errs, errors.New("dataset: partners per sector must be 1-99"))
	}
	if c.ConsentShare < 0 || c.ConsentShare > 1 {
		errs = append(errs, errors.New("dataset: consent share must be 0-1"))
	}
	return errors.Join(errs...)
}

// MaxPersons is the most persons a data set can have: every person needs a
// distinct BSN (see BSN).
const MaxPersons = bsnSpace

// Dataset is a generated data set. It is immutable and safe for concurrent
// use; it holds only the partners and the household layout (a few bytes a
// household), everything else is computed on demand.
type Dataset struct {
	cfg Config
	// municipalities and partners (chain partners) in id order.
	municipalities []Partner
	partners       []Partner
	byID           map[string]*Partner
	// start[h] is the first person of household h; start[H] is the number
	// of persons in households.
	start []int32
	// bsnA, bsnB make the person → BSN bijection.
	bsnA, bsnB uint64
}

// Partner is a registered organisation of the data set with its signing
// key.
type Partner struct {
	broker.Partner
	// Key is the partner's Ed25519 signing key; its public half is in
	// JWKS with key id KeyID.
	Key   ed25519.PrivateKey
	KeyID string
	// Index is the partner's position among the municipalities or among
	// the chain partners.
	Index int
}

// New generates the data set described by cfg.
func New(cfg Config) (*Dataset, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	d := &Dataset{cfg: cfg, byID: map[string]*Partner{}}
	r := splitmix(cfg.Seed ^ 0x6b6574656e627275)
	// a must be coprime with bsnSpace = 2^? · 3^4 · 5^? … : take an odd
	// multiple of neither 3 nor 5 (bsnSpace = 81 000 000 = 2^6·3^4·5^6).
	for {
		d.bsnA = r.next()%bsnSpace | 1
		if d.bsnA%3 != 0 && d.bsnA%5 != 0 {
			break
		}
	}
	d.bsnB = r.next() % bsnSpace
	d.makePartners()
	d.layoutHouseholds()
	return d, nil
}

// Config returns the configuration with its defaults filled in.
func (d *Dataset) Config() Config { return d.cfg }

// sectorNames are the chain partners' id stems, one per sector.
var sectorNames = []struct {
	sector   broker.Sector
	stem     string
	title    string
	services [][2]string // code, label
}{
	{broker.SectorEducation, "school", "Basisschool", [][2]string{{"leerplicht", "Leerplicht"}, {"extra-ondersteuning", "Extra ondersteuning (IB)"}, {"passend-onderwijs", "Passend onderwijs"}}},
	{broker.SectorWorkIncome, "uwv", "UWV-vestiging", [][2]string{{"ww", "WW-uitkering"}, {"wia", "WIA-uitkering"}, {"re-integratie", "Re-integratietraject"}}},
	{broker.SectorDebt, "kredietbank", "Kredietbank", [][2]string{{"schuldregeling", "Schuldregeling"}, {"budgetbeheer", "Budgetbeheer"}, {"beschermingsbewind", "Beschermingsbewind"}}},
	{broker.SectorYouth, "cjg", "Centrum voor Jeugd en Gezin", [][2]string{{"opvoedondersteuning", "Opvoedondersteuning"}, {"gezinscoaching", "Gezinscoaching"}, {"jeugdhulp", "Jeugdhulp"}}},
	{broker.SectorSocialServices, "sociale-dienst", "Sociale dienst", [][2]string{{"bijstand", "Bijstandsuitkering"}, {"bijzondere-bijstand", "Bijzondere bijstand"}}},
	{broker.SectorWMO, "wmo", "Wmo-loket", [][2]string{{"huishoudelijke-hulp", "Huishoudelijke hulp"}, {"begeleiding", "Begeleiding"}}},
	{broker.SectorHealth, "ggd", "GGD", [][2]string{{"jgz", "Jeugdgezondheidszorg"}, {"ggz", "GGZ-behandeling"}}},
	// MEE gives cliëntondersteuning under the Wmo; a partner of sector other
	// may not key involvements by BSN (policy data bsn.sectors, Wabb).
	{broker.SectorWMO, "mee", "MEE", [][2]string{{"clientondersteuning", "Cliëntondersteuning"}}},
}

// MunicipalityID names municipality m.
func MunicipalityID(m int) string { return fmt.Sprintf("gem-%02d", m+1) }

func (d *Dataset) makePartners() {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	all := make([]string, d.cfg.Municipalities)
	for m := range all {
		all[m] = MunicipalityID(m)
	}
	for m := range d.cfg.Municipalities {
		p := broker.Partner{ID: all[m], Name: fmt.Sprintf("Gemeente %d (sociaal team)", m+1),
			Sector: broker.SectorMunicipality, Municipalities: []string{all[m]},
			Roles: []broker.Role{broker.RoleCoordinator, broker.RoleProfessional}, Level: 1 + m%4,
			Covenant: Covenant, Status: broker.PartnerActive, CreatedAt: created, UpdatedAt: created, Revision: 1}
		d.municipalities = append(d.municipalities, d.withKey(p, m))
	}
	i := 0
	for _, s := range sectorNames {
		for k := range d.cfg.PartnersPerSector {
			p := broker.Partner{ID: fmt.Sprintf("%s-%d", s.stem, k+1), Name: fmt.Sprintf("%s %d", s.title, k+1),
				Sector: s.sector, Municipalities: all, Roles: []broker.Role{broker.RoleConnector, broker.RoleProfessional},
				Level: 2 + (i % 3), Covenant: Covenant, Status: broker.PartnerActive, CreatedAt: created, UpdatedAt: created, Revision: 1}
			if i%7 == 6 {
				p.Covenant = OldCovenant
			}
			if i%5 == 4 {
				p.Level = 1
			}
			d.partners = append(d.partners, d.withKey(p, i))
			i++
		}
	}
	for i := range d.municipalities {
		d.byID[d.municipalities[i].ID] = &d.municipalities[i]
	}
	for i := range d.partners {
		d.byID[d.partners[i].ID] = &d.partners[i]
	}
}

// withKey derives p's Ed25519 key from the seed and sets its JWKS.
func (d *Dataset) withKey(p broker.Partner, index int) Partner {
	seed := sha256.Sum256([]byte(fmt.Sprintf("ketenbrug-dataset/%d/key/%s", d.cfg.Seed, p.ID)))
	key := ed25519.NewKeyFromSeed(seed[:])
	kid := p.ID + "-1"
	jwk := map[string]string{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": kid,
		"x": base64.RawURLEncoding.EncodeToString(key.Public().(ed25519.PublicKey))}
	p.JWKS, _ = json.Marshal(map[string]any{"keys": []any{jwk}})
	return Partner{Partner: p, Key: key, KeyID: kid, Index: index}
}

// Municipalities returns the municipalities, in order.
func (d *Dataset) Municipalities() []Partner { return d.municipalities }

// ChainPartners returns the chain partners (every sector but
// municipality), in order.
func (d *Dataset) ChainPartners() []Partner { return d.partners }

// Partner returns the partner with id.
func (d *Dataset) Partner(id string) (*Partner, bool) {
	p, ok := d.byID[id]
	return p, ok
}

// --- persons and BSNs ------------------------------------------------------

// The BSN space: a BSN is d1..d7 (any seven digits, 0000000 excepted), a
// check position d8 solved from the elfproef, and d9. For every d1..d7 and
// nine of the ten values of d9 exactly one d8 in 0..9 passes the elfproef
// (for the tenth it would have to be 10), so (d1..d7, t) with t < 9 names a
// distinct valid BSN.
const bsnSpace = 9_000_000 * 9

// BSN returns person i's BSN, nine digits passing the elfproef. Distinct
// persons have distinct BSNs.
func (d *Dataset) BSN(i int) string {
	var b [9]byte
	d.bsnDigits(i, &b)
	return string(b[:])
}

func (d *Dataset) bsnDigits(i int, b *[9]byte) {
	// An affine bijection of [0, bsnSpace) scatters neighbours.
	hi, lo := bits.Mul64(uint64(i), d.bsnA)
	_, x := bits.Div64(hi, lo, bsnSpace)
	x = (x + d.bsnB) % bsnSpace
	q, t := 1_000_000+x/9, int(x%9) // d1..d7 = q, never all zero
	s7 := 0
	for k := 6; k >= 0; k-- {
		dig := int(q % 10)
		q /= 10
		b[k] = byte('0' + dig)
		s7 += (9 - k) * dig
	}
	// 9·d1 + … + 3·d7 + 2·d8 − d9 ≡ 0 (mod 11): d8 = 6·(d9 − s7) mod 11
	// (6 is the inverse of 2). Skip the d9 whose d8 would be 10.
	n := 0
	for d9 := 0; d9 < 10; d9++ {
		d8 := ((6*(d9-s7))%11 + 11) % 11
		if d8 == 10 {
			continue
		}
		if n == t {
			b[7], b[8] = byte('0'+d8), byte('0'+d9)
			return
		}
		n++
	}
	panic("unreachable")
}

// Person is one person of the data set.
type Person struct {
	Index int
	BSN   string
	// Household is the person's household, -1 for a person living alone
	// (not registered as a household).
	Household int
	// Member is the person's position among the household's members.
	Member    int
	Role      string // parent, child or other
	BirthYear int
}

// Person returns person i.
func (d *Dataset) Person(i int) Person {
	p := Person{Index: i, BSN: d.BSN(i), Household: -1, Role: broker.MemberOther}
	if h := d.householdOfPerson(i); h >= 0 {
		p.Household, p.Member = h, i-int(d.start[h])
		p.Role, p.BirthYear = d.memberFacts(h, p.Member)
		return p
	}
	r := splitmix(d.cfg.Seed ^ 0x706572736f6e ^ uint64(i)*0x9e3779b97f4a7c15)
	p.BirthYear = d.cfg.Today.Year() - 18 - int(r.next()%70)
	return p
}

func (d *Dataset) householdOfPerson(i int) int {
	if i >= int(d.start[len(d.start)-1]) {
		return -1
	}
	// The last household whose start is <= i.
	return sort.Search(len(d.start)-1, func(h int) bool { return int(d.start[h+1]) > i })
}

// Persons returns the number of persons.
func (d *Dataset) Persons() int { return d.cfg.Persons }

// --- households ------------------------------------------------------------

// Household sizes and how often they occur (Dutch households that get
// integrated support: many single parents, some large families).
var householdSizes = []struct{ size, weight int }{{1, 22}, {2, 26}, {3, 20}, {4, 18}, {5, 9}, {6, 5}}

func (d *Dataset) layoutHouseholds() {
	d.start = make([]int32, d.cfg.Households+1)
	total := 0
	for _, s := range householdSizes {
		total += s.weight
	}
	n := 0
	for h := range d.cfg.Households {
		d.start[h] = int32(n)
		r := splitmix(d.cfg.Seed ^ 0x686f757365 ^ uint64(h)*0xbf58476d1ce4e5b9)
		w := int(r.next() % uint64(total))
		size := 1
		for _, s := range householdSizes {
			if w < s.weight {
				size = s.size
				break
			}
			w -= s.weight
		}
		// Keep one person for each household still to come.
		size = max(1, min(size, d.cfg.Persons-n-(d.cfg.Households-h-1)))
		n += size
	}
	d.start[d.cfg.Households] = int32(n)
}

// Households returns the number of households.
func (d *Dataset) Households() int { return d.cfg.Households }

// HouseholdID names household h.
func HouseholdID(h int) string { return "hh-" + strconv.Itoa(h+1) }

// HouseholdMunicipality returns the municipality (index) of household h:
// households are dealt out to municipalities in turn.
func (d *Dataset) HouseholdMunicipality(h int) int { return h % d.cfg.Municipalities }

// HouseholdOf returns the k-th household of municipality m, and how many
// it has.
func (d *Dataset) HouseholdOf(m, k int) (h, count int) {
	count = (d.cfg.Households - m + d.cfg.Municipalities - 1) / d.cfg.Municipalities
	if count == 0 {
		return -1, 0
	}
	return m + (k%count)*d.cfg.Municipalities, count
}

// Household is one household as registered, with its members' BSNs.
type Household struct {
	Index        int
	ID           string
	Municipality string
	Area         string
	Coordinator  broker.Actor
	Members      []Member
}

// Member is a household member with its person index and BSN.
type Member struct {
	Person    int
	BSN       string
	Label     string
	Role      string
	BirthYear int
	Shielded  bool
}

// memberFacts returns the role and birth year of member k of household h:
// up to two parents, then children.
func (d *Dataset) memberFacts(h, k int) (string, int) {
	size := int(d.start[h+1] - d.start[h])
	r := splitmix(d.cfg.Seed ^ 0x6d656d626572 ^ uint64(h)<<8 ^ uint64(k))
	year := d.cfg.Today.Year()
	switch {
	case size == 1:
		return broker.MemberOther, year - 20 - int(r.next()%60)
	case k < 2 && (k == 0 || size > 2):
		return broker.MemberParent, year - 28 - int(r.next()%25)
	case size == 2 && k == 1 && r.next()%3 == 0:
		return broker.MemberParent, year - 28 - int(r.next()%25)
	default:
		return broker.MemberChild, year - int(r.next()%18)
	}
}

// Household returns household h.
func (d *Dataset) Household(h int) Household {
	m := d.HouseholdMunicipality(h)
	r := splitmix(d.cfg.Seed ^ 0x6172656173 ^ uint64(h)*0x94d049bb133111eb)
	area := fmt.Sprintf("wijk-%d", 1+r.next()%5)
	out := Household{Index: h, ID: HouseholdID(h), Municipality: MunicipalityID(m), Area: area,
		Coordinator: broker.Actor{Partner: MunicipalityID(m), Sub: "regisseur-" + area}}
	parents, children := 0, 0
	for i := int(d.start[h]); i < int(d.start[h+1]); i++ {
		k := i - int(d.start[h])
		role, year := d.memberFacts(h, k)
		label := "bewoner"
		switch role {
		case broker.MemberParent:
			parents++
			label = "ouder " + strconv.Itoa(parents)
		case broker.MemberChild:
			children++
			label = "kind " + strconv.Itoa(children)
		}
		out.Members = append(out.Members, Member{Person: i, BSN: d.BSN(i), Label: label, Role: role, BirthYear: year,
			Shielded: r.next()%400 == 0})
	}
	return out
}

// --- involvements ------------------------------------------------------------

// Involvement is one involvement as its partner registers it.
type Involvement struct {
	Index   int
	Partner string
	Ref     string
	Person  int
	Input   broker.InvolvementInput
}

// InvolvementRef is the partner's reference of involvement j: "d" and j in
// ten digits, so a partner's references sort in index order.
func InvolvementRef(j int) string {
	var b [11]byte
	b[0] = 'd'
	for k, n := 10, j; k > 0; k-- {
		b[k] = byte('0' + n%10)
		n /= 10
	}
	return string(b[:])
}

// Involvements returns the number of involvements.
func (d *Dataset) Involvements() int { return d.cfg.Involvements }

// InvolvementOf returns the index of the k-th involvement of chain partner
// p (an index into ChainPartners), and how many p has: involvements are
// dealt out to partners in turn.
func (d *Dataset) InvolvementOf(p, k int) (j, count int) {
	n := len(d.partners)
	count = (d.cfg.Involvements - p + n - 1) / n
	if count == 0 {
		return -1, 0
	}
	return p + (k%count)*n, count
}

// Involvement returns involvement j. Its person is drawn at random (a
// person has three involvements on average, some none, a few many).
func (d *Dataset) Involvement(j int) Involvement {
	p := &d.partners[j%len(d.partners)]
	r := splitmix(d.cfg.Seed ^ 0x696e766f6c76 ^ uint64(j)*0xd6e8feb86659fd93)
	person := int(r.next() % uint64(d.cfg.Persons))
	var services [][2]string
	for _, s := range sectorNames {
		if s.sector == p.Sector {
			services = s.services
		}
	}
	svc := services[r.next()%uint64(len(services))]
	start := d.cfg.Today.AddDate(0, 0, -int(r.next()%1500))
	in := broker.InvolvementInput{BSN: d.BSN(person), Service: svc[0], ServiceLabel: svc[1],
		Status: broker.InvolvementActive, Start: start.Format(time.DateOnly),
		Contact: broker.Contact{Name: fmt.Sprintf("Medewerker %d", 1+r.next()%500),
			Phone: fmt.Sprintf("030-%07d", r.next()%10_000_000)}}
	switch x := r.next() % 20; {
	case x < 2:
		in.Status = broker.InvolvementEnded
		end := start.AddDate(0, 0, int(r.next()%365))
		if end.After(d.cfg.Today) {
			end = d.cfg.Today
		}
		in.End = end.Format(time.DateOnly)
	case x < 3:
		in.Status = broker.InvolvementRegistered
	}
	if r.next()%4 == 0 {
		in.Contact.Email = fmt.Sprintf("team%d@%s.example", 1+r.next()%50, p.ID)
	}
	return Involvement{Index: j, Partner: p.ID, Ref: InvolvementRef(j), Person: person, Input: in}
}

// --- consents ----------------------------------------------------------------

// Consents returns the consents of person i for Purpose: none for about
// 1 − ConsentShare of persons; for the others one (a few have an older,
// expired one too), some of them withdrawn. A child's consent is given by
// a parent.
func (d *Dataset) Consents(i int) []broker.Consent {
	r := splitmix(d.cfg.Seed ^ 0x636f6e73656e74 ^ uint64(i)*0x9e3779b97f4a7c15)
	if float64(r.next()%1_000_000)/1_000_000 >= d.cfg.ConsentShare {
		return nil
	}
	p := d.Person(i)
	by := broker.GivenBySelf
	if p.Role == broker.MemberChild && d.cfg.Today.Year()-p.BirthYear < 16 {
		by = broker.GivenByParent
	}
	municipality := MunicipalityID(0)
	if p.Household >= 0 {
		municipality = MunicipalityID(d.HouseholdMunicipality(p.Household))
	}
	recorded := d.cfg.Today.AddDate(0, 0, -int(1+r.next()%300))
	c := broker.Consent{ID: "c-" + strconv.Itoa(i) + "-1", Purpose: Purpose, GivenBy: by,
		Evidence:   "dossier " + strconv.Itoa(int(r.next()%100000)),
		ValidFrom:  recorded.Format(time.DateOnly),
		ValidUntil: recorded.AddDate(2, 0, 0).Format(time.DateOnly),
		RecordedBy: broker.Actor{Partner: municipality, Sub: "consulent"}, RecordedAt: recorded,
		NotConditional: true}
	if r.next()%5 == 0 {
		c.AllSectors = true
	} else {
		// A consent naming sectors is explicit (it may name youth care).
		c.Explicit = true
		for _, s := range sectorNames {
			if r.next()%2 == 0 {
				c.Sectors = append(c.Sectors, s.sector)
			}
		}
		if len(c.Sectors) == 0 {
			c.Sectors = []broker.Sector{broker.SectorYouth, broker.SectorEducation}
		}
	}
	out := []broker.Consent{c}
	if r.next()%25 == 0 {
		w := recorded.AddDate(0, 0, int(r.next()%30))
		out[0].Withdrawn = &broker.Withdrawal{At: w, By: c.RecordedBy, Reason: "ingetrokken"}
	}
	if r.next()%10 == 0 {
		old := c
		old.ID = "c-" + strconv.Itoa(i) + "-0"
		old.ValidFrom = recorded.AddDate(-3, 0, 0).Format(time.DateOnly)
		old.ValidUntil = recorded.AddDate(-1, 0, 0).Format(time.DateOnly)
		old.RecordedAt = recorded.AddDate(-3, 0, 0)
		old.Sectors = slices.Clone(c.Sectors)
		out = append(out, old)
	}
	return out
}

// --- randomness ----------------------------------------------------------------

// splitmix is SplitMix64: tiny, fast, and good enough to make synthetic
// data; seeded per entity, so entities are independent of each other.
type splitmixState struct{ s uint64 }

func splitmix(seed uint64) *splitmixState { return &splitmixState{s: seed} }

func (r *splitmixState) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Uint64 exposes the generator for load tools that want the same kind of
// cheap, seeded randomness.
func Uint64(seed, n uint64) uint64 { return splitmix(seed ^ n*0x9e3779b97f4a7c15).next() }
