package automation

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks headers (https://www.standardwebhooks.com).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix marks a Standard Webhooks signing secret.
const SecretPrefix = "whsec_"

// DefaultTolerance is how far a request's timestamp may be from the
// receiver's clock: enough for clock skew, short enough that a captured
// request cannot be replayed later.
const DefaultTolerance = 5 * time.Minute

// Secret is a webhook signing key. Its String and log forms are redacted so
// that a secret printed by mistake does not leak; Encode gives the whsec_
// form to show a user once.
type Secret struct{ key []byte }

const (
	minSecretBytes = 24
	maxSecretBytes = 64
)

// GenerateSecret makes a new 32-byte secret from r (crypto/rand.Reader in
// production, a fixed reader in tests).
func GenerateSecret(r io.Reader) (Secret, error) {
	key := make([]byte, 32)
	if _, err := io.ReadFull(r, key); err != nil {
		return Secret{}, fmt.Errorf("generating a webhook secret: %w", err)
	}
	return Secret{key: key}, nil
}

// ParseSecret reads a whsec_<base64> secret. The prefix may be left out, as
// the Standard Webhooks libraries allow.
func ParseSecret(s string) (Secret, error) {
	s = strings.TrimSpace(s)
	body := strings.TrimPrefix(s, SecretPrefix)
	if body == "" {
		return Secret{}, errors.New("the webhook secret is empty; it looks like whsec_ followed by base64")
	}
	key, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return Secret{}, errors.New("the webhook secret is not valid: after whsec_ it must be standard base64")
	}
	if len(key) < minSecretBytes || len(key) > maxSecretBytes {
		return Secret{}, fmt.Errorf("the webhook secret has %d bytes; it must have %d to %d", len(key), minSecretBytes, maxSecretBytes)
	}
	return Secret{key: key}, nil
}

// Encode is the whsec_ form of the secret.
func (s Secret) Encode() string { return SecretPrefix + base64.StdEncoding.EncodeToString(s.key) }

// IsZero reports whether the secret is unset.
func (s Secret) IsZero() bool { return len(s.key) == 0 }

func (s Secret) String() string   { return SecretPrefix + "[redacted]" }
func (s Secret) GoString() string { return "automation.Secret{[redacted]}" }

// LogValue keeps the secret out of structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Sign returns the v1 signature of a message: base64 of the HMAC-SHA256 of
// "id.timestamp.body" with the secret.
func Sign(s Secret, id string, ts time.Time, body []byte) string {
	return signText(s, id, strconv.FormatInt(ts.Unix(), 10), body)
}

// signText signs the timestamp as written in the header, so that a
// receiver checks exactly the text the sender signed.
func signText(s Secret, id, ts string, body []byte) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignHeaders sets the three Standard Webhooks headers. Several secrets
// (during a rotation) give several space-separated signatures, any of which
// a receiver may check.
func SignHeaders(h http.Header, secrets []Secret, id string, ts time.Time, body []byte) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sigs = append(sigs, Sign(s, id, ts, body))
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, strings.Join(sigs, " "))
}

// Verification errors, for receivers that answer differently to each.
var (
	ErrMissingHeaders = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrBadTimestamp   = errors.New("webhook: webhook-timestamp is not a number of seconds")
	ErrTooOld         = errors.New("webhook: the timestamp is too old")
	ErrTooNew         = errors.New("webhook: the timestamp is in the future")
	ErrNoSignature    = errors.New("webhook: no signature matches")
)

// Verifier checks signed requests. Tolerance zero means DefaultTolerance.
// Several secrets accept requests signed with any of them, for rotations.
type Verifier struct {
	Secrets   []Secret
	Tolerance time.Duration
}

// Verify checks a request's headers and raw body against secret, with
// DefaultTolerance around now.
func Verify(secret Secret, h http.Header, body []byte, now time.Time) error {
	return Verifier{Secrets: []Secret{secret}}.Verify(h, body, now)
}

// Verify checks a request: the timestamp within the tolerance of now (so a
// captured request cannot be replayed) and one v1 signature matching one of
// the secrets, compared in constant time.
func (v Verifier) Verify(h http.Header, body []byte, now time.Time) error {
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissingHeaders
	}
	secs, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	tol := v.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	ts := time.Unix(secs, 0)
	switch {
	case now.Sub(ts) > tol:
		return ErrTooOld
	case ts.Sub(now) > tol:
		return ErrTooNew
	}
	for _, s := range v.Secrets {
		if s.IsZero() {
			continue
		}
		want := []byte(signText(s, id, tsText, body))
		for _, sig := range strings.Fields(sigs) {
			if hmac.Equal([]byte(sig), want) {
				return nil
			}
		}
	}
	return ErrNoSignature
}
