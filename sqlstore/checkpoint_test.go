package sqlstore

import (
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

// TestBackgroundCheckpoint checks that committed pages reach the database
// file without the writer copying them: the writer checkpoints only at a
// high mark, and the checkpointer copies every frame of a commit on its
// own connection.
func TestBackgroundCheckpoint(t *testing.T) {
	s := openSQLiteT(t, Options{})
	ctx := t.Context()
	var pages int64
	if err := s.write.db.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if pages != walCheckpointPages {
		t.Errorf("the writer checkpoints at %d pages, want %d", pages, walCheckpointPages)
	}
	ws := s.Workspace(leadscore.DefaultWorkspace)
	err := ws.Write(ctx, func(tx leadscore.Tx) error {
		return tx.UpsertLead(ctx, &leadscore.Lead{ID: "ada@example.com", Email: "ada@example.com"})
	})
	if err != nil {
		t.Fatal(err)
	}
	// The checkpoint runs after the commit, on its own goroutine; wait for
	// it rather than for a fixed time.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if w := s.checkpoint.last.Load(); w != nil && w.frames > 0 && w.copied == w.frames {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no background checkpoint copied the commit's frames; last: %+v", s.checkpoint.last.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
