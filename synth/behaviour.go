package synth

import (
	"math"
	"strconv"
	"time"
)

// event is a generated event before it is written.
type event struct {
	at    time.Time
	typ   string
	props [3][2]string // up to three string properties, in write order
	ua    string
	// byEmail: the line names the lead by email, as mail tools do.
	byEmail bool
	bot     bool
}

func (g *generator) add(e event) {
	if e.at.Before(g.opts.End) && !e.at.Before(g.opts.Start) {
		g.buf = append(g.buf, e)
		if e.bot {
			g.stats.BotEvents++
		}
	}
}

func prop(k, v string) [2]string { return [2]string{k, v} }

// behaviour makes a lead's events. The number is heavy-tailed (log-normal
// around the configured mean, scaled by intent); the mix of activities
// shifts towards pricing, trials and demos as intent grows.
func (g *generator) behaviour(p *person) {
	mean := g.opts.EventsPerLead
	if mean == 0 {
		return
	}
	const sigma = 1.1
	target := mean * g.logNormal(-sigma*sigma/2, sigma) * (0.4 + 1.2*p.intent)
	n := int(math.Round(math.Min(target, 100*mean)))
	span := g.opts.End.Sub(p.created)
	if span <= 0 {
		return
	}
	at := func() time.Time {
		return p.created.Add(time.Duration(g.rng.Float64() * float64(span))).Truncate(time.Second)
	}
	for guard := 0; len(g.buf) < n && guard < 4*n+8; guard++ {
		switch x := g.rng.Float64(); {
		case x < 0.45:
			g.emailCampaign(p, at())
		case x < 0.88:
			g.session(p, at())
		case x < 0.94:
			g.form(p, at())
		case x < 0.97:
			g.add(event{at: at(), typ: "webinar.attended", props: [3][2]string{prop("webinar", pick(g, []string{"scoring-101", "abm-playbook", "product-tour"}))}})
		default:
			g.highIntent(p, at())
		}
	}
	if len(g.buf) > n && n > 0 {
		// Keep whole activities where possible, but never more than asked
		// for by much: trim the tail of the last activity.
		g.stats.BotEvents -= countBots(g.buf[n:])
		g.buf = g.buf[:n]
	}
}

func countBots(es []event) int {
	n := 0
	for i := range es {
		if es[i].bot {
			n++
		}
	}
	return n
}

func emailID(t time.Time, variant int) string {
	y, w := t.ISOWeek()
	return "em-" + strconv.Itoa(y) + "w" + strconv.Itoa(w) + "-" + strconv.Itoa(variant)
}

var emailLinks = [...]string{"/pricing", "/blog/what-is-lead-scoring", "/docs/getting-started", "/webinars/scoring-101", "/customers"}

func (g *generator) emailCampaign(p *person, t time.Time) {
	id := emailID(t, g.rng.IntN(3))
	byEmail := p.emailKind != emailInvalid && g.chance(0.1)
	base := event{byEmail: byEmail}
	if p.emailKind == emailInvalid || (p.emailKind == emailDisposable && g.chance(0.5)) || g.chance(0.01) {
		e := base
		e.at, e.typ, e.props[0] = t, "email.bounced", prop("email_id", id)
		g.add(e)
		return
	}
	d := base
	d.at, d.typ, d.props[0] = t, "email.delivered", prop("email_id", id)
	g.add(d)
	links := 2 + g.rng.IntN(3)
	if p.scanned {
		// A mail gateway opens and follows links within a second or two of
		// delivery; some scanners announce themselves, some pose as a
		// browser, and some click every link of the message at once.
		ua := p.ua
		if g.chance(0.5) {
			ua = pick(g, botUAs[:])
		}
		delay := time.Duration(1+g.rng.IntN(2)) * time.Second
		o := base
		o.at, o.typ, o.props[0], o.ua, o.bot = t.Add(delay), "email.opened", prop("email_id", id), ua, true
		g.add(o)
		burst := g.chance(0.5)
		for i := range links {
			if i > 0 && !burst {
				break
			}
			c := base
			c.at, c.typ, c.ua, c.bot = t.Add(delay), "email.clicked", ua, true
			c.props[0], c.props[1] = prop("email_id", id), prop("url", "https://www.example-vendor.com"+emailLinks[i])
			g.add(c)
		}
	}
	if !g.chance(0.15 + 0.55*p.intent) {
		return
	}
	openAt := t.Add(time.Duration(g.logNormal(math.Log(3*3600), 1.2) * float64(time.Second)))
	o := base
	o.at, o.typ, o.props[0], o.ua = openAt, "email.opened", prop("email_id", id), p.ua
	g.add(o)
	if g.chance(0.02 * (1 - p.intent)) {
		u := base
		u.at, u.typ, u.props[0] = openAt.Add(time.Minute), "email.unsubscribed", prop("email_id", id)
		g.add(u)
		return
	}
	if g.chance(0.1 + 0.45*p.intent) {
		c := base
		link := g.rng.IntN(links)
		if p.intent > 0.6 && g.chance(0.5) {
			link = 0
		}
		c.at, c.typ, c.ua = openAt.Add(time.Duration(10+g.rng.IntN(300))*time.Second), "email.clicked", p.ua
		c.props[0], c.props[1] = prop("email_id", id), prop("url", "https://www.example-vendor.com"+emailLinks[link])
		g.add(c)
	}
}

func (g *generator) session(p *person, t time.Time) {
	crawler := p.scanned && g.chance(0.3)
	ua := p.ua
	if crawler {
		ua = pick(g, botUAs[:])
	}
	g.add(event{at: t, typ: "session.started", ua: ua, bot: crawler})
	views := 1 + int(g.logNormal(0.5, 0.7))
	for range min(views, 20) {
		t = t.Add(time.Duration(5+g.rng.ExpFloat64()*40) * time.Second)
		g.add(event{at: t, typ: "page.viewed", ua: ua, bot: crawler, props: [3][2]string{prop("path", g.path(p))}})
	}
}

func (g *generator) path(p *person) string {
	x := g.rng.Float64()
	pricing := 0.04 + 0.3*p.intent
	careers := 0.02
	if p.senior.name == "student" {
		careers = 0.35
	}
	switch {
	case x < pricing:
		return "/pricing"
	case x < pricing+careers:
		return "/careers"
	case x < pricing+careers+0.25:
		return "/docs/" + pick(g, docTopics[:])
	case x < pricing+careers+0.6:
		return "/blog/" + pick(g, blogSlugs[:])
	case x < pricing+careers+0.75:
		return "/product"
	case x < pricing+careers+0.85:
		return "/customers"
	}
	return "/"
}

func (g *generator) form(p *person, t time.Time) {
	form := "newsletter"
	switch x := g.rng.Float64(); {
	case x < 0.1+0.25*p.intent:
		form = "contact"
	case x < 0.5:
		form = "ebook"
	}
	g.add(event{at: t, typ: "form.submitted", ua: p.ua, props: [3][2]string{prop("form", form)}})
}

func (g *generator) highIntent(p *person, t time.Time) {
	switch {
	case g.chance(0.2 + 0.6*p.intent):
		if g.chance(0.5) {
			g.add(event{at: t, typ: "trial.started", ua: p.ua, props: [3][2]string{prop("plan", pick(g, []string{"team", "business"}))}})
		} else {
			g.add(event{at: t, typ: "demo.requested", ua: p.ua, props: [3][2]string{prop("form", "demo")}})
		}
	default:
		g.session(p, t)
	}
}

// outcome decides whether the lead converted, from its real (non-bot)
// behaviour, its fit, and noise; a converter converts a few days to weeks
// after its last strong signal.
func (g *generator) outcome(p *person) (bool, time.Time) {
	var demo, trial, contact, unsub bool
	pricing, webinars, sessions := 0, 0, 0
	last := p.created
	for i := range g.buf {
		e := &g.buf[i]
		if e.bot {
			continue
		}
		strong := true
		switch e.typ {
		case "demo.requested":
			demo = true
		case "trial.started":
			trial = true
		case "form.submitted":
			contact = contact || e.props[0][1] == "contact"
		case "email.unsubscribed":
			unsub = true
			strong = false
		case "webinar.attended":
			webinars++
		case "session.started":
			sessions++
		case "page.viewed":
			strong = e.props[0][1] == "/pricing"
			if strong {
				pricing++
			}
		default:
			strong = false
		}
		if strong && e.at.After(last) {
			last = e.at
		}
	}
	x := -4.2 + 2.5*p.fit + 1.4*b2f(demo) + 1.0*b2f(trial) + 0.6*b2f(contact) +
		0.25*math.Min(float64(pricing), 5) + 0.3*math.Min(float64(webinars), 2) +
		0.05*math.Min(float64(sessions), 10) - 1.2*b2f(unsub) + 0.7*g.rng.NormFloat64()
	if p.senior.name == "student" {
		x -= 2
	}
	if p.emailKind == emailDisposable || p.emailKind == emailInvalid {
		x -= 1.5
	}
	if !g.chance(1 / (1 + math.Exp(-x))) {
		return false, time.Time{}
	}
	days := 2 + g.rng.ExpFloat64()*14
	return true, last.Add(time.Duration(days * 24 * float64(time.Hour))).Truncate(time.Second)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
