package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to create a schema per test

	"github.com/leadscore/leadscore/httpapi/client"
)

// bin is the leadscore binary built by TestMain; repoRoot is the module's
// directory.
var (
	bin      string
	repoRoot string
)

// startupBound bounds how long a server may take to print its URL: far
// more than it needs, so that a slow machine never fails the test, while a
// server that hangs still ends it.
const startupBound = 2 * time.Minute

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	repoRoot = root
	dir, err := os.MkdirTemp("", "leadscore-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "leadscore")
	build := exec.Command("go", "build", "-o", bin, "./cmd/leadscore")
	build.Dir = repoRoot
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building the leadscore binary:", err)
		return 1
	}
	return m.Run()
}

// server is a running `leadscore serve` process.
type server struct {
	t        *testing.T
	cmd      *exec.Cmd
	URL      string
	AdminKey string
	WriteKey string
	stderr   *bytes.Buffer
	errMu    *sync.Mutex
	exited   chan struct{}
	waitErr  error
}

// lockedWriter lets the process write stderr while the test reads it.
type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// startServer runs `leadscore serve args...` and waits for its URL. Keys
// are printed on a first start only; later starts keep those of the
// previous server given in keys.
func startServer(t *testing.T, keys *server, args ...string) *server {
	t.Helper()
	s := &server{t: t, stderr: &bytes.Buffer{}, errMu: &sync.Mutex{}, exited: make(chan struct{})}
	if keys != nil {
		s.AdminKey, s.WriteKey = keys.AdminKey, keys.WriteKey
	}
	s.cmd = exec.Command(bin, append([]string{"serve"}, args...)...)
	s.cmd.Env = cleanEnv()
	s.cmd.Stderr = lockedWriter{s.errMu, s.stderr}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() { s.stop() })
	deadline := time.After(startupBound)
	for s.URL == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				<-s.exited
				t.Fatalf("leadscore serve exited before listening (%v):\n%s", s.waitErr, s.logs())
			}
			switch {
			case strings.HasPrefix(line, "admin key: "):
				s.AdminKey = strings.TrimPrefix(line, "admin key: ")
			case strings.HasPrefix(line, "write key: "):
				s.WriteKey = strings.TrimPrefix(line, "write key: ")
			case strings.HasPrefix(line, "leadscore listening on "):
				s.URL = strings.TrimPrefix(line, "leadscore listening on ")
			}
		case <-deadline:
			t.Fatalf("leadscore serve printed no URL within %s:\n%s", startupBound, s.logs())
		}
	}
	// The rest of stdout is drained so that the process never blocks on it.
	go func() {
		for range lines {
		}
	}()
	if s.AdminKey == "" || s.WriteKey == "" {
		t.Fatalf("no keys: a first start prints them, a restart needs the previous server's")
	}
	return s
}

// cleanEnv is the environment without LEADSCORE_* settings of the person
// running the tests, which would change what the server does.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LEADSCORE_") {
			env = append(env, kv)
		}
	}
	return env
}

func (s *server) logs() string {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	const tail = 8000
	b := s.stderr.Bytes()
	if len(b) > tail {
		b = b[len(b)-tail:]
	}
	return string(b)
}

// kill ends the process with SIGKILL: no shutdown code runs.
func (s *server) kill() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatalf("kill: %v", err)
	}
	<-s.exited
}

// stop asks the process to shut down gracefully and waits for it, with a
// bound after which it is killed.
func (s *server) stop() error {
	select {
	case <-s.exited:
		return s.waitErr
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return s.waitErr
	case <-time.After(startupBound):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("the server did not stop within %s after SIGTERM", startupBound)
	}
}

func (s *server) client() *client.Client { return client.NewClient(s.URL, s.AdminKey, nil) }

// port is the port the server listens on.
func (s *server) port() string {
	u, err := url.Parse(s.URL)
	if err != nil {
		s.t.Fatal(err)
	}
	return u.Port()
}

// run runs the leadscore binary with args and returns stdout and stderr.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = cleanEnv()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	ctx, cancel := context.WithTimeout(context.Background(), startupBound)
	defer cancel()
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), errOut.String(), err
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("leadscore %s did not finish within %s", strings.Join(args, " "), startupBound)
		return "", "", nil
	}
}

// eventually polls cond until it holds, failing after a generous bound.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(startupBound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s", what, startupBound)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// freshSchema creates a schema of its own for the test on the PostgreSQL
// server at base and returns a URL that uses it; the schema is dropped at
// the end.
func freshSchema(t *testing.T, base string) string {
	t.Helper()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "e2e_" + hex.EncodeToString(b[:])
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
