package webui

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/leadscore/leadscore"
)

type settingsData struct {
	Keys   []leadscore.APIKey
	NewKey *leadscore.NewAPIKey
	Users  []leadscore.User
	Roles  []leadscore.Role
	Teams  []string // the teams users are in, offered when a team is typed
	Error  string
	Notice string
	// Users is a page of the users by email; UsersMore is how many follow,
	// UsersNext their page and UsersFirst the first page.
	UsersMore             int
	UsersNext, UsersFirst string
}

// usersShown is how many users the settings page lists, by email; the
// following ones page on with ?users_after= (the last email listed).
const usersShown = 50

func (u *UI) settings(rq *request, d settingsData) (settingsData, error) {
	var err error
	if d.Keys, err = u.svc.APIKeys(rq.Context()); err != nil {
		return d, err
	}
	if d.Users, err = u.svc.Users(rq.Context()); err != nil {
		return d, err
	}
	d.Roles = leadscore.Roles
	seen := map[string]bool{}
	for _, usr := range d.Users {
		if k := strings.ToLower(usr.Team); usr.Team != "" && !seen[k] {
			seen[k] = true
			d.Teams = append(d.Teams, usr.Team)
		}
	}
	sort.Strings(d.Teams)
	all := d.Users
	sort.SliceStable(all, func(i, j int) bool { return all[i].Email < all[j].Email })
	start := 0
	if after := rq.URL.Query().Get("users_after"); after != "" {
		start = sort.Search(len(all), func(i int) bool { return all[i].Email > after })
		d.UsersFirst = "/settings#users"
	}
	end := min(len(all), start+usersShown)
	d.Users, d.UsersMore = all[start:end], len(all)-end
	if d.UsersMore > 0 {
		d.UsersNext = "/settings?" + url.Values{"users_after": {all[end-1].Email}}.Encode() + "#users"
	}
	return d, nil
}

func (u *UI) settingsPage(w http.ResponseWriter, rq *request) error {
	d, err := u.settings(rq, settingsData{})
	if err != nil {
		return err
	}
	u.render(w, rq, http.StatusOK, "settings", "settings.title", d)
	return nil
}

// settingsResult re-renders the settings page after a form: an invalid
// input is shown on the page with a 400, anything else is an error page.
func (u *UI) settingsResult(w http.ResponseWriter, rq *request, d settingsData, err error) error {
	status := http.StatusOK
	if err != nil {
		if c := leadscore.CodeOf(err); c != leadscore.CodeInvalid && c != leadscore.CodeConflict {
			return err
		}
		d.Error, status = err.Error(), statusOf(err)
	}
	d, lerr := u.settings(rq, d)
	if lerr != nil {
		return lerr
	}
	u.render(w, rq, status, "settings", "settings.title", d)
	return nil
}

func (u *UI) createKey(w http.ResponseWriter, rq *request) error {
	if err := rq.ParseForm(); err != nil {
		return leadscore.Invalid("form", "%v", err)
	}
	var scopes []leadscore.Scope
	for _, s := range rq.PostForm["scope"] {
		scopes = append(scopes, leadscore.Scope(s))
	}
	k, err := u.svc.CreateAPIKey(rq.Context(), strings.TrimSpace(rq.PostFormValue("name")), scopes)
	return u.settingsResult(w, rq, settingsData{NewKey: k}, err)
}

func (u *UI) revokeKey(w http.ResponseWriter, rq *request) error {
	err := u.svc.RevokeAPIKey(rq.Context(), rq.PathValue("id"))
	if err == nil {
		http.Redirect(w, rq.Request, "/settings", http.StatusSeeOther)
		return nil
	}
	return u.settingsResult(w, rq, settingsData{}, err)
}

func (u *UI) createUser(w http.ResponseWriter, rq *request) error {
	nu := leadscore.NewUser{Email: rq.PostFormValue("email"), Name: rq.PostFormValue("name"),
		Role: leadscore.Role(rq.PostFormValue("role")), Password: rq.PostFormValue("password"), Team: rq.PostFormValue("team")}
	usr, err := u.svc.CreateUser(rq.Context(), nu)
	d := settingsData{}
	if err == nil {
		d.Notice = rq.L.T("settings.usercreated", usr.Email)
	}
	return u.settingsResult(w, rq, d, err)
}

// updateUser changes a user's role or team, or disables/enables them. A
// form without a team field leaves the team as it is. An admin
// cannot disable or demote themselves, so a workspace never loses its
// last way in by a slip.
func (u *UI) updateUser(w http.ResponseWriter, rq *request) error {
	id := rq.PathValue("id")
	var ch leadscore.UserChange
	if r := rq.PostFormValue("role"); r != "" {
		role := leadscore.Role(r)
		ch.Role = &role
	}
	if _, ok := rq.PostForm["team"]; ok {
		team := rq.PostFormValue("team")
		ch.Team = &team
	}
	switch rq.PostFormValue("disabled") {
	case "true":
		t := true
		ch.Disabled = &t
	case "false":
		f := false
		ch.Disabled = &f
	}
	if id == rq.who.User.ID && (ch.Disabled != nil && *ch.Disabled || ch.Role != nil && *ch.Role != leadscore.RoleAdmin) {
		return u.settingsResult(w, rq, settingsData{}, leadscore.Invalid("user", "%s", rq.L.T("settings.notyourself")))
	}
	_, err := u.svc.UpdateUser(rq.Context(), id, ch)
	if err == nil {
		http.Redirect(w, rq.Request, "/settings", http.StatusSeeOther)
		return nil
	}
	return u.settingsResult(w, rq, settingsData{}, err)
}
