package service

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

// BenchmarkIngestAutomation is BenchmarkIngest with automation at work: a
// routing file and a webhook subscribed to every event, so that each
// commit also advances lead states, writes history and fills the outbox,
// while the delivery worker posts to a local receiver. Compare its
// events/s with BenchmarkIngest's.
func BenchmarkIngestAutomation(b *testing.B) {
	ctx := context.Background()
	svc := benchService(b, filepath.Join(b.TempDir(), "ls.db"))
	if _, err := svc.UploadRouting(ctx, "routing.yaml", []byte(testRouting), "bench"); err != nil {
		b.Fatal(err)
	}
	var received atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	if _, err := svc.CreateWebhook(ctx, leadscore.Webhook{URL: recv.URL}); err != nil {
		b.Fatal(err)
	}
	const leads = 10000
	types := []string{"page.viewed", "email.opened", "email.clicked", "session.started", "form.submitted", "webinar.attended"}
	var seq atomic.Int64
	run := fmt.Sprint(time.Now().UnixNano())
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N/8 + 1
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				msgs := make([]leadscore.Message, 100)
				for j := range msgs {
					n := seq.Add(1)
					msgs[j] = leadscore.Message{Kind: leadscore.MsgTrack, MessageID: fmt.Sprintf("%s-%d", run, n), Source: "bench",
						UserID: fmt.Sprintf("u%d", (n*7919)%leads), Event: types[n%int64(len(types))],
						Properties: map[string]any{"path": "/pricing"}, Timestamp: time.Now(), ReceivedAt: time.Now()}
				}
				if _, err := svc.Ingest(ctx, msgs); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(per*8*100)/b.Elapsed().Seconds(), "events/s")
	b.StopTimer()
	ds, _, _ := svc.Deliveries(ctx, leadscore.DeliveryFilter{Limit: 1})
	_ = ds
	b.ReportMetric(float64(received.Load()), "webhooks-posted")
}
