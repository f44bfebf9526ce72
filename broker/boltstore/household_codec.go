package boltstore

import (
	"math"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Household, format 2 (codec_fields.go):
//
//	0x02
//	1 ID  2 Municipality  3 Area  4 Coordinator (nested: 1 Partner, 2 Sub)
//	5 Member, repeated in order (nested: 1 Label, 2 Subject, 3 Role,
//	  4 BirthYear (varint), 5 BirthDate, 6 Shielded (flag))
//	6 Members is an empty list, not none (flag)
//	7 PlanTerm (nested: 1 Purpose, 2 Ends)
//	8 CreatedAt  9 UpdatedAt  10 Revision
//
// A household row was JSON before it (61 bytes of every involvement's
// share of the file in a loaded region, the second largest table); JSON
// rows stay readable.
const formatHouseholdV1 = 0x02

type householdCodec struct{}

func (householdCodec) format() byte { return formatHouseholdV1 }

func (householdCodec) encode(dst []byte, h *broker.Household) []byte {
	f := fields(append(dst, formatHouseholdV1))
	f = f.str(1, h.ID).str(2, h.Municipality).str(3, h.Area)
	f = f.nested(4, actorFields(h.Coordinator))
	for i := range h.Members {
		m := &h.Members[i]
		f = f.nested(5, fields(nil).str(1, m.Label).str(2, string(m.Subject)).str(3, m.Role).
			int(4, int64(m.BirthYear)).str(5, m.BirthDate).flag(6, m.Shielded))
	}
	f = f.flag(6, h.Members != nil && len(h.Members) == 0)
	if h.PlanTerm != nil {
		f = f.nested(7, fields(nil).str(1, h.PlanTerm.Purpose).str(2, h.PlanTerm.Ends))
	}
	return f.time(8, h.CreatedAt).time(9, h.UpdatedAt).uint(10, h.Revision)
}

func (householdCodec) decode(raw []byte, h *broker.Household) error {
	if len(raw) == 0 || raw[0] != formatHouseholdV1 {
		return errShortValue
	}
	r := &fieldReader{p: raw[1:]}
	for tag, ok := r.next(); ok; tag, ok = r.next() {
		switch tag {
		case 1:
			h.ID = r.str()
		case 2:
			h.Municipality = r.str()
		case 3:
			h.Area = r.str()
		case 4:
			r.nested(func(in *fieldReader) { h.Coordinator = readActor(in) })
		case 5:
			r.nested(func(in *fieldReader) { h.Members = append(h.Members, readMember(in)) })
		case 6:
			h.Members = []broker.Member{}
		case 7:
			h.PlanTerm = &broker.PlanTerm{}
			r.nested(func(in *fieldReader) {
				for tag, ok := in.next(); ok; tag, ok = in.next() {
					switch tag {
					case 1:
						h.PlanTerm.Purpose = in.str()
					case 2:
						h.PlanTerm.Ends = in.str()
					default:
						in.unknown()
					}
				}
			})
		case 8:
			h.CreatedAt = r.time()
		case 9:
			h.UpdatedAt = r.time()
		case 10:
			h.Revision = r.uint()
		default:
			r.unknown()
		}
	}
	return r.err
}

func readMember(in *fieldReader) broker.Member {
	var m broker.Member
	for tag, ok := in.next(); ok; tag, ok = in.next() {
		switch tag {
		case 1:
			m.Label = in.str()
		case 2:
			m.Subject = broker.Pseudonym(in.str())
		case 3:
			m.Role = in.str()
		case 4:
			y := in.int()
			if y < math.MinInt32 || y > math.MaxInt32 {
				in.fail()
			}
			m.BirthYear = int(y)
		case 5:
			m.BirthDate = in.str()
		case 6:
			m.Shielded = true
		default:
			in.unknown()
		}
	}
	return m
}

func actorFields(a broker.Actor) fields { return fields(nil).str(1, a.Partner).str(2, a.Sub) }

func readActor(in *fieldReader) broker.Actor {
	var a broker.Actor
	for tag, ok := in.next(); ok; tag, ok = in.next() {
		switch tag {
		case 1:
			a.Partner = in.str()
		case 2:
			a.Sub = in.str()
		default:
			in.unknown()
		}
	}
	return a
}
