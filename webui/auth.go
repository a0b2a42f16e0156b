package webui

import (
	"crypto/subtle"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/leadscore/leadscore"
)

func constantEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// secure reports whether the browser reached us over TLS, directly or
// through a proxy that says so.
func secure(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure(r)})
}

func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure(r)})
}

// signInLimiter slows password guessing: a client address gets a burst of
// attempts, then one per interval. The table is dropped whole when it
// grows large, which at worst gives a flood of addresses a fresh burst.
type signInLimiter struct {
	mu    sync.Mutex
	burst int
	every time.Duration
	by    map[string]*rate.Limiter
}

const maxLimiters = 10000

func newSignInLimiter(burst int, every time.Duration) *signInLimiter {
	return &signInLimiter{burst: burst, every: every, by: map[string]*rate.Limiter{}}
}

func (l *signInLimiter) allow(addr string, now time.Time) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.by[host]
	if lim == nil {
		if len(l.by) >= maxLimiters {
			l.by = map[string]*rate.Limiter{}
		}
		lim = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.by[host] = lim
	}
	return lim.AllowN(now, 1)
}

type signInData struct {
	Email, Next, Error string
}

func (u *UI) anonymous(r *http.Request) *request {
	return &request{Request: r, ui: u, L: u.cat.localizer(u.cat.pick(r.URL.Query().Get("lang"), r))}
}

func (u *UI) signInPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	rq := u.anonymous(r)
	u.render(w, rq, http.StatusOK, "signin", "signin.title", signInData{Next: safeNext(r.URL.Query().Get("next"))})
}

func (u *UI) signIn(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	rq := u.anonymous(r)
	data := signInData{Email: r.PostFormValue("email"), Next: safeNext(r.PostFormValue("next"))}
	if !u.limiter.allow(r.RemoteAddr, u.now()) {
		w.Header().Set("Retry-After", "60")
		data.Error = rq.L.T("signin.slowdown")
		u.render(w, rq, http.StatusTooManyRequests, "signin", "signin.title", data)
		return
	}
	sess, err := u.svc.SignIn(r.Context(), data.Email, r.PostFormValue("password"))
	if leadscore.CodeOf(err) == leadscore.CodeUnauthorized {
		data.Error = rq.L.T("signin.wrong")
		u.render(w, rq, http.StatusUnauthorized, "signin", "signin.title", data)
		return
	}
	if err != nil {
		u.renderError(w, r, rq, err)
		return
	}
	setSessionCookie(w, r, sess.Token)
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
}

func (u *UI) signOut(w http.ResponseWriter, rq *request) error {
	c, _ := rq.Cookie(sessionCookie)
	if c != nil {
		if err := u.svc.SignOut(rq.Context(), c.Value); err != nil {
			return err
		}
	}
	clearCookie(w, rq.Request)
	http.Redirect(w, rq.Request, "/signin", http.StatusSeeOther)
	return nil
}

// setLanguage stores the user's language; an empty choice goes back to
// the browser's.
func (u *UI) setLanguage(w http.ResponseWriter, rq *request) error {
	lang := rq.PostFormValue("lang")
	if _, err := u.svc.UpdateUser(rq.Context(), rq.who.User.ID, leadscore.UserChange{Locale: &lang}); err != nil {
		return err
	}
	http.Redirect(w, rq.Request, safeNext(rq.PostFormValue("next")), http.StatusSeeOther)
	return nil
}
