package batch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/leadscore/leadscore"
)

// The spill format is a private, compact binary encoding of leads and
// events in the bucket files. It exists because gob and JSON cost several
// times more CPU per event, and the spill is written and read once per
// event of the input. Records are framed by a tag byte:
//
//	'L' seq line lead hasAccount [account]
//	'E' seq event
//
// Integers are varints; strings are a length and bytes; any-values carry a
// type tag so that Fields and Properties decode to exactly the Go types they
// had, which keeps batch scores identical to scoring the same values
// directly.

const (
	tagLead  = 'L'
	tagEvent = 'E'
)

const (
	vNil byte = iota
	vFalse
	vTrue
	vFloat
	vString
	vList
	vMap
	vInt64
	vStrings
	vTime
	vInt
)

func putUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }
func putVarint(b []byte, v int64) []byte   { return binary.AppendVarint(b, v) }

func putString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func putBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func putTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

func putFloat(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

func putValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, vNil), nil
	case bool:
		if x {
			return append(b, vTrue), nil
		}
		return append(b, vFalse), nil
	case float64:
		return putFloat(append(b, vFloat), x), nil
	case string:
		return putString(append(b, vString), x), nil
	case int64:
		return putVarint(append(b, vInt64), x), nil
	case int:
		return putVarint(append(b, vInt), int64(x)), nil
	case time.Time:
		return putTime(append(b, vTime), x), nil
	case []string:
		b = putUvarint(append(b, vStrings), uint64(len(x)))
		for _, s := range x {
			b = putString(b, s)
		}
		return b, nil
	case []any:
		b = putUvarint(append(b, vList), uint64(len(x)))
		var err error
		for _, e := range x {
			if b, err = putValue(b, e); err != nil {
				return b, err
			}
		}
		return b, nil
	case map[string]any:
		return putMap(append(b, vMap), x)
	}
	return b, fmt.Errorf("cannot spill a value of type %T", v)
}

// putMap writes a map; a nil map and an empty one are told apart so that a
// decoded record equals the original.
func putMap(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, 0), nil
	}
	b = putUvarint(b, uint64(len(m))+1)
	var err error
	for k, v := range m {
		b = putString(b, k)
		if b, err = putValue(b, v); err != nil {
			return b, err
		}
	}
	return b, nil
}

func putStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, 0)
	}
	b = putUvarint(b, uint64(len(ss))+1)
	for _, s := range ss {
		b = putString(b, s)
	}
	return b
}

// appendLead encodes a lead record.
func appendLead(b []byte, seq uint32, line int, l *leadscore.Lead, a *leadscore.Account) ([]byte, error) {
	b = append(b, tagLead)
	b = putUvarint(b, uint64(seq))
	b = putUvarint(b, uint64(line))
	for _, s := range [...]string{l.ID, l.Email, l.FirstName, l.LastName, l.Title, l.Phone, l.Country, l.State, l.City, l.Source, l.AccountID} {
		b = putString(b, s)
	}
	b = putTime(b, l.CreatedAt)
	var err error
	if b, err = putMap(b, l.Fields); err != nil {
		return b, err
	}
	if a == nil {
		return append(b, 0), nil
	}
	b = append(b, 1)
	for _, s := range [...]string{a.ID, a.Domain, a.Name, a.Industry, a.Country} {
		b = putString(b, s)
	}
	if a.Employees != nil {
		b = putVarint(append(b, 1), *a.Employees)
	} else {
		b = append(b, 0)
	}
	if a.Revenue != nil {
		b = putFloat(append(b, 1), *a.Revenue)
	} else {
		b = append(b, 0)
	}
	b = putBool(b, a.Priority)
	b = putStrings(b, a.Lists)
	return putMap(b, a.Fields)
}

// appendEvent encodes an event; its LeadID is not stored because the
// event is filed under the lead's sequence number.
func appendEvent(b []byte, seq uint32, e *leadscore.Event) ([]byte, error) {
	b = append(b, tagEvent)
	b = putUvarint(b, uint64(seq))
	b = putString(b, e.ID)
	b = putString(b, e.Type)
	b = putTime(b, e.At)
	b = putString(b, e.Source)
	b = putString(b, e.UserAgent)
	b = putBool(b, e.Bot)
	b = putString(b, e.BotReason)
	return putMap(b, e.Properties)
}

var errCorrupt = errors.New("corrupt spill record")

// decoder reads the spill format from a string, so that decoded strings
// are slices of it and decoding allocates nothing per string. The bucket's
// string stays alive while any decoded record is in use, which is for the
// time its bucket is scored.
type decoder struct {
	s   string
	pos int
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.pos = len(d.s)
}

func (d *decoder) byte() byte {
	if d.pos >= len(d.s) {
		d.fail()
		return 0
	}
	c := d.s[d.pos]
	d.pos++
	return c
}

func (d *decoder) uvarint() uint64 {
	var x uint64
	var shift uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.pos >= len(d.s) {
			d.fail()
			return 0
		}
		c := d.s[d.pos]
		d.pos++
		if c < 0x80 {
			return x | uint64(c)<<shift
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	d.fail()
	return 0
}

func (d *decoder) varint() int64 {
	ux := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.s)-d.pos) {
		d.fail()
		return ""
	}
	s := d.s[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return s
}

func (d *decoder) bool() bool { return d.byte() == 1 }

func (d *decoder) time() time.Time {
	if d.byte() == 0 {
		return time.Time{}
	}
	sec := d.varint()
	nsec := d.uvarint()
	return time.Unix(sec, int64(nsec)).UTC()
}

func (d *decoder) float() float64 {
	if len(d.s)-d.pos < 8 {
		d.fail()
		return 0
	}
	var u uint64
	for i := 7; i >= 0; i-- {
		u = u<<8 | uint64(d.s[d.pos+i])
	}
	d.pos += 8
	return math.Float64frombits(u)
}

// maxDepth bounds nesting of decoded values.
const maxDepth = 64

func (d *decoder) value(depth int) any {
	if depth > maxDepth {
		d.fail()
		return nil
	}
	switch d.byte() {
	case vNil:
		return nil
	case vFalse:
		return false
	case vTrue:
		return true
	case vFloat:
		return d.float()
	case vString:
		return d.string()
	case vInt64:
		return d.varint()
	case vInt:
		return int(d.varint())
	case vTime:
		return d.time()
	case vStrings:
		n := d.count()
		out := make([]string, 0, n)
		for range n {
			out = append(out, d.string())
		}
		return out
	case vList:
		n := d.count()
		out := make([]any, 0, n)
		for range n {
			out = append(out, d.value(depth+1))
		}
		return out
	case vMap:
		return d.mapValue(depth + 1)
	}
	d.fail()
	return nil
}

// count reads a length and checks it against the bytes left, so corrupt
// input cannot make a huge allocation.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.s)-d.pos) {
		d.fail()
		return 0
	}
	return int(n)
}

// lenPlusOne reads the length of a map or list that tells nil from empty
// (0 is nil, n+1 is n elements), bounded like count.
func (d *decoder) lenPlusOne() (int, bool) {
	n := d.uvarint()
	if n == 0 {
		return 0, false
	}
	n--
	if n > uint64(len(d.s)-d.pos) {
		d.fail()
		return 0, false
	}
	return int(n), true
}

func (d *decoder) mapValue(depth int) map[string]any {
	n, ok := d.lenPlusOne()
	if !ok {
		return nil
	}
	m := make(map[string]any, n)
	for range n {
		k := d.string()
		m[k] = d.value(depth)
		if d.err != nil {
			return nil
		}
	}
	return m
}

func (d *decoder) strings() []string {
	n, ok := d.lenPlusOne()
	if !ok {
		return nil
	}
	out := make([]string, 0, n)
	for range n {
		out = append(out, d.string())
	}
	return out
}

// leadItem is a decoded lead record.
type leadItem struct {
	seq     uint32
	line    int
	lead    leadscore.Lead
	account *leadscore.Account
}

func (d *decoder) lead(it *leadItem) {
	it.seq = uint32(d.uvarint())
	it.line = int(d.uvarint())
	l := &it.lead
	for _, p := range [...]*string{&l.ID, &l.Email, &l.FirstName, &l.LastName, &l.Title, &l.Phone, &l.Country, &l.State, &l.City, &l.Source, &l.AccountID} {
		*p = d.string()
	}
	l.CreatedAt = d.time()
	l.Fields = d.mapValue(0)
	if d.byte() == 0 {
		return
	}
	a := &leadscore.Account{}
	for _, p := range [...]*string{&a.ID, &a.Domain, &a.Name, &a.Industry, &a.Country} {
		*p = d.string()
	}
	if d.byte() == 1 {
		n := d.varint()
		a.Employees = &n
	}
	if d.byte() == 1 {
		f := d.float()
		a.Revenue = &f
	}
	a.Priority = d.bool()
	a.Lists = d.strings()
	a.Fields = d.mapValue(0)
	it.account = a
}

func (d *decoder) event(e *leadscore.Event) uint32 {
	seq := uint32(d.uvarint())
	e.ID = d.string()
	e.Type = d.string()
	e.At = d.time()
	e.Source = d.string()
	e.UserAgent = d.string()
	e.Bot = d.bool()
	e.BotReason = d.string()
	e.Properties = d.mapValue(0)
	return seq
}

// skipEventBody skips an event record after its sequence number without
// building any value.
func (d *decoder) skipEventBody() {
	d.skipString() // id
	d.skipString() // type
	d.skipTime()
	d.skipString() // source
	d.skipString() // user agent
	d.byte()       // bot
	d.skipString() // bot reason
	d.skipMap(0)
}

func (d *decoder) skipString() {
	n := d.uvarint()
	if n > uint64(len(d.s)-d.pos) {
		d.fail()
		return
	}
	d.pos += int(n)
}

func (d *decoder) skipTime() {
	if d.byte() != 0 {
		d.uvarint()
		d.uvarint()
	}
}

func (d *decoder) skipMap(depth int) {
	n, _ := d.lenPlusOne()
	for range n {
		d.skipString()
		d.skipValue(depth + 1)
		if d.err != nil {
			return
		}
	}
}

func (d *decoder) skipValue(depth int) {
	if depth > maxDepth {
		d.fail()
		return
	}
	switch d.byte() {
	case vNil, vFalse, vTrue:
	case vFloat:
		if len(d.s)-d.pos < 8 {
			d.fail()
			return
		}
		d.pos += 8
	case vString:
		d.skipString()
	case vInt64, vInt:
		d.uvarint()
	case vTime:
		d.skipTime()
	case vStrings:
		for range d.count() {
			d.skipString()
		}
	case vList:
		for range d.count() {
			d.skipValue(depth + 1)
		}
	case vMap:
		d.skipMap(depth)
	default:
		d.fail()
	}
}
