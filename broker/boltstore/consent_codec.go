package boltstore

import "github.com/ketenbrug/ketenbrug/broker"

// Consent, format 3 (codec_fields.go):
//
//	0x03
//	1 ID  2 Subject  3 Purpose  4 AllSectors (flag)  5 Sector, repeated
//	6 Partner, repeated  7 GivenBy  8 Evidence  9 Explicit (flag)
//	10 NotConditional (flag)  11 ValidFrom  12 ValidUntil
//	13 RecordedBy (nested actor: 1 Partner, 2 Sub)  14 RecordedAt
//	15 Withdrawn (nested: 1 At, 2 By (nested actor), 3 Reason)
//
// A consent row was JSON before it (84 bytes of every involvement's share
// of the file in a loaded region); JSON rows stay readable.
const formatConsentV1 = 0x03

type consentCodec struct{}

func (consentCodec) format() byte { return formatConsentV1 }

func (consentCodec) encode(dst []byte, c *broker.Consent) []byte {
	f := fields(append(dst, formatConsentV1))
	f = f.str(1, c.ID).str(2, string(c.Subject)).str(3, c.Purpose).flag(4, c.AllSectors)
	for _, s := range c.Sectors {
		f = f.item(5, string(s))
	}
	for _, p := range c.Partners {
		f = f.item(6, p)
	}
	f = f.str(7, c.GivenBy).str(8, c.Evidence).flag(9, c.Explicit).flag(10, c.NotConditional)
	f = f.str(11, c.ValidFrom).str(12, c.ValidUntil).nested(13, actorFields(c.RecordedBy)).time(14, c.RecordedAt)
	if w := c.Withdrawn; w != nil {
		f = f.nested(15, fields(nil).time(1, w.At).nested(2, actorFields(w.By)).str(3, w.Reason))
	}
	return f
}

func (consentCodec) decode(raw []byte, c *broker.Consent) error {
	if len(raw) == 0 || raw[0] != formatConsentV1 {
		return errShortValue
	}
	r := &fieldReader{p: raw[1:]}
	for tag, ok := r.next(); ok; tag, ok = r.next() {
		switch tag {
		case 1:
			c.ID = r.str()
		case 2:
			c.Subject = broker.Pseudonym(r.str())
		case 3:
			c.Purpose = r.str()
		case 4:
			c.AllSectors = true
		case 5:
			c.Sectors = append(c.Sectors, broker.Sector(r.str()))
		case 6:
			c.Partners = append(c.Partners, r.str())
		case 7:
			c.GivenBy = r.str()
		case 8:
			c.Evidence = r.str()
		case 9:
			c.Explicit = true
		case 10:
			c.NotConditional = true
		case 11:
			c.ValidFrom = r.str()
		case 12:
			c.ValidUntil = r.str()
		case 13:
			r.nested(func(in *fieldReader) { c.RecordedBy = readActor(in) })
		case 14:
			c.RecordedAt = r.time()
		case 15:
			c.Withdrawn = &broker.Withdrawal{}
			r.nested(func(in *fieldReader) {
				for tag, ok := in.next(); ok; tag, ok = in.next() {
					switch tag {
					case 1:
						c.Withdrawn.At = in.time()
					case 2:
						in.nested(func(a *fieldReader) { c.Withdrawn.By = readActor(a) })
					case 3:
						c.Withdrawn.Reason = in.str()
					default:
						in.unknown()
					}
				}
			})
		default:
			r.unknown()
		}
	}
	return r.err
}
