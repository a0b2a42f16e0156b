package webui

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

//go:embed locales/*.json
var localeFiles embed.FS

// languages are the UI's languages, English first: it is the fallback
// when the browser asks for none of them.
var languages = []language.Tag{language.English, language.Indonesian, language.Polish, language.French}

// catalogs holds every UI text in every language, loaded from the embedded
// locales/<lang>.json files (one flat object: message key -> text with
// fmt verbs).
type catalogs struct {
	cat     *catalog.Builder
	matcher language.Matcher
	// keys are the English keys; every other file must have the same.
	keys map[string]map[string]string
}

func loadCatalogs() (*catalogs, error) {
	return loadCatalogsFrom(localeFiles)
}

func loadCatalogsFrom(fsys fs.FS) (*catalogs, error) {
	c := &catalogs{cat: catalog.NewBuilder(catalog.Fallback(language.English)), matcher: language.NewMatcher(languages),
		keys: map[string]map[string]string{}}
	for _, tag := range languages {
		name := "locales/" + tag.String() + ".json"
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var msgs map[string]string
		if err := json.Unmarshal(b, &msgs); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for k, v := range msgs {
			if err := c.cat.SetString(tag, k, v); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", name, k, err)
			}
		}
		c.keys[tag.String()] = msgs
	}
	return c, nil
}

// missing lists, per language, the English keys it lacks and the keys it
// has that English does not.
func (c *catalogs) missing() []string {
	var out []string
	en := c.keys["en"]
	for _, tag := range languages[1:] {
		msgs := c.keys[tag.String()]
		for k := range en {
			if _, ok := msgs[k]; !ok {
				out = append(out, tag.String()+": missing "+k)
			}
		}
		for k := range msgs {
			if _, ok := en[k]; !ok {
				out = append(out, tag.String()+": unknown "+k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// pick chooses the language: the user's own choice, else the browser's
// Accept-Language.
func (c *catalogs) pick(userLocale string, r *http.Request) language.Tag {
	prefs := []string{}
	if userLocale != "" {
		prefs = append(prefs, userLocale)
	}
	prefs = append(prefs, r.Header.Get("Accept-Language"))
	tag, _ := language.MatchStrings(c.matcher, prefs...)
	base, _ := tag.Base()
	for _, l := range languages {
		if b, _ := l.Base(); b == base {
			return l
		}
	}
	return language.English
}

func (c *catalogs) localizer(tag language.Tag) *localizer {
	return &localizer{Tag: tag, p: message.NewPrinter(tag, message.Catalog(c.cat))}
}

// localizer formats UI text, numbers and dates in one language. Templates
// call it as $.L.T "key" args...
type localizer struct {
	Tag language.Tag
	p   *message.Printer
}

// Lang is the page's lang attribute.
func (l *localizer) Lang() string { return l.Tag.String() }

// T is the text of key, with args formatted into it per the language.
func (l *localizer) T(key string, args ...any) string { return l.p.Sprintf(key, args...) }

// Num formats a number with the language's separators, with at most the
// decimals it needs (up to two).
func (l *localizer) Num(v any) string {
	switch n := v.(type) {
	case *int64:
		if n == nil {
			return ""
		}
		return l.Num(*n)
	case *float64:
		if n == nil {
			return ""
		}
		return l.Num(*n)
	case int:
		return l.p.Sprintf("%d", n)
	case int64:
		return l.p.Sprintf("%d", n)
	case float64:
		if n == float64(int64(n)) {
			return l.p.Sprintf("%d", int64(n))
		}
		s := l.p.Sprintf("%.2f", n)
		return strings.TrimRight(strings.TrimRight(s, "0"), ".,")
	}
	return fmt.Sprint(v)
}

// Signed is a number of points with its sign: +25, −10.
func (l *localizer) Signed(v float64) string {
	if v >= 0 {
		return "+" + l.Num(v)
	}
	return "−" + l.Num(-v)
}

// Date is a day as the language writes it: "3 Oct 2026", "3 paź 2026".
func (l *localizer) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	return l.T("date.format", strconv.Itoa(t.Day()), l.T("month."+strconv.Itoa(int(t.Month()))), strconv.Itoa(t.Year()))
}

// DateTime adds the time of day (UTC) to Date.
func (l *localizer) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return l.Date(t) + " " + t.UTC().Format("15:04") + " UTC"
}

// Short is a day without the year, for sentences: "3 Oct".
func (l *localizer) Short(t time.Time) string {
	t = t.UTC()
	return l.T("date.short", strconv.Itoa(t.Day()), l.T("month."+strconv.Itoa(int(t.Month()))))
}

// languageNames are the languages as their speakers name them, for the
// language menu.
var languageNames = map[string]string{"en": "English", "id": "Bahasa Indonesia", "pl": "Polski", "fr": "Français"}

type languageChoice struct{ Tag, Name string }

func languageChoices() []languageChoice {
	out := make([]languageChoice, len(languages))
	for i, l := range languages {
		out[i] = languageChoice{l.String(), languageNames[l.String()]}
	}
	return out
}
