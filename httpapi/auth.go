package httpapi

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/leadscore/leadscore"
)

// authCache remembers recently authenticated keys for a few seconds, so
// that a busy ingestion key does not cost a store read per request. It is
// keyed by a hash of the secret so that no secret is held in memory longer
// than its request. Failures are not cached: a key created a moment ago
// must work at once.
type authCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[[32]byte]authEntry
}

type authEntry struct {
	key     *leadscore.APIKey
	expires time.Time
}

// authCacheMax bounds the cache; when full it starts over, which costs a
// few store reads and keeps memory bounded whatever clients send.
const authCacheMax = 4096

func (c *authCache) get(h [32]byte, now time.Time) *leadscore.APIKey {
	if c.ttl <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[h]
	if !ok {
		return nil
	}
	if !now.Before(e.expires) {
		delete(c.m, h)
		return nil
	}
	return e.key
}

func (c *authCache) put(h [32]byte, k *leadscore.APIKey, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= authCacheMax {
		clear(c.m)
	}
	c.m[h] = authEntry{key: k, expires: now.Add(c.ttl)}
}

// forget drops every cached result for a key id, so that a revocation
// through this server takes effect on the next request.
func (c *authCache) forget(keyID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.m {
		if e.key.ID == keyID {
			delete(c.m, h)
		}
	}
}

// authenticate resolves a presented secret to its key. A service failure
// is a 503, never a 401: a client must not conclude that a good key is bad
// because the store was briefly unreachable.
func (s *server) authenticate(ctx context.Context, secret string) (*leadscore.APIKey, error) {
	if secret == "" {
		return nil, newError(http.StatusUnauthorized, leadscore.CodeUnauthorized, "no API key")
	}
	h := sha256.Sum256([]byte(secret))
	now := s.clock()
	if k := s.auth.get(h, now); k != nil {
		return k, nil
	}
	k, err := s.svc.Authenticate(ctx, secret)
	if err != nil {
		switch leadscore.CodeOf(err) {
		case leadscore.CodeUnauthorized, leadscore.CodeNotFound, leadscore.CodeInvalid, leadscore.CodeForbidden:
			return nil, newError(http.StatusUnauthorized, leadscore.CodeUnauthorized, "invalid API key")
		}
		return nil, unavailable("authentication is unavailable", err)
	}
	if k == nil {
		return nil, newError(http.StatusUnauthorized, leadscore.CodeUnauthorized, "invalid API key")
	}
	if k.RevokedAt != nil {
		return nil, newError(http.StatusUnauthorized, leadscore.CodeUnauthorized, "this API key has been revoked")
	}
	s.auth.put(h, k, now)
	return k, nil
}

// bearerSecret returns the token of an Authorization: Bearer header.
func bearerSecret(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

func unauthorized(detail, scheme string) *apiError {
	e := newError(http.StatusUnauthorized, leadscore.CodeUnauthorized, detail)
	e.header = http.Header{"Www-Authenticate": {scheme + ` realm="leadscore"`}}
	return e
}

// limiters holds one token bucket per API key. Buckets live as long as
// their key is in use; idle ones are dropped when the map grows.
type limiters struct {
	limit rate.Limit
	burst int
	off   bool
	mu    sync.Mutex
	m     map[string]*limiterEntry
}

type limiterEntry struct {
	lim  *rate.Limiter
	last time.Time
}

const (
	limitersMax  = 10000
	limiterIdle  = 10 * time.Minute
	limiterRound = time.Second
)

func newLimiters(l Limits) *limiters {
	return &limiters{limit: rate.Limit(l.RatePerSecond), burst: l.RateBurst, off: l.RatePerSecond < 0,
		m: make(map[string]*limiterEntry)}
}

// allow takes one token from the key's bucket at now. When the bucket is
// empty it takes nothing and says how long until a token is available.
func (l *limiters) allow(keyID string, now time.Time) (bool, time.Duration) {
	if l.off {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.m[keyID]
	if !ok {
		if len(l.m) >= limitersMax {
			l.evict(now)
		}
		e = &limiterEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.m[keyID] = e
	}
	e.last = now
	r := e.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, limiterRound
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

func (l *limiters) evict(now time.Time) {
	for id, e := range l.m {
		if now.Sub(e.last) > limiterIdle {
			delete(l.m, id)
		}
	}
	if len(l.m) >= limitersMax {
		clear(l.m)
	}
}

// admit applies the scope check and the key's rate limit.
func (s *server) admit(rc *reqCtx, key *leadscore.APIKey, scope leadscore.Scope, scopeStatus int) error {
	rc.info.keyID = key.ID
	if !key.Allows(scope) {
		code := leadscore.CodeForbidden
		if scopeStatus == http.StatusUnauthorized {
			code = leadscore.CodeUnauthorized
		}
		return newError(scopeStatus, code, "this API key lacks the "+string(scope)+" scope")
	}
	if ok, wait := s.limits.allow(key.ID, s.clock()); !ok {
		e := newError(http.StatusTooManyRequests, "", "rate limit exceeded for this API key")
		e.retryAfter = wait
		return e
	}
	return nil
}
