package sqlstore

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
)

// SQLite in WAL mode appends every committed page to the WAL, and a
// checkpoint copies those pages back into the database file. By default
// the writer checkpoints itself after a commit once the WAL holds 1,000
// pages, which for a busy writer is after nearly every commit: the copy
// then sits on the one connection every write waits for.
//
// walCheckpointPages raises that threshold, and the checkpointer copies
// the pages on a connection of its own, on another core, after each
// commit. Its checkpoints are PASSIVE: they never wait for the writer or
// for readers, and copy what no reader still needs. The writer's own
// checkpoint remains as a backstop: it runs when the WAL reaches
// walCheckpointPages, finds little left to copy, and lets the next write
// start the WAL over from the beginning, which only a checkpoint at rest
// between two writes can allow. Durability is unchanged: a commit is
// durable once its WAL frames are synced, before any checkpoint.
const walCheckpointPages = 16384

type checkpointer struct {
	db   *sql.DB
	log  *slog.Logger
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
	// last is the outcome of the latest checkpoint, for tests.
	last atomic.Pointer[walCheckpoint]
}

// walCheckpoint is what PRAGMA wal_checkpoint reports: whether it was
// blocked, the frames in the WAL and how many of them are now in the
// database file.
type walCheckpoint struct {
	busy, frames, copied int64
}

func startCheckpointer(db *sql.DB, log *slog.Logger) *checkpointer {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	c := &checkpointer{db: db, log: log, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// committed tells the checkpointer that a write committed; it never
// blocks: a wake-up already pending covers this commit too.
func (c *checkpointer) committed() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		}
		// A failed checkpoint loses nothing: the pages stay in the WAL
		// and the next checkpoint, or the writer's, copies them.
		var w walCheckpoint
		err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&w.busy, &w.frames, &w.copied)
		if err != nil {
			c.log.Warn("WAL checkpoint failed", "err", err)
			continue
		}
		c.last.Store(&w)
	}
}

// close stops the checkpointer; closing it again does nothing, as with
// the pools.
func (c *checkpointer) close() error {
	var err error
	c.once.Do(func() {
		close(c.stop)
		<-c.done
		err = c.db.Close()
	})
	return err
}
