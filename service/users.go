package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/language"

	"github.com/leadscore/leadscore"
)

// Passwords are hashed with bcrypt at its default cost; bcrypt reads at
// most 72 bytes, so a longer password is refused rather than silently cut.
const (
	minPassword = 10
	maxPassword = 72
	// sessionTouchEvery bounds the writes a busy session causes: its last
	// activity is recorded at most once a minute, which is far finer than
	// any idle timeout.
	sessionTouchEvery = time.Minute
)

var errSignIn = leadscore.Errorf(leadscore.CodeUnauthorized, "wrong email or password")

// normalEmail trims and lower-cases an email and checks that it is one.
func normalEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", leadscore.Invalid("email", "is required")
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e {
		return "", leadscore.Invalid("email", "%q is not an email address", email)
	}
	return e, nil
}

func checkPassword(p string) error {
	if len(p) < minPassword {
		return leadscore.Invalid("password", "must be at least %d characters", minPassword)
	}
	if len(p) > maxPassword {
		return leadscore.Invalid("password", "must be at most %d bytes", maxPassword)
	}
	return nil
}

func checkLocale(l string) (string, error) {
	if l == "" {
		return "", nil
	}
	tag, err := language.Parse(l)
	if err != nil {
		return "", leadscore.Invalid("locale", "%q is not a language tag", l)
	}
	return tag.String(), nil
}

func checkRole(r leadscore.Role) error {
	if !leadscore.ValidRole(r) {
		return leadscore.Invalid("role", "unknown role %q (use admin, editor, viewer or sales)", r)
	}
	return nil
}

func (s *Service) CreateUser(ctx context.Context, nu leadscore.NewUser) (*leadscore.User, error) {
	email, err := normalEmail(nu.Email)
	if err != nil {
		return nil, err
	}
	if err := checkRole(nu.Role); err != nil {
		return nil, err
	}
	if err := checkPassword(nu.Password); err != nil {
		return nil, err
	}
	locale, err := checkLocale(nu.Locale)
	if err != nil {
		return nil, err
	}
	team, err := leadscore.CheckTeam(nu.Team)
	if err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(nu.Password), bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	u := leadscore.User{ID: newID("usr"), Email: email, Name: strings.TrimSpace(nu.Name), Role: nu.Role,
		Locale: locale, Team: team, PasswordHash: hash, CreatedAt: s.now().UTC()}
	if err := s.write(ctx, func(ctx context.Context, b *batch) error { return b.tx.PutUser(ctx, &u) }); err != nil {
		return nil, err
	}
	u.PasswordHash = nil
	return &u, nil
}

func (s *Service) Users(ctx context.Context) ([]leadscore.User, error) {
	users, err := s.ws.Users(ctx)
	for i := range users {
		users[i].PasswordHash = nil
	}
	return users, err
}

// UpdateUser changes a user. Disabling a user or changing their password
// or role ends their sessions, so the change holds at once.
func (s *Service) UpdateUser(ctx context.Context, id string, ch leadscore.UserChange) (*leadscore.User, error) {
	var hash []byte
	if ch.Password != nil {
		if err := checkPassword(*ch.Password); err != nil {
			return nil, err
		}
		var err error
		if hash, err = bcrypt.GenerateFromPassword([]byte(*ch.Password), bcrypt.DefaultCost); err != nil {
			return nil, err
		}
	}
	if ch.Role != nil {
		if err := checkRole(*ch.Role); err != nil {
			return nil, err
		}
	}
	var locale string
	if ch.Locale != nil {
		var err error
		if locale, err = checkLocale(*ch.Locale); err != nil {
			return nil, err
		}
	}
	var team string
	if ch.Team != nil {
		var err error
		if team, err = leadscore.CheckTeam(*ch.Team); err != nil {
			return nil, err
		}
	}
	now := s.now().UTC()
	var out leadscore.User
	err := s.write(ctx, func(ctx context.Context, b *batch) error {
		u, err := b.tx.User(ctx, id)
		if err != nil {
			return err
		}
		endSessions := false
		if ch.Name != nil {
			u.Name = strings.TrimSpace(*ch.Name)
		}
		if ch.Role != nil && *ch.Role != u.Role {
			u.Role, endSessions = *ch.Role, true
		}
		if ch.Locale != nil {
			u.Locale = locale
		}
		// A new team changes which leads the user sees on their next
		// request; sessions need not end for it.
		if ch.Team != nil {
			u.Team = team
		}
		if hash != nil {
			u.PasswordHash, endSessions = hash, true
		}
		if ch.Disabled != nil {
			switch {
			case *ch.Disabled && u.DisabledAt == nil:
				u.DisabledAt, endSessions = &now, true
			case !*ch.Disabled:
				u.DisabledAt = nil
			}
		}
		if err := b.tx.PutUser(ctx, u); err != nil {
			return err
		}
		if endSessions {
			if _, err := b.tx.DeleteSessions(ctx, u.ID, time.Time{}); err != nil {
				return err
			}
		}
		out = *u
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.PasswordHash = nil
	return &out, nil
}

// LeadAccess is which leads u may open: every lead for the roles that see
// them all; for a sales rep, their own and their team's, with the owner
// names of the active routing file tied to team members by email.
func (s *Service) LeadAccess(ctx context.Context, u leadscore.User) (*leadscore.LeadAccess, error) {
	var users []leadscore.User
	var owners []leadscore.RoutingOwner
	if u.Role == leadscore.RoleSales {
		if u.Team != "" {
			var err error
			if users, err = s.ws.Users(ctx); err != nil {
				return nil, err
			}
		}
		if rt := s.routing.Load(); rt != nil {
			for _, o := range rt.router.Spec().Owners {
				if o.Email != "" {
					owners = append(owners, leadscore.RoutingOwner{Name: o.Name, Email: o.Email})
				}
			}
		}
	}
	a := leadscore.NewLeadAccess(u, users, owners)
	return &a, nil
}

// sessionID is what the store keeps of a session token.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// dummyHash is compared against when the email is unknown, so that a
// wrong email takes as long as a wrong password. It is made on first use:
// hashing costs time every command would otherwise pay at start.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("leadscore-no-such-user"), bcrypt.DefaultCost)
	return h
})

// SignIn checks an email and password and starts a session. Every failure
// is the same unauthorized error.
func (s *Service) SignIn(ctx context.Context, email, password string) (*leadscore.NewSession, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	u, err := s.ws.UserByEmail(ctx, e)
	if leadscore.CodeOf(err) == leadscore.CodeNotFound {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return nil, errSignIn
	}
	if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) != nil || u.DisabledAt != nil {
		return nil, errSignIn
	}
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	csrf, err := randomToken()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	sess := leadscore.Session{ID: sessionID(token), UserID: u.ID, CSRF: csrf, CreatedAt: now, LastSeenAt: now}
	if err := s.write(ctx, func(ctx context.Context, b *batch) error { return b.tx.PutSession(ctx, &sess) }); err != nil {
		return nil, err
	}
	return &leadscore.NewSession{Session: sess, Token: token}, nil
}

var errNoSession = leadscore.Errorf(leadscore.CodeUnauthorized, "not signed in or the session has expired")

// SessionUser returns who a session token belongs to. A session idle for
// longer than idle, or of a disabled user, has ended.
func (s *Service) SessionUser(ctx context.Context, token string, idle time.Duration) (*leadscore.SignedIn, error) {
	if token == "" {
		return nil, errNoSession
	}
	id := sessionID(token)
	sess, err := s.ws.Session(ctx, id)
	if leadscore.CodeOf(err) == leadscore.CodeNotFound {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if idle > 0 && now.Sub(sess.LastSeenAt) > idle {
		_ = s.write(ctx, func(ctx context.Context, b *batch) error { return b.tx.DeleteSession(ctx, id) })
		return nil, errNoSession
	}
	u, err := s.ws.User(ctx, sess.UserID)
	if leadscore.CodeOf(err) == leadscore.CodeNotFound {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	if u.DisabledAt != nil {
		return nil, errNoSession
	}
	if now.Sub(sess.LastSeenAt) >= sessionTouchEvery {
		if err := s.write(ctx, func(ctx context.Context, b *batch) error { return b.tx.TouchSession(ctx, id, now) }); err != nil {
			return nil, err
		}
		sess.LastSeenAt = now
	}
	u.PasswordHash = nil
	return &leadscore.SignedIn{User: *u, Session: *sess}, nil
}

// SignOut ends the session of token.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	id := sessionID(token)
	return s.write(ctx, func(ctx context.Context, b *batch) error { return b.tx.DeleteSession(ctx, id) })
}
