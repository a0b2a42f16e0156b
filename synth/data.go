package synth

// Vocabulary for generated records. The lists are small on purpose: a
// generated data set should look plausible to a person reading it, and the
// distributions (not the words) are what the engine is tested on.

var (
	companyHeads = [...]string{"Acme", "Nova", "Blue", "Bright", "Quanta", "Vertex", "Atlas", "Nimbus", "Pioneer",
		"Summit", "Cedar", "Orbit", "Helix", "Lumen", "Pixel", "Forge", "Harbor", "Iron", "Maple", "Polar", "Quartz",
		"Redwood", "Silver", "Terra", "Union", "Vector", "Zenith", "Apex", "Beacon", "Crest", "Delta", "Ember",
		"Falcon", "Granite", "Horizon", "Indigo", "Juniper", "Kestrel", "Lattice", "Meridian"}
	companyTails = [...]string{"Labs", "Systems", "Software", "Analytics", "Logistics", "Health", "Capital", "Works",
		"Dynamics", "Networks", "Solutions", "Robotics", "Foods", "Energy", "Media", "Cloud", "Bank", "Motors",
		"Retail", "Security"}
	industries = [...]string{"Software", "Financial Services", "Healthcare", "Manufacturing", "Retail",
		"Education", "Logistics", "Media", "Energy", "Telecommunications", "Consulting", "Government",
		"Real Estate", "Hospitality", "Non-profit"}
	firstNames = [...]string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
		"Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Chris",
		"Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley", "Priya", "Rahul",
		"Wei", "Mei", "Hiroshi", "Yuki", "Lukas", "Hannah", "Mathieu", "Camille", "José", "Lucía", "Ana", "João",
		"Sven", "Ingrid", "Olivia", "Noah", "Emma", "Liam", "Ava", "Lars", "Fatima", "Omar", "Chloé", "Jürgen"}
	lastNames = [...]string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
		"Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
		"Jackson", "Martin", "Lee", "Patel", "Sharma", "Chen", "Wang", "Tanaka", "Sato", "Müller", "Schmidt",
		"Dubois", "Laurent", "Silva", "Santos", "Johansson", "Nielsen", "O'Brien", "Kim", "Nguyen", "Khan",
		"Rossi", "Novak"}
	freeMail       = [...]string{"gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "gmx.de", "yahoo.co.uk"}
	disposableMail = [...]string{"mailinator.com", "guerrillamail.com", "yopmail.com", "10minutemail.com", "trashmail.com"}
	roleLocals     = [...]string{"info", "sales", "contact", "marketing", "admin", "support"}
	sources        = [...]string{"organic_search", "paid_search", "linkedin", "webinar", "referral", "event", "direct", "content"}
	docTopics      = [...]string{"getting-started", "api", "integrations/salesforce", "integrations/hubspot", "sso", "webhooks", "models", "security"}
	blogSlugs      = [...]string{"what-is-lead-scoring", "mql-vs-sql", "decay-explained", "b2b-intent-signals",
		"scoring-models-as-code", "account-based-marketing", "customer-story-acme", "release-notes"}
	browserUAs = [...]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
		"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
	}
	// botUAs are user agents that the crawler lists recognise: link
	// scanners of mail gateways and generic HTTP clients.
	botUAs = [...]string{
		"Mozilla/5.0 (compatible; Barracuda Sentinel (EE))",
		"python-requests/2.31.0",
		"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
		"Go-http-client/1.1",
		"curl/8.4.0",
	}
)

type country struct {
	name   string
	weight float64
	tlds   []string
	states []string
	cities []string
}

var countries = []country{
	{"United States", 40, []string{"com", "io", "com", "ai"}, []string{"CA", "NY", "TX", "WA", "MA", "IL", "FL", "CO"}, []string{"San Francisco", "New York", "Austin", "Seattle", "Boston", "Chicago", "Miami", "Denver"}},
	{"United Kingdom", 11, []string{"co.uk", "com", "io"}, []string{"England", "Scotland", "Wales"}, []string{"London", "Manchester", "Edinburgh", "Bristol", "Cardiff"}},
	{"Germany", 9, []string{"de", "com"}, []string{"Berlin", "Bavaria", "Hamburg", "Hesse"}, []string{"Berlin", "Munich", "Hamburg", "Frankfurt"}},
	{"France", 6, []string{"fr", "com"}, []string{"Île-de-France", "Auvergne-Rhône-Alpes"}, []string{"Paris", "Lyon"}},
	{"Canada", 6, []string{"ca", "com"}, []string{"ON", "BC", "QC"}, []string{"Toronto", "Vancouver", "Montreal"}},
	{"India", 8, []string{"in", "co.in", "com"}, []string{"Karnataka", "Maharashtra", "Delhi"}, []string{"Bengaluru", "Mumbai", "New Delhi"}},
	{"Australia", 5, []string{"com.au"}, []string{"NSW", "VIC"}, []string{"Sydney", "Melbourne"}},
	{"Brazil", 4, []string{"com.br"}, []string{"SP", "RJ"}, []string{"São Paulo", "Rio de Janeiro"}},
	{"Netherlands", 4, []string{"nl", "com"}, []string{"North Holland"}, []string{"Amsterdam", "Utrecht"}},
	{"Spain", 3, []string{"es"}, []string{"Madrid", "Catalonia"}, []string{"Madrid", "Barcelona"}},
	{"Sweden", 2, []string{"se"}, []string{"Stockholm"}, []string{"Stockholm"}},
	{"Japan", 2, []string{"co.jp", "jp"}, []string{"Tokyo"}, []string{"Tokyo", "Osaka"}},
}

// seniority levels, best fit first. fit is how much a person at that level
// is worth to a B2B seller; it drives behaviour and the hidden outcome.
type seniority struct {
	name   string
	weight float64
	fit    float64
	titles []string
}

var seniorities = []seniority{
	{"executive", 5, 0.9, []string{"CEO", "CTO", "CFO", "Chief Marketing Officer", "Founder", "COO", "Chief Revenue Officer"}},
	{"vp", 8, 0.85, []string{"VP Sales", "VP Marketing", "VP Engineering", "Vice President of Operations", "VP of Growth"}},
	{"director", 12, 0.75, []string{"Director of Marketing", "Head of Growth", "Director of IT", "Head of Data", "Sales Director", "Head of Revenue Operations"}},
	{"manager", 25, 0.55, []string{"Marketing Manager", "Engineering Manager", "Sales Manager", "Product Manager", "IT Manager", "Marketing Operations Manager"}},
	{"individual", 38, 0.35, []string{"Software Engineer", "Marketing Specialist", "Data Analyst", "Account Executive", "Designer", "Consultant", "SDR"}},
	{"student", 7, 0.05, []string{"Student", "Marketing Intern", "PhD Student", "Intern", "Graduate Student"}},
	{"unknown", 5, 0.3, []string{""}},
}
