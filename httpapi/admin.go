package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/leadscore/leadscore"
)

// uploadModel serves POST /api/v1/models. The body is the YAML model file
// itself; ?filename= names it in diagnostics. A file that does not
// validate is a 422 listing every diagnostic with its line and column.
func (s *server) uploadModel(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	body, filename, err := s.readUploadedFile(w, r, "model", "model.yaml")
	if err != nil {
		return err
	}
	res, err := s.svc.UploadModel(r.Context(), filename, body, rc.key.Name)
	if err != nil {
		var diags []leadscore.Diagnostic
		if res != nil {
			diags = res.Diagnostics
		}
		return invalidFile(err, "model", diags, func(leadscore.Diagnostic) bool { return true })
	}
	if res == nil {
		res = &leadscore.UploadResult{}
	}
	writeJSON(w, http.StatusCreated, res)
	return nil
}

// readUploadedFile reads the body of an uploaded YAML file (a model or a
// routing file) and the name it goes by in diagnostics: ?filename=, or
// fallback.
func (s *server) readUploadedFile(w http.ResponseWriter, r *http.Request, what, fallback string) ([]byte, string, error) {
	body, err := s.readBody(w, r)
	if err != nil {
		return nil, "", err
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, "", invalid("the body is empty; send the " + what + " file's YAML")
	}
	filename := path.Base(strings.ReplaceAll(r.URL.Query().Get("filename"), `\`, "/"))
	if filename == "." || filename == "/" {
		filename = fallback
	}
	return body, filename, nil
}

// invalidFile turns a refused upload into a 422 listing the file's
// diagnostics that keep selects, with their lines and columns. Errors
// other than validation pass through unchanged.
func invalidFile(err error, what string, diags []leadscore.Diagnostic, keep func(leadscore.Diagnostic) bool) error {
	var probs leadscore.Problems
	if leadscore.CodeOf(err) != leadscore.CodeInvalid && !errors.As(err, &probs) {
		return err
	}
	ae := toAPIError(err)
	out := &apiError{status: http.StatusUnprocessableEntity, code: leadscore.CodeInvalid,
		detail: "the " + what + " file is invalid", items: ae.items}
	if len(diags) > 0 {
		out.items = nil
		for _, d := range diags {
			if keep(d) {
				out.items = append(out.items, problemItem{Field: d.Field, Line: d.Line, Column: d.Column, Severity: d.Severity, Message: d.Message})
			}
		}
	}
	if len(out.items) == 0 {
		out.detail = ae.detail
	}
	return out
}

// listModels shows every version of every model, active or not, so a draft
// that was uploaded but not activated is visible.
func (s *server) listModels(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	ms, err := s.svc.ModelVersions(r.Context(), "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(ms, ""))
	return nil
}

func (s *server) modelVersions(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	vs, err := s.svc.ModelVersions(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(vs, ""))
	return nil
}

// activateModel answers 202: re-scoring every lead runs as a job whose
// progress is at the Location given.
func (s *server) activateModel(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	job, err := s.svc.ActivateModel(r.Context(), r.PathValue("name"), r.PathValue("version"))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/jobs/"+url.PathEscape(job.ID))
	writeJSON(w, http.StatusAccepted, job)
	return nil
}

func (s *server) getJob(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	job, err := s.svc.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, job)
	return nil
}

type createKeyBody struct {
	Name   string            `json:"name"`
	Scopes []leadscore.Scope `json:"scopes"`
}

// createKey answers 201 with the secret, which is shown this once.
func (s *server) createKey(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var b createKeyBody
	if err := decodeStrict(body, &b); err != nil {
		return err
	}
	var probs []problemItem
	b.Name = strings.TrimSpace(b.Name)
	if b.Name == "" {
		probs = append(probs, fieldItem("name", "a key needs a name"))
	}
	if len(b.Scopes) == 0 {
		probs = append(probs, fieldItem("scopes", "a key needs at least one of write, read, admin"))
	}
	var scopes []leadscore.Scope
	seen := map[leadscore.Scope]bool{}
	for _, sc := range b.Scopes {
		switch sc {
		case leadscore.ScopeWrite, leadscore.ScopeRead, leadscore.ScopeAdmin:
			if !seen[sc] {
				seen[sc] = true
				scopes = append(scopes, sc)
			}
		default:
			probs = append(probs, fieldItem("scopes", "unknown scope "+string(sc)+"; use write, read or admin"))
		}
	}
	if len(probs) > 0 {
		return invalid("the key is invalid", probs...)
	}
	k, err := s.svc.CreateAPIKey(r.Context(), b.Name, scopes)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, k)
	return nil
}

func (s *server) listKeys(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	keys, err := s.svc.APIKeys(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(keys, ""))
	return nil
}

func (s *server) revokeKey(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	id := r.PathValue("id")
	if err := s.svc.RevokeAPIKey(r.Context(), id); err != nil {
		return err
	}
	s.auth.forget(id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
