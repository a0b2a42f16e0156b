package service

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/automation"
)

// deliverer sends the outbox to the webhooks. It runs beside the
// committer, never in its way: it reads due deliveries, makes each request
// in a goroutine of its own (at most DeliveryWorkers at a time, each bounded
// by DeliveryTimeout), and records every attempt in a small transaction of
// its own. A slow or dead receiver holds a worker slot, never a commit.
type deliverer struct {
	s      *Service
	client *http.Client
	wakeCh chan struct{}
	slots  chan struct{}

	mu       sync.Mutex
	inflight map[string]bool
	rnd      *rand.Rand

	// ctx ends when the service closes, aborting requests in flight; an
	// aborted attempt is not recorded and the delivery stays due.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newDeliverer(s *Service) *deliverer {
	ctx, cancel := context.WithCancel(context.Background())
	client := s.cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: s.cfg.DeliveryTimeout}
	}
	seed := uint64(time.Now().UnixNano())
	return &deliverer{s: s, client: client, wakeCh: make(chan struct{}, 1), slots: make(chan struct{}, s.cfg.DeliveryWorkers),
		inflight: map[string]bool{}, rnd: rand.New(rand.NewPCG(seed, seed>>7|1)), ctx: ctx, cancel: cancel}
}

// wake asks the worker to look at the outbox now rather than at its next
// tick; it never blocks.
func (d *deliverer) wake() {
	select {
	case d.wakeCh <- struct{}{}:
	default:
	}
}

func (d *deliverer) loop() {
	t := time.NewTicker(d.s.cfg.DeliveryInterval)
	defer t.Stop()
	go func() {
		<-d.s.stop
		d.cancel()
	}()
	for {
		d.dispatch()
		select {
		case <-d.s.stop:
			d.wg.Wait()
			return
		case <-t.C:
		case <-d.wakeCh:
		}
	}
}

// dispatch starts an attempt for every due delivery there is a slot for.
func (d *deliverer) dispatch() {
	r, ok := d.s.ws.(leadscore.AutomationReader)
	if !ok {
		return
	}
	due, err := r.DueDeliveries(d.ctx, d.s.now().UTC(), 4*cap(d.slots))
	if err != nil {
		if d.ctx.Err() == nil {
			d.s.log.Warn("listing due webhook deliveries", "err", err)
		}
		return
	}
	for i := range due {
		dl := due[i]
		d.mu.Lock()
		busy := d.inflight[dl.ID]
		if !busy {
			d.inflight[dl.ID] = true
		}
		d.mu.Unlock()
		if busy {
			continue
		}
		select {
		case d.slots <- struct{}{}:
		default:
			// Every slot is taken: the rest waits for the next round.
			d.mu.Lock()
			delete(d.inflight, dl.ID)
			d.mu.Unlock()
			return
		}
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			defer func() {
				<-d.slots
				d.mu.Lock()
				delete(d.inflight, dl.ID)
				d.mu.Unlock()
				// A slot came free: there may be more waiting.
				d.wake()
			}()
			// The listing may predate an attempt that finished since:
			// read the delivery again now that no one else holds it.
			fresh, err := r.Delivery(d.ctx, dl.ID)
			if err != nil || fresh.State != leadscore.DeliveryPending || fresh.NextAttempt.After(d.s.now()) {
				return
			}
			if err := d.attempt(fresh); err != nil && d.ctx.Err() == nil {
				d.s.log.Warn("recording a webhook delivery", "delivery", dl.ID, "err", err)
			}
		}()
	}
}

// attempt makes one attempt of a delivery and records it.
func (d *deliverer) attempt(dl *leadscore.Delivery) error {
	s := d.s
	r := s.ws.(leadscore.AutomationReader)
	hook, err := r.Webhook(d.ctx, dl.WebhookID)
	if leadscore.CodeOf(err) == leadscore.CodeNotFound || (err == nil && hook.Disabled) {
		dl.State, dl.NextAttempt = leadscore.DeliveryCancelled, time.Time{}
		dl.LastError = "the webhook was deleted or disabled"
		return s.ws.Write(d.ctx, func(tx leadscore.Tx) error { return tx.(leadscore.AutomationTx).UpdateDelivery(d.ctx, dl) })
	}
	if err != nil {
		return err
	}
	secret, err := automation.ParseSecret(hook.Secret)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	res := automation.Deliver(d.ctx, d.client, automation.Endpoint{URL: hook.URL, Secrets: []automation.Secret{secret},
		Timeout: s.cfg.DeliveryTimeout}, automation.Message{ID: dl.EventID, Body: dl.Body}, now)
	if res.Aborted {
		return nil
	}
	if dl.FirstAttempt.IsZero() {
		dl.FirstAttempt = now
	}
	attempts, err := r.DeliveryAttempts(d.ctx, dl.ID)
	if err != nil {
		return err
	}
	// The policy counts the attempts since the delivery was (re)started:
	// a replay begins a new schedule.
	sinceStart := 1
	for _, a := range attempts {
		if !a.At.Before(dl.FirstAttempt) {
			sinceStart++
		}
	}
	dl.Attempts++
	rec := &leadscore.DeliveryAttempt{DeliveryID: dl.ID, N: dl.Attempts, At: now, Outcome: string(res.Outcome),
		Status: res.Status, Error: res.Error, Response: res.Response, DurationMS: res.Duration.Milliseconds()}
	dl.LastStatus, dl.LastError = res.Status, res.Error
	var disable bool
	switch res.Outcome {
	case automation.OutcomeDelivered:
		dl.State, dl.NextAttempt, dl.DeliveredAt = leadscore.DeliveryDelivered, time.Time{}, now
	case automation.OutcomeGone:
		dl.State, dl.NextAttempt = leadscore.DeliveryFailed, time.Time{}
		disable = true
	default:
		d.mu.Lock()
		next, again := s.cfg.Retry.NextAttempt(automation.Attempts{Number: sinceStart, First: dl.FirstAttempt}, res, now, d.rnd)
		d.mu.Unlock()
		if again {
			dl.NextAttempt = next
		} else {
			dl.State, dl.NextAttempt = leadscore.DeliveryFailed, time.Time{}
		}
	}
	s.cfg.Metrics.WebhookAttempted(string(res.Outcome), res.Duration, dl.State == leadscore.DeliveryFailed)
	err = s.ws.Write(d.ctx, func(tx leadscore.Tx) error {
		at := tx.(leadscore.AutomationTx)
		if err := at.AddDeliveryAttempt(d.ctx, rec); err != nil {
			return err
		}
		if err := at.UpdateDelivery(d.ctx, dl); err != nil {
			return err
		}
		if !disable {
			return nil
		}
		h, err := at.Webhook(d.ctx, hook.ID)
		if err != nil {
			return err
		}
		h.Disabled, h.DisabledAt, h.DisabledReason = true, now, "the receiver answered 410 Gone"
		return at.PutWebhook(d.ctx, h)
	})
	if err != nil {
		return err
	}
	switch {
	case disable:
		s.log.Warn("webhook disabled: the receiver answered 410 Gone", "webhook", hook.ID, "url", hook.URL)
		return s.reloadWebhooks(d.ctx)
	case dl.State == leadscore.DeliveryFailed:
		s.log.Warn("webhook delivery failed for good", "delivery", dl.ID, "webhook", hook.ID, "attempts", dl.Attempts, "err", res.Error)
	}
	return nil
}
