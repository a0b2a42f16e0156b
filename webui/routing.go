package webui

import (
	"net/http"
	"strings"

	"github.com/leadscore/leadscore"
)

// routingData is the routing page: the active routing file, the owners
// with their workload, and the editor.
type routingData struct {
	File        *leadscore.RoutingFile
	Owners      []leadscore.OwnerStats
	Source      string
	Diagnostics []leadscore.Diagnostic
	Lines       []sourceLine
	Invalid     bool
	Saved       bool
}

func (u *UI) routing(rq *request, d routingData) (routingData, error) {
	f, err := u.svc.ActiveRouting(rq.Context())
	switch {
	case err == nil:
		d.File = f
	case leadscore.CodeOf(err) != leadscore.CodeNotFound:
		return d, err
	}
	if d.Owners, err = u.svc.Owners(rq.Context()); err != nil {
		return d, err
	}
	if d.Source == "" && d.File != nil {
		d.Source = d.File.Source
	}
	return d, nil
}

func (u *UI) routingPage(w http.ResponseWriter, rq *request) error {
	d, err := u.routing(rq, routingData{})
	if err != nil {
		return err
	}
	u.render(w, rq, http.StatusOK, "routing", "routing.title", d)
	return nil
}

// saveRouting uploads a routing file; one with errors is not stored and
// the page shows each error at its line.
func (u *UI) saveRouting(w http.ResponseWriter, rq *request) error {
	rq.Body = http.MaxBytesReader(w, rq.Body, maxModelBytes)
	src := strings.ReplaceAll(rq.PostFormValue("source"), "\r\n", "\n")
	d := routingData{Source: src}
	res, err := u.svc.UploadRouting(rq.Context(), "routing.yaml", []byte(src), rq.who.User.Email)
	if res != nil {
		d.Diagnostics = res.Diagnostics
	}
	if err != nil {
		if leadscore.CodeOf(err) != leadscore.CodeInvalid {
			return err
		}
		d.Invalid = true
		if len(d.Diagnostics) == 0 {
			d.Diagnostics = []leadscore.Diagnostic{{Line: 1, Column: 1, Severity: "error", Message: err.Error()}}
		}
		d.Lines = annotate(src, d.Diagnostics)
	} else {
		d.Saved = true
	}
	if d, err = u.routing(rq, d); err != nil {
		return err
	}
	u.render(w, rq, http.StatusOK, "routing", "routing.title", d)
	return nil
}
