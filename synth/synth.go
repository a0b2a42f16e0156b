// Package synth generates realistic, reproducible B2B data for demos,
// tests and benchmarks: accounts with log-normal head counts, several people
// per account with titles of every seniority, free-mail, disposable and role
// addresses, heavy-tailed event streams (email, web, forms, webinars,
// trials, demos), planted bot traffic (crawler user agents, link scanners
// that click within a second or two of delivery, bursts that click every
// link of an email at once), and a hidden outcome per lead that depends on
// its behaviour with noise.
//
// Output is a pure function of the options: the same seed gives the same
// bytes. Records are written as they are made, so memory does not grow with
// the size of the data set.
package synth

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Options size and shape a data set. Zero values take the defaults noted.
type Options struct {
	// Leads is the number of people (default 1000).
	Leads int
	// Accounts is the number of companies; 0 derives it from
	// PeoplePerAccount. Accounts are drawn with a heavy-tailed size, so the
	// number made is close to, not exactly, this.
	Accounts int
	// PeoplePerAccount is the mean number of people per company (default 3).
	PeoplePerAccount float64
	// EventsPerLead is the mean number of events per lead (default 20); the
	// distribution is heavy-tailed, most leads have few and some very many.
	EventsPerLead float64
	// Start and End bound event times (default: the 180 days up to
	// 2026-11-01 UTC).
	Start, End time.Time
	// Seed makes the data set; the same seed gives the same bytes.
	Seed uint64
	// BotShare is the share of leads behind a mail link scanner or hit by
	// crawlers (default 0.05; negative for none).
	BotShare float64
}

// DefaultEnd is the end of the default time range. It is fixed, never the
// current time, so that a seed always produces the same data.
var DefaultEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func (o Options) withDefaults() (Options, error) {
	if o.Leads == 0 {
		o.Leads = 1000
	}
	if o.Leads < 0 {
		return o, fmt.Errorf("leads must be positive, got %d", o.Leads)
	}
	if o.Accounts < 0 {
		return o, fmt.Errorf("accounts must not be negative, got %d", o.Accounts)
	}
	if o.Accounts > 0 {
		o.PeoplePerAccount = float64(o.Leads) / float64(o.Accounts)
	}
	if o.PeoplePerAccount == 0 {
		o.PeoplePerAccount = 3
	}
	if o.PeoplePerAccount < 1 {
		o.PeoplePerAccount = 1
	}
	if o.EventsPerLead == 0 {
		o.EventsPerLead = 20
	}
	if o.EventsPerLead < 0 {
		return o, fmt.Errorf("events per lead must not be negative, got %g", o.EventsPerLead)
	}
	if o.End.IsZero() {
		o.End = DefaultEnd
	}
	if o.Start.IsZero() {
		o.Start = o.End.Add(-180 * 24 * time.Hour)
	}
	if !o.End.After(o.Start) {
		return o, fmt.Errorf("end (%s) must be after start (%s)", o.End.Format(time.RFC3339), o.Start.Format(time.RFC3339))
	}
	if o.BotShare == 0 {
		o.BotShare = 0.05
	}
	if o.BotShare < 0 {
		o.BotShare = 0
	}
	o.Start, o.End = o.Start.UTC(), o.End.UTC()
	return o, nil
}

// Validate reports options that cannot make a data set.
func (o Options) Validate() error {
	_, err := o.withDefaults()
	return err
}

// Stats counts what was written.
type Stats struct {
	Leads     int
	Accounts  int
	Events    int
	BotEvents int
	Converted int
}

// LeadColumns is the header of the generated leads.csv: the canonical
// column names of package ingest plus the hidden outcome.
var LeadColumns = []string{"id", "email", "first_name", "last_name", "title", "phone", "country", "state",
	"city", "source", "created_at", "company", "domain", "employees", "industry", "revenue", "priority", "lists",
	"seniority", "converted", "converted_at"}

// Generate writes leads as CSV to leads and events as JSON lines to events.
// progress, when not nil, is called with the number of leads written so far
// every few hundred leads and at the end.
func Generate(ctx context.Context, opts Options, leads, events io.Writer, progress func(done int)) (Stats, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	g := &generator{
		opts:   o,
		rng:    rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)),
		csv:    csv.NewWriter(leads),
		events: bufio.NewWriterSize(events, 1<<20),
		row:    make([]string, len(LeadColumns)),
	}
	if err := g.csv.Write(LeadColumns); err != nil {
		return Stats{}, err
	}
	for g.stats.Leads < o.Leads {
		if err := ctx.Err(); err != nil {
			return g.stats, err
		}
		if err := g.account(); err != nil {
			return g.stats, err
		}
		if progress != nil && g.stats.Leads-g.reported >= 500 {
			g.reported = g.stats.Leads
			progress(g.stats.Leads)
		}
	}
	g.csv.Flush()
	if err := g.csv.Error(); err != nil {
		return g.stats, err
	}
	if err := g.events.Flush(); err != nil {
		return g.stats, err
	}
	if progress != nil {
		progress(g.stats.Leads)
	}
	return g.stats, nil
}

type generator struct {
	opts     Options
	rng      *rand.Rand
	csv      *csv.Writer
	events   *bufio.Writer
	stats    Stats
	reported int
	eventSeq uint64
	row      []string
	buf      []event
	line     []byte
}

type company struct {
	name, domain, industry string
	country                *country
	employees              int64 // 0: unknown
	revenue                float64
	priority               bool
	lists                  []string
	size                   float64 // 0..1, log-scaled head count
}

type person struct {
	id, email, first, last, title string
	senior                        *seniority
	emailKind                     emailKind
	created                       time.Time
	fit, intent                   float64
	scanned                       bool // behind a link scanner
	ua                            string
}

type emailKind int

const (
	emailCorporate emailKind = iota
	emailFree
	emailDisposable
	emailRole
	emailInvalid
)

// logNormal draws exp(N(mu, sigma)).
func (g *generator) logNormal(mu, sigma float64) float64 {
	return math.Exp(mu + sigma*g.rng.NormFloat64())
}

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

func pick[T any](g *generator, xs []T) T { return xs[g.rng.IntN(len(xs))] }

func (g *generator) account() error {
	idx := g.stats.Accounts
	g.stats.Accounts++
	c := &company{}
	head := companyHeads[idx%len(companyHeads)]
	tail := companyTails[(idx/len(companyHeads))%len(companyTails)]
	gen := idx / (len(companyHeads) * len(companyTails))
	c.name = head + " " + tail
	slug := strings.ToLower(head + tail)
	if gen > 0 {
		c.name += " " + strconv.Itoa(gen+1)
		slug += strconv.Itoa(gen + 1)
	}
	c.country = g.country()
	c.domain = slug + "." + pick(g, c.country.tlds)
	c.industry = pick(g, industries[:])
	emp := g.logNormal(math.Log(60), 1.7)
	emp = math.Min(math.Max(emp, 1), 300000)
	c.size = math.Min(math.Log10(emp)/5, 1)
	if !g.chance(0.08) {
		c.employees = int64(math.Round(emp))
		if !g.chance(0.2) {
			c.revenue = math.Round(emp*g.logNormal(math.Log(150000), 0.5)/1000) * 1000
		}
	}
	c.priority = g.chance(0.02 + 0.1*c.size)
	if c.priority {
		c.lists = append(c.lists, "target-accounts")
	}
	if g.chance(0.1) {
		c.lists = append(c.lists, "newsletter-2026")
	}
	// Heavy-tailed company size in people: most accounts have one or two
	// known people, a few have dozens.
	mean := g.opts.PeoplePerAccount
	sigma := 0.8
	n := int(math.Round(g.logNormal(math.Log(mean)-sigma*sigma/2, sigma)))
	n = max(1, min(n, g.opts.Leads-g.stats.Leads, 5000))
	used := map[string]bool{}
	for range n {
		if err := g.person(c, used); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) country() *country {
	total := 0.0
	for i := range countries {
		total += countries[i].weight
	}
	x := g.rng.Float64() * total
	for i := range countries {
		if x -= countries[i].weight; x < 0 {
			return &countries[i]
		}
	}
	return &countries[len(countries)-1]
}

func (g *generator) seniority() *seniority {
	total := 0.0
	for i := range seniorities {
		total += seniorities[i].weight
	}
	x := g.rng.Float64() * total
	for i := range seniorities {
		if x -= seniorities[i].weight; x < 0 {
			return &seniorities[i]
		}
	}
	return &seniorities[len(seniorities)-1]
}

func asciiSlug(s string) string {
	r := strings.NewReplacer("é", "e", "ü", "u", "ö", "o", "ã", "a", "í", "i", "'", "", " ", "")
	return strings.ToLower(r.Replace(s))
}

func (g *generator) person(c *company, used map[string]bool) error {
	g.stats.Leads++
	p := &person{id: fmt.Sprintf("L%07d", g.stats.Leads)}
	p.first, p.last = pick(g, firstNames[:]), pick(g, lastNames[:])
	p.senior = g.seniority()
	p.title = pick(g, p.senior.titles)
	local := asciiSlug(p.first) + "." + asciiSlug(p.last)
	switch x := g.rng.Float64(); {
	case x < 0.70:
		p.emailKind = emailCorporate
	case x < 0.88:
		p.emailKind = emailFree
	case x < 0.91:
		p.emailKind = emailDisposable
	case x < 0.995:
		p.emailKind = emailRole
	default:
		p.emailKind = emailInvalid
	}
	if p.senior.name == "student" && p.emailKind == emailCorporate && g.chance(0.6) {
		p.emailKind = emailFree
	}
	switch p.emailKind {
	case emailCorporate:
		domain := c.domain
		if g.chance(0.03) {
			domain = "mail." + domain
		}
		p.email = local + "@" + domain
		for i := 2; used[p.email]; i++ {
			p.email = local + strconv.Itoa(i) + "@" + domain
		}
	case emailFree:
		p.email = local + strconv.Itoa(g.stats.Leads) + "@" + pick(g, freeMail[:])
	case emailDisposable:
		p.email = "u" + strconv.FormatUint(g.rng.Uint64()%1e9, 36) + "x" + strconv.Itoa(g.stats.Leads) + "@" + pick(g, disposableMail[:])
	case emailRole:
		p.email = pick(g, roleLocals[:]) + "@" + c.domain
		for i := 2; used[p.email]; i++ {
			p.email = pick(g, roleLocals[:]) + strconv.Itoa(i) + "@" + c.domain
		}
	case emailInvalid:
		p.email = local + "@" + strings.SplitN(c.domain, ".", 2)[0]
	}
	used[p.email] = true
	span := g.opts.End.Sub(g.opts.Start)
	p.created = g.opts.Start.Add(time.Duration(g.rng.Float64() * 0.95 * float64(span))).Truncate(time.Second)
	p.fit = 0.65*p.senior.fit + 0.35*c.size
	if p.emailKind != emailCorporate {
		p.fit *= 0.7
	}
	p.intent = clamp01(0.55*p.fit + 0.45*g.rng.Float64() + 0.1*g.rng.NormFloat64())
	p.scanned = p.emailKind == emailCorporate && g.chance(g.opts.BotShare)
	p.ua = pick(g, browserUAs[:])

	g.buf = g.buf[:0]
	g.behaviour(p)
	slices.SortStableFunc(g.buf, func(a, b event) int { return a.at.Compare(b.at) })
	converted, convertedAt := g.outcome(p)

	row := g.row
	for i := range row {
		row[i] = ""
	}
	row[0], row[1], row[2], row[3], row[4] = p.id, p.email, p.first, p.last, p.title
	row[5] = fmt.Sprintf("+%d %03d %04d", 1+g.rng.IntN(98), g.rng.IntN(1000), g.rng.IntN(10000))
	row[6] = c.country.name
	row[7] = pick(g, c.country.states)
	row[8] = pick(g, c.country.cities)
	row[9] = pick(g, sources[:])
	row[10] = p.created.Format(time.RFC3339)
	// People on private addresses are usually not tied to their company in
	// a CRM; half of them still typed a company name into a form.
	tied := p.emailKind == emailCorporate || p.emailKind == emailRole
	if tied || g.chance(0.5) {
		row[11] = c.name
	}
	if tied {
		row[12] = c.domain
		if c.employees > 0 {
			row[13] = strconv.FormatInt(c.employees, 10)
		}
		row[14] = c.industry
		if c.revenue > 0 {
			row[15] = strconv.FormatFloat(c.revenue, 'f', -1, 64)
		}
		row[16] = strconv.FormatBool(c.priority)
		row[17] = strings.Join(c.lists, ";")
	}
	row[18] = p.senior.name
	row[19] = strconv.FormatBool(converted)
	if converted {
		row[20] = convertedAt.Format(time.RFC3339)
		g.stats.Converted++
	}
	if err := g.csv.Write(row); err != nil {
		return err
	}
	for i := range g.buf {
		if err := g.writeEvent(p, &g.buf[i]); err != nil {
			return err
		}
	}
	return nil
}

func clamp01(x float64) float64 { return math.Min(math.Max(x, 0), 1) }
