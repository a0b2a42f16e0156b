package webui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/leadscore/leadscore"
)

// maxModelBytes bounds a model file posted from the editor.
const maxModelBytes = 1 << 20

type modelGroup struct {
	Name     string
	Active   string
	Versions []leadscore.ModelVersion
}

func (u *UI) modelsPage(w http.ResponseWriter, rq *request) error {
	all, err := u.svc.ModelVersions(rq.Context(), "")
	if err != nil {
		return err
	}
	var groups []*modelGroup
	by := map[string]*modelGroup{}
	for _, v := range all {
		g := by[v.Name]
		if g == nil {
			g = &modelGroup{Name: v.Name}
			by[v.Name] = g
			groups = append(groups, g)
		}
		g.Versions = append(g.Versions, v)
		if v.Active {
			g.Active = v.Version
		}
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].Name < groups[j].Name })
	u.render(w, rq, http.StatusOK, "models", "models.title", groups)
	return nil
}

type modelData struct {
	Name     string
	Versions []leadscore.ModelVersion // newest first
	Shown    *leadscore.ModelVersion
	Warnings []leadscore.Diagnostic
	// Active is the active version ("" when none). A shown version that is
	// not active can be previewed against it before it is activated.
	Active     string
	CanPreview bool
	Preview    *previewData
	// CanShadow is whether an inactive version can run in shadow beside
	// the active one: the service runs shadows and a version is active.
	// Shadow is the version running in shadow now ("" when none).
	CanShadow bool
	Shadow    string
	// Listed is the page of Versions the table shows; Older is how many
	// older versions follow it, OlderLink their page and NewestLink the
	// first page.
	Listed                []leadscore.ModelVersion
	Older                 int
	OlderLink, NewestLink string
}

// versionsShown is how many versions a model's page lists, newest first;
// the older ones page on with ?older= (the last version listed).
const versionsShown = 25

func (u *UI) modelPage(w http.ResponseWriter, rq *request) error {
	name := rq.PathValue("name")
	vs, err := u.svc.ModelVersions(rq.Context(), name)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		return leadscore.Errorf(leadscore.CodeNotFound, "model %q not found", name)
	}
	d := modelData{Name: name}
	for i := len(vs) - 1; i >= 0; i-- {
		d.Versions = append(d.Versions, vs[i])
	}
	want := rq.URL.Query().Get("version")
	for i := range d.Versions {
		v := &d.Versions[i]
		if (want == "" && v.Active) || v.Version == want {
			d.Shown = v
		}
	}
	if d.Shown == nil {
		d.Shown = &d.Versions[0]
	}
	for _, v := range d.Versions {
		if v.Active {
			d.Active = v.Version
		}
	}
	d.CanPreview = d.Active != "" && !d.Shown.Active
	start := 0
	if older := rq.URL.Query().Get("older"); older != "" {
		for i, v := range d.Versions {
			if v.Version == older {
				start = i + 1
			}
		}
	}
	end := min(len(d.Versions), start+versionsShown)
	d.Listed, d.Older = d.Versions[start:end], len(d.Versions)-end
	link := func(older string) string {
		v := url.Values{}
		if want != "" {
			v.Set("version", want)
		}
		if older != "" {
			v.Set("older", older)
		}
		p := "/models/" + url.PathEscape(name)
		if len(v) > 0 {
			p += "?" + v.Encode()
		}
		return p + "#versions"
	}
	if d.Older > 0 {
		d.OlderLink = link(d.Versions[end-1].Version)
	}
	if start > 0 {
		d.NewestLink = link("")
	}
	if svc, err := u.shadowService(); err == nil {
		// The versions table leads to the champion/challenger page: the
		// version in shadow is marked, the others can be started there.
		d.CanShadow = d.Active != ""
		shadows, err := svc.Shadows(rq.Context())
		if err != nil {
			return err
		}
		for _, s := range shadows {
			if s.Model == name {
				d.Shadow = s.Version
			}
		}
	}
	if d.CanPreview && rq.URL.Query().Get("preview") != "" {
		if d.Preview, err = u.preview(rq, name, d.Shown.Version); err != nil {
			return err
		}
	}
	// The linter's warnings beside the model: the validator on its source.
	diags, err := u.svc.ValidateModel(rq.Context(), name+".yaml", []byte(d.Shown.Source))
	if err != nil {
		return err
	}
	for _, dg := range diags {
		if dg.Severity != "error" {
			d.Warnings = append(d.Warnings, dg)
		}
	}
	u.render(w, rq, http.StatusOK, "model", "model.title", d)
	return nil
}

// editorData is the model editor: the source, and after a save either the
// validator's diagnostics or the versions created.
type editorData struct {
	Name        string
	Source      string
	Tests       string
	Report      *leadscore.ModelTestReport
	Lines       []sourceLine
	Diagnostics []leadscore.Diagnostic
	Created     []leadscore.ModelVersion
	Invalid     bool
}

type sourceLine struct {
	N     int
	Text  string
	Diags []leadscore.Diagnostic
}

func (u *UI) editorPage(w http.ResponseWriter, rq *request) error {
	d := editorData{Name: rq.PathValue("name")}
	if d.Name != "" {
		vs, err := u.svc.ModelVersions(rq.Context(), d.Name)
		if err != nil {
			return err
		}
		want := rq.URL.Query().Get("version")
		for _, v := range vs {
			if v.Version == want || (want == "" && v.Active) {
				d.Source = v.Source
			}
		}
		if d.Source == "" && len(vs) > 0 {
			d.Source = vs[len(vs)-1].Source
		}
	}
	u.render(w, rq, http.StatusOK, "editor", "editor.title", d)
	return nil
}

// annotate pairs each source line with the diagnostics at it, so that an
// error shows at its line.
func annotate(src string, diags []leadscore.Diagnostic) []sourceLine {
	lines := strings.Split(src, "\n")
	out := make([]sourceLine, len(lines))
	for i, t := range lines {
		out[i] = sourceLine{N: i + 1, Text: t}
	}
	for _, dg := range diags {
		i := dg.Line - 1
		if i < 0 || i >= len(out) {
			i = 0
		}
		if len(out) > 0 {
			out[i].Diags = append(out[i].Diags, dg)
		}
	}
	return out
}

func (u *UI) saveModel(w http.ResponseWriter, rq *request) error {
	rq.Body = http.MaxBytesReader(w, rq.Body, maxModelBytes)
	src := strings.ReplaceAll(rq.PostFormValue("source"), "\r\n", "\n")
	d := editorData{Name: rq.PostFormValue("name"), Source: src, Tests: strings.ReplaceAll(rq.PostFormValue("tests"), "\r\n", "\n")}
	filename := "model.yaml"
	if d.Name != "" {
		filename = d.Name + ".yaml"
	}
	if rq.PostFormValue("op") == "test" {
		return u.runModelTests(w, rq, d, filename)
	}
	res, err := u.svc.UploadModel(rq.Context(), filename, []byte(src), rq.who.User.Email)
	if res != nil {
		d.Diagnostics = res.Diagnostics
		d.Created = res.Versions
	}
	// A rejected file is still a good answer: the editor, with the
	// problems at their lines, served as 200 (browsers report any 4xx
	// page as an error in their console, and nothing went wrong here).
	if err != nil {
		if leadscore.CodeOf(err) != leadscore.CodeInvalid {
			return err
		}
		d.Invalid = true
		if len(d.Diagnostics) == 0 {
			d.Diagnostics = []leadscore.Diagnostic{{Line: 1, Column: 1, Severity: "error", Message: err.Error()}}
		}
	}
	d.Lines = annotate(src, d.Diagnostics)
	u.render(w, rq, http.StatusOK, "editor", "editor.title", d)
	return nil
}

// validateModel answers the editor's script as the person types: the
// diagnostics of the posted source, nothing stored.
func (u *UI) validateModel(w http.ResponseWriter, rq *request) error {
	rq.Body = http.MaxBytesReader(w, rq.Body, maxModelBytes)
	diags, err := u.svc.ValidateModel(rq.Context(), "model.yaml", []byte(rq.PostFormValue("source")))
	if err != nil {
		return err
	}
	if diags == nil {
		diags = []leadscore.Diagnostic{}
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(map[string]any{"diagnostics": diags})
}

func (u *UI) activateModel(w http.ResponseWriter, rq *request) error {
	job, err := u.svc.ActivateModel(rq.Context(), rq.PathValue("name"), rq.PathValue("version"))
	if err != nil {
		return err
	}
	http.Redirect(w, rq.Request, "/jobs/"+url.PathEscape(job.ID), http.StatusSeeOther)
	return nil
}

type jobData struct {
	Job     *leadscore.Job
	Percent int
	Running bool
}

func (u *UI) jobPage(w http.ResponseWriter, rq *request) error {
	job, err := u.svc.Job(rq.Context(), rq.PathValue("id"))
	if err != nil {
		return err
	}
	d := jobData{Job: job, Running: job.State == leadscore.JobQueued || job.State == leadscore.JobRunning}
	if job.Total > 0 {
		d.Percent = int(job.Done * 100 / job.Total)
	} else if job.State == leadscore.JobSucceeded {
		d.Percent = 100
	}
	u.render(w, rq, http.StatusOK, "job", "job.title", d)
	return nil
}

// runModelTests runs the fixture cases in the editor's tests box against
// the model in its source box; nothing is stored.
func (u *UI) runModelTests(w http.ResponseWriter, rq *request, d editorData, filename string) error {
	rep, err := u.svc.TestModel(rq.Context(), filename, []byte(d.Source), []byte(d.Tests))
	if err != nil && leadscore.CodeOf(err) != leadscore.CodeInvalid {
		return err
	}
	d.Report = rep
	if err != nil {
		d.Invalid = true
		if rep != nil {
			d.Diagnostics = rep.Diagnostics
		}
		if len(d.Diagnostics) == 0 {
			d.Diagnostics = []leadscore.Diagnostic{{Line: 1, Column: 1, Severity: "error", Message: err.Error()}}
		}
	}
	u.render(w, rq, http.StatusOK, "editor", "editor.title", d)
	return nil
}
