package webui

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/leadscore/leadscore"
)

// webhooksData is the webhooks page: subscriptions, recent deliveries,
// and the outcome of the last form.
type webhooksData struct {
	Webhooks   []leadscore.Webhook
	Deliveries []leadscore.Delivery
	Next       string
	Created    *leadscore.NewWebhook
	Tested     *leadscore.DeliveryAttempt
	Error      string
	Form       leadscore.Webhook
	State      string
	States     []string
}

func (u *UI) webhooks(rq *request, d webhooksData) (webhooksData, error) {
	var err error
	if d.Webhooks, err = u.svc.Webhooks(rq.Context()); err != nil {
		return d, err
	}
	f := leadscore.DeliveryFilter{State: leadscore.DeliveryState(rq.URL.Query().Get("state")), After: rq.URL.Query().Get("after"), Limit: 50}
	d.State = string(f.State)
	d.States = []string{string(leadscore.DeliveryPending), string(leadscore.DeliveryDelivered), string(leadscore.DeliveryFailed), string(leadscore.DeliveryCancelled)}
	if d.Deliveries, d.Next, err = u.svc.Deliveries(rq.Context(), f); err != nil {
		if leadscore.CodeOf(err) != leadscore.CodeInvalid {
			return d, err
		}
		d.Error = err.Error()
	}
	if d.Next != "" {
		v := url.Values{"after": {d.Next}}
		if d.State != "" {
			v.Set("state", d.State)
		}
		d.Next = "/webhooks?" + v.Encode()
	}
	return d, nil
}

func (u *UI) webhooksPage(w http.ResponseWriter, rq *request) error {
	d, err := u.webhooks(rq, webhooksData{})
	if err != nil {
		return err
	}
	u.render(w, rq, http.StatusOK, "webhooks", "webhooks.title", d)
	return nil
}

// webhooksResult shows the page after a form; a refused input is shown on
// the page, anything else is an error page.
func (u *UI) webhooksResult(w http.ResponseWriter, rq *request, d webhooksData, err error) error {
	status := http.StatusOK
	if err != nil {
		if c := leadscore.CodeOf(err); c != leadscore.CodeInvalid && c != leadscore.CodeConflict {
			return err
		}
		d.Error, status = err.Error(), statusOf(err)
	}
	d, lerr := u.webhooks(rq, d)
	if lerr != nil {
		return lerr
	}
	u.render(w, rq, status, "webhooks", "webhooks.title", d)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		out = append(out, p)
	}
	return out
}

func (u *UI) createWebhook(w http.ResponseWriter, rq *request) error {
	hook := leadscore.Webhook{URL: strings.TrimSpace(rq.PostFormValue("url")), Types: splitList(rq.PostFormValue("types")),
		Models: splitList(rq.PostFormValue("models")), Description: strings.TrimSpace(rq.PostFormValue("description"))}
	created, err := u.svc.CreateWebhook(rq.Context(), hook)
	d := webhooksData{Created: created}
	if err != nil {
		d.Form = hook
	}
	return u.webhooksResult(w, rq, d, err)
}

func (u *UI) testWebhook(w http.ResponseWriter, rq *request) error {
	att, err := u.svc.TestWebhook(rq.Context(), rq.PathValue("id"))
	return u.webhooksResult(w, rq, webhooksData{Tested: att}, err)
}

func (u *UI) deleteWebhook(w http.ResponseWriter, rq *request) error {
	if err := u.svc.DeleteWebhook(rq.Context(), rq.PathValue("id")); err != nil {
		return u.webhooksResult(w, rq, webhooksData{}, err)
	}
	http.Redirect(w, rq.Request, "/webhooks", http.StatusSeeOther)
	return nil
}

// attemptsShown is how many attempts a delivery's page lists: the most
// recent, or those before ?before= (an attempt number, the keyset of the
// earlier pages). A receiver that failed for days, replayed again and
// again, leaves hundreds, each with up to 1 KB of its answer.
const attemptsShown = 50

// deliveryData is a delivery with the attempts its page lists.
type deliveryData struct {
	*leadscore.Delivery
	Shown []leadscore.DeliveryAttempt
	// Earlier is how many attempts precede the listed ones, EarlierLink
	// the page of those; Latest links back to the most recent attempts.
	Earlier     int
	EarlierLink string
	Latest      string
}

func (u *UI) deliveryPage(w http.ResponseWriter, rq *request) error {
	dl, err := u.svc.GetDelivery(rq.Context(), rq.PathValue("id"))
	if err != nil {
		return err
	}
	d := deliveryData{Delivery: dl}
	// The service returns every attempt in order; the page keeps a window.
	end := len(dl.AttemptDetail)
	if s := rq.URL.Query().Get("before"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return leadscore.Invalid("before", "%q is not an attempt number", s)
		}
		end = sort.Search(len(dl.AttemptDetail), func(i int) bool { return dl.AttemptDetail[i].N >= n })
		d.Latest = "/webhooks/deliveries/" + url.PathEscape(dl.ID)
	}
	start := max(0, end-attemptsShown)
	d.Shown, d.Earlier = dl.AttemptDetail[start:end], start
	if start > 0 {
		d.EarlierLink = "/webhooks/deliveries/" + url.PathEscape(dl.ID) + "?before=" + strconv.Itoa(dl.AttemptDetail[start].N)
	}
	u.render(w, rq, http.StatusOK, "delivery", "delivery.title", d)
	return nil
}

// replayDelivery sends a delivery again (same event id, so a receiver that
// deduplicates sees it once) and shows it with the new attempt.
func (u *UI) replayDelivery(w http.ResponseWriter, rq *request) error {
	d, err := u.svc.ReplayDelivery(rq.Context(), rq.PathValue("id"))
	if err != nil {
		return err
	}
	http.Redirect(w, rq.Request, "/webhooks/deliveries/"+url.PathEscape(d.ID), http.StatusSeeOther)
	return nil
}
