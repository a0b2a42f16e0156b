package webui

import (
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/text/language"
)

func strconvItoa(n int) string { return strconv.Itoa(n) }

// TestEveryKeyInEveryLanguage: no language lacks a text English has, and
// none has one English lacks (a renamed key left behind).
func TestEveryKeyInEveryLanguage(t *testing.T) {
	c, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	if m := c.missing(); len(m) > 0 {
		t.Errorf("catalogs differ:\n%s", strings.Join(m, "\n"))
	}
}

// The check itself can fail: a catalog without a key is reported.
func TestMissingKeyIsReported(t *testing.T) {
	files := fstest.MapFS{}
	for _, l := range languages {
		files["locales/"+l.String()+".json"] = &fstest.MapFile{Data: []byte(`{"a": "A", "b": "B"}`)}
	}
	files["locales/pl.json"] = &fstest.MapFile{Data: []byte(`{"a": "A", "c": "C"}`)}
	c, err := loadCatalogsFrom(files)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(c.missing(), ";")
	if got != "pl: missing b;pl: unknown c" {
		t.Errorf("missing() = %q", got)
	}
}

// TestTemplatesUseKnownKeys: every key a template or handler names exists
// in English, and the dynamic families (role.*, cause.*...) are complete.
func TestTemplatesUseKnownKeys(t *testing.T) {
	c, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	en := c.keys["en"]
	keyRe := regexp.MustCompile(`\bT "([a-z0-9_]+\.[a-z0-9._]*[a-z0-9])"|\.T\("([a-z0-9_]+\.[a-z0-9._]*[a-z0-9])"|"([a-z]+\.title)"`)
	var sources []string
	for _, pattern := range []string{"templates/*.html"} {
		names, _ := fs.Glob(templateFiles, pattern)
		for _, n := range names {
			b, _ := fs.ReadFile(templateFiles, n)
			sources = append(sources, string(b))
		}
	}
	goFiles, _ := fs.Glob(osDir("."), "*.go")
	for _, n := range goFiles {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		b, _ := fs.ReadFile(osDir("."), n)
		sources = append(sources, string(b))
	}
	seen := 0
	for _, s := range sources {
		for _, m := range keyRe.FindAllStringSubmatch(s, -1) {
			k := m[1] + m[2] + m[3]
			seen++
			if _, ok := en[k]; !ok {
				t.Errorf("key %q is used but not in locales/en.json", k)
			}
		}
	}
	if seen < 100 {
		t.Errorf("found only %d key uses: the pattern no longer matches the code", seen)
	}
	families := map[string][]string{
		"role.":     {"admin", "editor", "viewer", "sales"},
		"cause.":    {"event", "time", "model", "attribute", "merge", "rescore"},
		"jobstate.": {"queued", "running", "succeeded", "failed"},
		"severity.": {"error", "warning"},
		"stage.":    stages,
		"outcome.":  {"won", "lost"},
		"month.":    {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"},
	}
	for prefix, names := range families {
		for _, n := range names {
			if _, ok := en[prefix+n]; !ok {
				t.Errorf("no %s%s in locales/en.json", prefix, n)
			}
		}
	}
}

func TestLocalizedFormats(t *testing.T) {
	c, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 10, 3, 14, 5, 0, 0, time.UTC)
	cases := []struct {
		tag             language.Tag
		num, frac, date string
		short, sentence string
	}{
		{language.English, "1,234,567", "7.25", "3 Oct 2026", "3 Oct", "+25 demo requested on 3 Oct"},
		{language.Polish, "1\u00a0234\u00a0567", "7,25", "3 paź 2026", "3 paź", "+25 demo requested, 3 paź"},
		{language.French, "1\u00a0234\u00a0567", "7,25", "3 oct. 2026", "3 oct.", "+25 demo requested le 3 oct."},
		{language.Indonesian, "1.234.567", "7,25", "3 Okt 2026", "3 Okt", "+25 demo requested pada 3 Okt"},
	}
	for _, tc := range cases {
		l := c.localizer(tc.tag)
		if got := l.Num(int64(1234567)); got != tc.num {
			t.Errorf("%s Num = %q, want %q", tc.tag, got, tc.num)
		}
		if got := l.Num(7.25); got != tc.frac {
			t.Errorf("%s Num(7.25) = %q, want %q", tc.tag, got, tc.frac)
		}
		if got := l.Date(day); got != tc.date {
			t.Errorf("%s Date = %q, want %q", tc.tag, got, tc.date)
		}
		if got := l.Short(day); got != tc.short {
			t.Errorf("%s Short = %q, want %q", tc.tag, got, tc.short)
		}
		if got := l.T("explain.once", l.Signed(25), "demo requested", l.Short(day)); got != tc.sentence {
			t.Errorf("%s sentence = %q, want %q", tc.tag, got, tc.sentence)
		}
	}
	if got := c.localizer(language.English).Signed(-10); got != "−10" {
		t.Errorf("Signed(-10) = %q", got)
	}
}

func osDir(dir string) fs.FS { return dirFS(dir) }
