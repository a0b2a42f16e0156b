package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// loadWith parses args for the serve keys with env as the environment.
func loadWith(t *testing.T, env map[string]string, args ...string) (*config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	cf := bindConfigFlags(fs, serveKeys...)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return cf.load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigDefaults(t *testing.T) {
	c, err := loadWith(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "leadscore-data" || c.Addr != "127.0.0.1:8080" || c.DB != "" || len(c.Models) != 0 {
		t.Fatalf("defaults: %+v", c)
	}
	if got, want := c.dsn(), filepath.Join("leadscore-data", "leadscore.db"); got != want {
		t.Errorf("dsn = %q, want %q", got, want)
	}
	if !c.usesDataDir() {
		t.Error("the default database lives in the data directory")
	}
}

// Each layer overrides the one before: default < file < env < flag.
func TestConfigPrecedence(t *testing.T) {
	file := writeFile(t, "ls.yaml", `
addr: 127.0.0.1:9000
data_dir: /from/file
due_interval: 1m
model: [a.yaml, b.yaml]
max_batch: 100
retrain_every: 4w
`)
	env := map[string]string{
		"LEADSCORE_CONFIG":   file,
		"LEADSCORE_DATA_DIR": "/from/env",
		"LEADSCORE_ADDR":     "127.0.0.1:9001",
	}
	c, err := loadWith(t, env, "--addr", "127.0.0.1:9002")
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9002" {
		t.Errorf("addr = %q: a flag beats env and file", c.Addr)
	}
	if c.DataDir != "/from/env" {
		t.Errorf("data_dir = %q: env beats the file", c.DataDir)
	}
	if c.DueInterval != time.Minute || c.MaxBatch != 100 {
		t.Errorf("due_interval %v, max_batch %d: the file beats defaults", c.DueInterval, c.MaxBatch)
	}
	if strings.Join(c.Models, ",") != "a.yaml,b.yaml" {
		t.Errorf("model = %v", c.Models)
	}
	if c.RetrainEvery != 28*24*time.Hour {
		t.Errorf("retrain_every = %v: durations take days and weeks as model files do", c.RetrainEvery)
	}
	if c.CacheSize != defaultConfig().CacheSize {
		t.Errorf("cache_size = %d: keys nobody set keep their default", c.CacheSize)
	}
	if c.from["addr"] != "flag --addr" || c.from["data_dir"] != "env LEADSCORE_DATA_DIR" || c.from["max_batch"] != "file" || c.from["cache_size"] != "default" {
		t.Errorf("sources: %v", c.from)
	}
}

func TestConfigFlagBeatsConfigFromEnvAndRepeats(t *testing.T) {
	file := writeFile(t, "ls.yaml", "model: file.yaml\n")
	c, err := loadWith(t, map[string]string{"LEADSCORE_MODEL": "env1.yaml, env2.yaml"}, "--config", file, "--model", "x.yaml", "--model", "y.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Models, ",") != "x.yaml,y.yaml" {
		t.Errorf("model = %v, want the repeated flag's values", c.Models)
	}
	c, err = loadWith(t, map[string]string{"LEADSCORE_MODEL": "env1.yaml, env2.yaml"}, "--config", file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Models, ",") != "env1.yaml,env2.yaml" {
		t.Errorf("model = %v, want the comma-separated env list", c.Models)
	}
}

func TestConfigErrorsNameTheirSource(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown file key", map[string]string{"LEADSCORE_CONFIG": writeFile(t, "a.yaml", "adr: x\n")}, nil, `a.yaml:1: unknown key "adr"`},
		{"bad file value", map[string]string{"LEADSCORE_CONFIG": writeFile(t, "b.yaml", "\nmax_batch: lots\n")}, nil, "b.yaml:2: max_batch"},
		{"file not a mapping", map[string]string{"LEADSCORE_CONFIG": writeFile(t, "c.yaml", "- a\n- b\n")}, nil, "expected key: value pairs"},
		{"missing file", nil, []string{"--config", filepath.Join(t.TempDir(), "none.yaml")}, "config file"},
		{"bad env", map[string]string{"LEADSCORE_DUE_INTERVAL": "soon"}, nil, "LEADSCORE_DUE_INTERVAL"},
		{"bad flag", nil, []string{"--shutdown-timeout", "-"}, "--shutdown-timeout"},
		{"bad level", map[string]string{"LEADSCORE_LOG_LEVEL": "loud"}, nil, "log_level"},
		{"bad size", nil, []string{"--max-request-bytes", "4 lots"}, "--max-request-bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadWith(t, tc.env, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestConfigEmptyFileIsFine(t *testing.T) {
	c, err := loadWith(t, map[string]string{"LEADSCORE_CONFIG": writeFile(t, "e.yaml", "# nothing yet\n")})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != defaultConfig().Addr {
		t.Errorf("addr = %q", c.Addr)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1048576": 1 << 20, "512KiB": 512 << 10, "4MiB": 4 << 20, "4mb": 4 << 20, "1G": 1 << 30, " 10 B ": 10} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "-1", "1.5MiB", "lots"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}

func TestMaskDSN(t *testing.T) {
	cases := map[string]string{
		"postgres://ls:s3cret@db:5432/leadscore?sslmode=disable": "postgres://ls:xxxxx@db:5432/leadscore?sslmode=disable",
		"postgres://ls@db/leadscore":                             "postgres://ls@db/leadscore",
		"postgres://db/leadscore?password=s3cret&user=ls":        "postgres://db/leadscore?password=xxxxx&user=ls",
		"host=db user=ls password=s3cret dbname=x":               "host=db user=ls password=xxxxx dbname=x",
		"host=db password='a b c' dbname=x":                      "host=db password=xxxxx dbname=x",
		"leadscore-data/leadscore.db":                            "leadscore-data/leadscore.db",
	}
	for in, want := range cases {
		if got := maskDSN(in); got != want {
			t.Errorf("maskDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPrintConfigMasksSecrets(t *testing.T) {
	c, err := loadWith(t, map[string]string{"LEADSCORE_DB": "postgres://ls:s3cret@db/leadscore"}, "--model", "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Key = "lsk_abcdefgh_supersecretpart"
	var b bytes.Buffer
	if err := c.printConfig(&b, append(serveKeys, "key")); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "s3cret") || strings.Contains(out, "supersecretpart") {
		t.Fatalf("a secret was printed:\n%s", out)
	}
	for _, want := range []string{
		"db: postgres://ls:xxxxx@db/leadscore  # env LEADSCORE_DB",
		"key: lsk_abcdefgh_xxxxx",
		"model: [m.yaml]  # flag --model",
		"addr: 127.0.0.1:8080  # default",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	// The printed configuration is itself a valid config file.
	file := writeFile(t, "printed.yaml", strings.ReplaceAll(out, "lsk_abcdefgh_xxxxx", "x"))
	again, err := loadWith(t, map[string]string{"LEADSCORE_CONFIG": file})
	if err != nil {
		t.Fatalf("the printed configuration does not load: %v\n%s", err, out)
	}
	if again.Addr != c.Addr || strings.Join(again.Models, ",") != "m.yaml" || again.DueInterval != c.DueInterval {
		t.Errorf("reloaded %+v, want %+v", again, c)
	}
}

// Every key's flag is registered by the verbs that name it; a key missing
// from the table would panic when a command is built.
func TestEveryCommandBuilds(t *testing.T) {
	root := newRootCmd()
	for _, name := range []string{"serve", "import", "export", "keys"} {
		if cmd, _, err := root.Find([]string{name}); err != nil || cmd.Name() != name {
			t.Errorf("command %s is not registered: %v", name, err)
		}
	}
}

func TestListenURL(t *testing.T) {
	for addr, want := range map[string]string{"127.0.0.1:0": "http://127.0.0.1:", "0.0.0.0:0": "http://127.0.0.1:", "[::1]:0": "http://[::1]:"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil && strings.HasPrefix(addr, "[") {
			t.Logf("no IPv6 loopback here: %v", err)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got := listenURL(ln.Addr())
		ln.Close()
		if !strings.HasPrefix(got, want) || strings.HasSuffix(got, ":0") {
			t.Errorf("listenURL(%s) = %q, want %q and a port", addr, got, want)
		}
	}
}
