package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
)

// Keys look like lsk_<prefix>_<secret>. The prefix finds the stored key and
// tells keys apart in listings; only a SHA-256 of the whole key is stored,
// which is enough for 160 random bits (no password stretching is needed
// for secrets nobody chose).
const keyTag = "lsk_"

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func (s *Service) CreateAPIKey(ctx context.Context, name string, scopes []leadscore.Scope) (*leadscore.NewAPIKey, error) {
	if len(scopes) == 0 {
		return nil, leadscore.Invalid("scopes", "a key needs at least one scope (write, read or admin)")
	}
	for _, sc := range scopes {
		switch sc {
		case leadscore.ScopeWrite, leadscore.ScopeRead, leadscore.ScopeAdmin:
		default:
			return nil, leadscore.Invalid("scopes", "unknown scope %q (use write, read or admin)", sc)
		}
	}
	var p [5]byte
	var sec [20]byte
	if _, err := rand.Read(p[:]); err != nil {
		return nil, err
	}
	if _, err := rand.Read(sec[:]); err != nil {
		return nil, err
	}
	prefix := strings.ToLower(keyEncoding.EncodeToString(p[:]))
	secret := keyTag + prefix + "_" + strings.ToLower(keyEncoding.EncodeToString(sec[:]))
	sum := sha256.Sum256([]byte(secret))
	k := leadscore.APIKey{ID: newID("key"), Name: name, Prefix: prefix, Hash: sum[:], Scopes: scopes, CreatedAt: s.now().UTC()}
	if err := s.write(ctx, func(ctx context.Context, b *batch) error { return b.tx.PutAPIKey(ctx, &k) }); err != nil {
		return nil, err
	}
	k.Hash = nil
	return &leadscore.NewAPIKey{APIKey: k, Secret: secret}, nil
}

func (s *Service) APIKeys(ctx context.Context) ([]leadscore.APIKey, error) { return s.ws.APIKeys(ctx) }

func (s *Service) RevokeAPIKey(ctx context.Context, id string) error {
	return s.write(ctx, func(ctx context.Context, b *batch) error { return b.tx.RevokeAPIKey(ctx, id, s.now().UTC()) })
}

var errBadKey = leadscore.Errorf(leadscore.CodeUnauthorized, "invalid or revoked API key")

// Authenticate checks a presented key. Every failure says the same thing,
// so a caller learns nothing about which part was wrong.
func (s *Service) Authenticate(ctx context.Context, secret string) (*leadscore.APIKey, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(secret), keyTag)
	if !ok {
		return nil, errBadKey
	}
	prefix, _, ok := strings.Cut(rest, "_")
	if !ok || prefix == "" {
		return nil, errBadKey
	}
	k, err := s.ws.APIKeyByPrefix(ctx, prefix)
	if leadscore.CodeOf(err) == leadscore.CodeNotFound {
		return nil, errBadKey
	}
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(secret)))
	if subtle.ConstantTimeCompare(sum[:], k.Hash) != 1 || k.RevokedAt != nil {
		return nil, errBadKey
	}
	s.touchKey(k.ID)
	return k, nil
}

// touchKey records a key's last use at most once a minute, off the
// request path.
func (s *Service) touchKey(id string) {
	now := s.now().UTC()
	s.keysMu.Lock()
	last := s.keyTouch[id]
	due := now.Sub(last) >= time.Minute
	if due {
		s.keyTouch[id] = now
	}
	s.keysMu.Unlock()
	if !due {
		return
	}
	r := &request{kind: reqFunc, fn: func(ctx context.Context, b *batch) error { return b.tx.TouchAPIKey(ctx, id, now) }, done: make(chan error, 1)}
	select {
	case s.queue <- r:
	default: // a busy queue skips a last-used stamp, never a request
	}
}
