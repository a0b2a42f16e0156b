package leadscore

import (
	"slices"
	"strings"
	"time"
)

// Role is what a person signed in to the web UI may do.
type Role string

const (
	// RoleAdmin may do everything, including users, API keys and settings.
	RoleAdmin Role = "admin"
	// RoleEditor edits and activates models (and routing and webhooks).
	RoleEditor Role = "editor"
	// RoleViewer reads leads, accounts and models.
	RoleViewer Role = "viewer"
	// RoleSales works the leads they and their team own.
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
	ID     string `json:"id"`
	Email  string `json:"email"` // normalised: trimmed, lower case
	Name   string `json:"name,omitempty"`
	Role   Role   `json:"role"`
	Locale string `json:"locale,omitempty"` // a BCP 47 tag; empty: from the browser
	// Team is the sales team the user works in; empty for none. Team
	// names compare ignoring case.
	Team         string     `json:"team,omitempty"`
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
	Team     string
}

// UserChange changes a user; nil fields stay as they are.
type UserChange struct {
	Name     *string
	Role     *Role
	Locale   *string
	Password *string
	Disabled *bool
	// Team moves the user to another team; "" takes them out of theirs.
	Team *string
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

// MaxTeamName bounds a team's name.
const MaxTeamName = 64

// CheckTeam trims a team name and checks it: at most MaxTeamName
// characters, no control characters. "" (no team) is valid.
func CheckTeam(team string) (string, error) {
	t := strings.TrimSpace(team)
	if len([]rune(t)) > MaxTeamName {
		return "", Invalid("team", "must be at most %d characters", MaxTeamName)
	}
	if strings.ContainsFunc(t, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "", Invalid("team", "must not contain control characters")
	}
	return t, nil
}

// SameTeam reports whether two users work in the same team; a user with no
// team is in nobody's.
func SameTeam(a, b User) bool {
	return a.Team != "" && strings.EqualFold(a.Team, b.Team)
}

// LeadOwner is who owns a lead: the owner automation assigned (routing, a
// reassignment or a person), else the lead's "owner" custom field, which is
// what a CRM import brings. This is the owner lead listings filter on.
func LeadOwner(l Lead, a *AutomationView) string {
	if a != nil && strings.TrimSpace(a.Owner) != "" {
		return a.Owner
	}
	if s, ok := l.Fields["owner"].(string); ok {
		return s
	}
	return ""
}

// RoutingOwner is an owner of the routing file as lead access needs it:
// routing names owners ("anna"), and a person's email ties the name to
// their user.
type RoutingOwner struct {
	Name  string
	Email string
}

// LeadAccess is which leads a signed-in user may open and act on. Admins,
// editors and viewers see every lead. A sales rep sees the leads owned by
// themselves or by anyone in their team (the users with the same Team),
// disabled team mates included: their leads stay with the team.
//
// A lead's owner (LeadOwner) is a name as routing, a person or an import
// wrote it. It names a user when it equals, ignoring case and surrounding
// space, the user's id, email or name, or the name of a routing-file owner
// whose email is the user's.
type LeadAccess struct {
	// All is true for the roles that see every lead.
	All bool
	// Members are the users whose leads are open to this one, by email:
	// the user and their team. Empty when All.
	Members []User
	// names maps every owner name that counts (lower case) to the email
	// of the member it names.
	names map[string]string
}

func ownerKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// NewLeadAccess decides what u may see, given the workspace's users (u's
// team mates among them) and the routing file's owners.
func NewLeadAccess(u User, users []User, routing []RoutingOwner) LeadAccess {
	if u.Role == RoleAdmin || u.Role == RoleEditor || u.Role == RoleViewer {
		return LeadAccess{All: true}
	}
	a := LeadAccess{names: map[string]string{}}
	members := []User{u}
	for _, o := range users {
		if o.ID != u.ID && SameTeam(u, o) {
			members = append(members, o)
		}
	}
	slices.SortFunc(members, func(x, y User) int { return strings.Compare(x.Email, y.Email) })
	byEmail := map[string]string{}
	for _, m := range members {
		m.PasswordHash = nil
		a.Members = append(a.Members, m)
		for _, n := range []string{m.ID, m.Email, m.Name} {
			if k := ownerKey(n); k != "" {
				if _, taken := a.names[k]; !taken {
					a.names[k] = m.Email
				}
			}
		}
		byEmail[ownerKey(m.Email)] = m.Email
	}
	for _, o := range routing {
		email, ok := byEmail[ownerKey(o.Email)]
		if k := ownerKey(o.Name); ok && k != "" {
			if _, taken := a.names[k]; !taken {
				a.names[k] = email
			}
		}
	}
	return a
}

// Allows reports whether a lead owned by owner (LeadOwner) is open to the
// user. A lead nobody owns is open only to those who see every lead.
func (a LeadAccess) Allows(owner string) bool {
	if a.All {
		return true
	}
	_, ok := a.names[ownerKey(owner)]
	return ok
}

// Member returns the member an owner name stands for.
func (a LeadAccess) Member(owner string) (User, bool) {
	email, ok := a.names[ownerKey(owner)]
	if !ok {
		return User{}, false
	}
	for _, m := range a.Members {
		if m.Email == email {
			return m, true
		}
	}
	return User{}, false
}

// OwnerNames lists, lower case and sorted, the owner names that stand for
// the member with this email, or for every member when email is "": what
// a lead listing filters on (LeadFilter.Owners). Nil when All.
func (a LeadAccess) OwnerNames(email string) []string {
	var out []string
	for k, e := range a.names {
		if email == "" || e == email {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
