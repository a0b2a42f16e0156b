package leadscore

import "time"

// Role is what a person signed in to the web UI may do.
type Role string

const (
	// RoleAdmin may do everything, including users, API keys and settings.
	RoleAdmin Role = "admin"
	// RoleEditor edits and activates models (and routing and webhooks).
	RoleEditor Role = "editor"
	// RoleViewer reads leads, accounts and models.
	RoleViewer Role = "viewer"
	// RoleSales works the leads they own.
	RoleSales Role = "sales"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleAdmin, RoleEditor, RoleViewer, RoleSales}

// ValidRole reports whether r is one of Roles.
func ValidRole(r Role) bool {
	for _, have := range Roles {
		if have == r {
			return true
		}
	}
	return false
}

// User is a person who signs in to the web UI. The password itself is never
// stored: PasswordHash is a bcrypt hash.
type User struct {
	ID           string     `json:"id"`
	Email        string     `json:"email"` // normalised: trimmed, lower case
	Name         string     `json:"name,omitempty"`
	Role         Role       `json:"role"`
	Locale       string     `json:"locale,omitempty"` // a BCP 47 tag; empty: from the browser
	PasswordHash []byte     `json:"-"`
	CreatedAt    time.Time  `json:"created_at"`
	DisabledAt   *time.Time `json:"disabled_at,omitempty"`
}

// NewUser is what creating a user takes.
type NewUser struct {
	Email    string
	Name     string
	Role     Role
	Password string
	Locale   string
}

// UserChange changes a user; nil fields stay as they are.
type UserChange struct {
	Name     *string
	Role     *Role
	Locale   *string
	Password *string
	Disabled *bool
}

// Session is a signed-in browser. ID is a hash of the token in the cookie,
// so a copy of the database signs nobody in. CSRF is the token every form
// of the session carries.
type Session struct {
	ID         string    `json:"id"`
	UserID     string    `json:"user_id"`
	CSRF       string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
}

// NewSession is a session as created: Token goes into the cookie and is
// never stored.
type NewSession struct {
	Session
	Token string `json:"-"`
}

// SignedIn is the user behind a session.
type SignedIn struct {
	User    User
	Session Session
}
