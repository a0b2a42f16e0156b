package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
)

// SegmentMaxMessageBytes is Segment's own limit on one message, so a payload
// that Segment accepts is accepted here too.
const SegmentMaxMessageBytes = 32 << 10

// SegmentOptions tunes the Segment parsers. The zero value is Segment's
// behaviour.
type SegmentOptions struct {
	// MaxMessageBytes is the largest raw JSON of one message; a larger one
	// is rejected on its own. Zero means SegmentMaxMessageBytes.
	MaxMessageBytes int
}

func (o SegmentOptions) maxMessage() int {
	if o.MaxMessageBytes > 0 {
		return o.MaxMessageBytes
	}
	return SegmentMaxMessageBytes
}

// SegmentPayload is one Segment-compatible request body: the write key it
// carried, if any, and one item per message in the order they were sent.
type SegmentPayload struct {
	// WriteKey is the body's top-level writeKey, which browser SDKs send
	// instead of HTTP Basic authentication. Empty when absent.
	WriteKey string
	Items    []SegmentItem
}

// SegmentItem is the outcome for one input position: a message, or the
// reason it was rejected. Message.MessageID is filled whenever the input
// had one, rejected or not, so that a report can name the message.
type SegmentItem struct {
	Message leadscore.Message
	// Err is empty for an accepted message.
	Err string
}

// OK reports whether the item holds a valid message.
func (it *SegmentItem) OK() bool { return it.Err == "" }

// Messages returns the valid messages, in input order.
func (p *SegmentPayload) Messages() []leadscore.Message {
	out := make([]leadscore.Message, 0, len(p.Items))
	for i := range p.Items {
		if p.Items[i].OK() {
			out = append(out, p.Items[i].Message)
		}
	}
	return out
}

// ParseSegmentBatch parses a /v1/batch body: {"batch": [...], "sentAt",
// "context", "writeKey"}. receivedAt is the server's clock when the request
// arrived; every timestamp correction is made against it.
//
// The error is non-nil only when the body as a whole cannot be read: it is
// not JSON, not an object, or has no batch array. A bad message never
// fails the batch; it becomes an item with Err set.
func ParseSegmentBatch(body []byte, receivedAt time.Time, opt SegmentOptions) (*SegmentPayload, error) {
	var env struct {
		Batch    json.RawMessage `json:"batch"`
		SentAt   json.RawMessage `json:"sentAt"`
		Context  json.RawMessage `json:"context"`
		WriteKey json.RawMessage `json:"writeKey"`
	}
	if err := segDecodeEnvelope(body, &env); err != nil {
		return nil, err
	}
	if segIsNull(env.Batch) {
		return nil, leadscore.Invalid("batch", "the body has no batch array")
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(env.Batch, &raws); err != nil {
		return nil, leadscore.Invalid("batch", "batch must be an array of messages")
	}
	p := &SegmentPayload{WriteKey: segOptString(env.WriteKey), Items: make([]SegmentItem, len(raws))}
	shared := segShared{sentAt: env.SentAt, context: segParseContext(env.Context), receivedAt: receivedAt}
	for i, raw := range raws {
		p.Items[i] = parseSegmentMessage("", raw, &shared, opt)
	}
	return p, nil
}

// ParseSegmentCall parses the body of a single call (/v1/identify,
// /v1/track, /v1/page, /v1/screen, /v1/group, /v1/alias): one message whose
// kind is given by the endpoint, whatever its own type field says. The
// payload always has exactly one item.
func ParseSegmentCall(kind leadscore.MessageKind, body []byte, receivedAt time.Time, opt SegmentOptions) (*SegmentPayload, error) {
	if !segKnownKind(kind) {
		return nil, leadscore.Invalid("type", "unknown message type %q", kind)
	}
	var env struct {
		WriteKey json.RawMessage `json:"writeKey"`
	}
	if err := segDecodeEnvelope(body, &env); err != nil {
		return nil, err
	}
	p := &SegmentPayload{WriteKey: segOptString(env.WriteKey)}
	shared := segShared{receivedAt: receivedAt}
	p.Items = []SegmentItem{parseSegmentMessage(kind, bytes.TrimSpace(body), &shared, opt)}
	return p, nil
}

// DerivedMessageID is the message id given to a message sent without one: a
// hash of its kind and its JSON with keys sorted, so that a client retrying
// the same message gets the same id and the retry is recognised as a
// duplicate. sentAt and writeKey are left out because a retry may change
// them without changing the message.
func DerivedMessageID(kind leadscore.MessageKind, raw []byte) string {
	canon := raw
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) == nil {
		if m, ok := v.(map[string]any); ok {
			delete(m, "sentAt")
			delete(m, "writeKey")
		}
		// Marshal sorts map keys, which makes the hash independent of key
		// order and whitespace.
		if b, err := json.Marshal(v); err == nil {
			canon = b
		}
	}
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(canon)
	return "derived-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// segShared holds what every message of one body shares.
type segShared struct {
	sentAt     json.RawMessage
	context    segContext
	receivedAt time.Time
}

// segContext is the part of Segment's context object that leadscore uses.
type segContext struct {
	userAgent string
	ip        string
	traits    map[string]any
	page      map[string]any
}

// segWire is one message as sent. Ids stay raw because SDKs differ on
// whether a numeric user id is sent as a number or a string.
type segWire struct {
	Type              json.RawMessage `json:"type"`
	MessageID         json.RawMessage `json:"messageId"`
	UserID            json.RawMessage `json:"userId"`
	AnonymousID       json.RawMessage `json:"anonymousId"`
	PreviousID        json.RawMessage `json:"previousId"`
	GroupID           json.RawMessage `json:"groupId"`
	Event             string          `json:"event"`
	Name              string          `json:"name"`
	Properties        map[string]any  `json:"properties"`
	Traits            map[string]any  `json:"traits"`
	Context           json.RawMessage `json:"context"`
	Timestamp         json.RawMessage `json:"timestamp"`
	OriginalTimestamp json.RawMessage `json:"originalTimestamp"`
	SentAt            json.RawMessage `json:"sentAt"`
}

// segID reads an identifier written as a JSON string or number; ok is
// false for any other JSON value.
func segID(raw json.RawMessage) (id string, ok bool) {
	switch {
	case segIsNull(raw):
		return "", true
	case raw[0] == '"':
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return "", false
		}
		return strings.TrimSpace(v), true
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		return string(raw), true
	}
	return "", false
}

func parseSegmentMessage(kind leadscore.MessageKind, raw []byte, sh *segShared, opt SegmentOptions) SegmentItem {
	var it SegmentItem
	if limit := opt.maxMessage(); len(raw) > limit {
		it.Err = fmt.Sprintf("message is %d bytes; the limit is %d", len(raw), limit)
		return it
	}
	if len(raw) == 0 || raw[0] != '{' {
		it.Err = "message is not a JSON object"
		return it
	}
	var w segWire
	if err := json.Unmarshal(raw, &w); err != nil {
		// The id is worth recovering even from a message that fails to
		// decode, so that the sender can tell which one was rejected.
		var idOnly struct {
			MessageID json.RawMessage `json:"messageId"`
		}
		if json.Unmarshal(raw, &idOnly) == nil {
			it.Message.MessageID, _ = segID(idOnly.MessageID)
		}
		it.Err = segDecodeError(err)
		return it
	}
	m := &it.Message
	for _, f := range [...]struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{
		{"messageId", w.MessageID, &m.MessageID},
		{"userId", w.UserID, &m.UserID},
		{"anonymousId", w.AnonymousID, &m.AnonymousID},
		{"previousId", w.PreviousID, &m.PreviousID},
		{"groupId", w.GroupID, &m.GroupID},
	} {
		id, ok := segID(f.raw)
		if !ok {
			it.Err = f.name + ": must be a string"
			return it
		}
		*f.dst = id
	}
	if kind == "" {
		typ := segOptString(w.Type)
		kind = leadscore.MessageKind(strings.ToLower(typ))
		if kind == "" {
			it.Err = "type: missing; use identify, track, page, screen, group or alias"
			return it
		}
		if !segKnownKind(kind) {
			it.Err = fmt.Sprintf("type: unknown message type %q", truncate(typ, 40))
			return it
		}
	}
	m.Kind = kind
	if msg := segCheckIdentity(m); msg != "" {
		it.Err = msg
		return it
	}

	ctx := sh.context.merge(segParseContext(w.Context))
	m.UserAgent = ctx.userAgent
	m.IP = ctx.ip

	switch kind {
	case leadscore.MsgTrack:
		if strings.TrimSpace(w.Event) == "" {
			it.Err = "event: a track call needs an event name"
			return it
		}
		m.Event = w.Event
		m.Properties = w.Properties
		m.Traits = segCopyMap(ctx.traits)
	case leadscore.MsgPage, leadscore.MsgScreen:
		m.Name = strings.TrimSpace(w.Name)
		props := segCopyMap(w.Properties)
		if m.Name == "" {
			if s, ok := props["name"].(string); ok {
				m.Name = strings.TrimSpace(s)
			}
		}
		if m.Name != "" {
			props = segSetDefault(props, "name", m.Name)
		}
		if kind == leadscore.MsgPage {
			// Browser SDKs put the page's path, url, title and referrer
			// in context.page and not always in properties; rules read
			// them from the event's properties.
			for _, k := range [...]string{"path", "url", "title", "referrer", "search"} {
				if v, ok := ctx.page[k]; ok {
					props = segSetDefault(props, k, v)
				}
			}
		}
		m.Properties = props
		m.Traits = segCopyMap(ctx.traits)
	case leadscore.MsgIdentify:
		// Top-level traits win over context.traits: they are what the
		// identify call is about.
		traits := segCopyMap(ctx.traits)
		for k, v := range w.Traits {
			traits = segSet(traits, k, v)
		}
		m.Traits = traits
	case leadscore.MsgGroup:
		// A group call's traits describe the company, not the person, so
		// the person's context.traits are not mixed in.
		m.Traits = w.Traits
	case leadscore.MsgAlias:
		m.Traits = segCopyMap(ctx.traits)
	}

	at, err := segResolveTime(&w, sh)
	if err != "" {
		it.Err = err
		return it
	}
	m.Timestamp = at
	m.ReceivedAt = sh.receivedAt
	if m.MessageID == "" {
		m.MessageID = DerivedMessageID(kind, raw)
	}
	return it
}

func segCheckIdentity(m *leadscore.Message) string {
	switch m.Kind {
	case leadscore.MsgAlias:
		if m.PreviousID == "" {
			return "previousId: an alias call needs previousId"
		}
		if m.UserID == "" {
			return "userId: an alias call needs userId"
		}
	case leadscore.MsgGroup:
		if m.GroupID == "" {
			return "groupId: a group call needs groupId"
		}
		// Segment requires the person too: a group call attaches someone
		// to an account.
		if m.UserID == "" && m.AnonymousID == "" {
			return "userId: a group call needs userId or anonymousId"
		}
	default:
		if m.UserID == "" && m.AnonymousID == "" {
			return "userId: a message needs userId or anonymousId"
		}
	}
	return ""
}

// segResolveTime applies Segment's rule: timestamp when given; otherwise
// originalTimestamp shifted by the difference between the server's
// receivedAt and the client's sentAt, which cancels a wrong device clock;
// otherwise receivedAt.
func segResolveTime(w *segWire, sh *segShared) (time.Time, string) {
	ts, set, err := segTime(w.Timestamp)
	if err != nil {
		return time.Time{}, "timestamp: " + err.Error()
	}
	if set {
		return segInRange("timestamp", ts)
	}
	orig, set, err := segTime(w.OriginalTimestamp)
	if err != nil {
		return time.Time{}, "originalTimestamp: " + err.Error()
	}
	if !set {
		return sh.receivedAt, ""
	}
	sentRaw := w.SentAt
	if segIsNull(sentRaw) {
		sentRaw = sh.sentAt
	}
	sent, set, err := segTime(sentRaw)
	if err != nil {
		return time.Time{}, "sentAt: " + err.Error()
	}
	if !set {
		// Without sentAt there is nothing to correct against.
		return segInRange("originalTimestamp", orig)
	}
	return segInRange("originalTimestamp", orig.Add(sh.receivedAt.Sub(sent)))
}

// segInRange rejects times that cannot be written back as RFC 3339.
func segInRange(field string, t time.Time) (time.Time, string) {
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, field + ": time is out of range"
	}
	return t.UTC(), ""
}

// segTime reads an optional time: null, absent, "" and the zero time all
// mean unset, since some SDKs serialise an unset time as its zero value.
func segTime(raw json.RawMessage) (time.Time, bool, error) {
	if segIsNull(raw) {
		return time.Time{}, false, nil
	}
	var s string
	switch c := raw[0]; {
	case c == '"':
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, false, errors.New("invalid string")
		}
		if strings.TrimSpace(s) == "" {
			return time.Time{}, false, nil
		}
	case c == '-' || (c >= '0' && c <= '9'):
		s = string(raw)
	default:
		return time.Time{}, false, errors.New("must be an ISO 8601 string")
	}
	t, err := ParseTime(s)
	if err != nil {
		return time.Time{}, false, err
	}
	if t.IsZero() {
		return time.Time{}, false, nil
	}
	return t, true, nil
}

// segParseContext reads the context fields leadscore uses. It is lenient:
// a field of the wrong type is ignored rather than failing the message,
// because context is filled by SDKs and middleware, not by the sender's
// own code, and its other keys are not ours to police.
func segParseContext(raw json.RawMessage) segContext {
	var c segContext
	if segIsNull(raw) || raw[0] != '{' {
		return c
	}
	var f map[string]json.RawMessage
	if json.Unmarshal(raw, &f) != nil {
		return c
	}
	c.userAgent = segOptString(f["userAgent"])
	c.ip = segOptString(f["ip"])
	c.traits = segOptObject(f["traits"])
	c.page = segOptObject(f["page"])
	return c
}

// merge returns c overlaid by the message's own context: a message's
// context wins over the batch's, key by key for traits.
func (c segContext) merge(m segContext) segContext {
	out := c
	if m.userAgent != "" {
		out.userAgent = m.userAgent
	}
	if m.ip != "" {
		out.ip = m.ip
	}
	if len(m.traits) > 0 {
		t := segCopyMap(c.traits)
		for k, v := range m.traits {
			t = segSet(t, k, v)
		}
		out.traits = t
	}
	if len(m.page) > 0 {
		out.page = m.page
	}
	return out
}

func segDecodeEnvelope(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if !json.Valid(body) {
		return leadscore.Errorf(leadscore.CodeInvalid, "the body is not JSON")
	}
	if len(body) == 0 || body[0] != '{' {
		return leadscore.Errorf(leadscore.CodeInvalid, "the body is not a JSON object")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return leadscore.Errorf(leadscore.CodeInvalid, "the body cannot be read: %s", segDecodeError(err))
	}
	return nil
}

func segDecodeError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "message"
		}
		return fmt.Sprintf("%s: must not be a JSON %s", field, te.Value)
	}
	return err.Error()
}

func segKnownKind(k leadscore.MessageKind) bool {
	switch k {
	case leadscore.MsgIdentify, leadscore.MsgTrack, leadscore.MsgPage,
		leadscore.MsgScreen, leadscore.MsgGroup, leadscore.MsgAlias:
		return true
	}
	return false
}

func segIsNull(raw []byte) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func segOptString(raw json.RawMessage) string {
	if segIsNull(raw) || raw[0] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

func segOptObject(raw json.RawMessage) map[string]any {
	if segIsNull(raw) || raw[0] != '{' {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

func segCopyMap(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func segSet(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = make(map[string]any)
	}
	m[k] = v
	return m
}

func segSetDefault(m map[string]any, k string, v any) map[string]any {
	if _, ok := m[k]; ok {
		return m
	}
	return segSet(m, k, v)
}
