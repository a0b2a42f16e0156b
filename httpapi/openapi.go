package httpapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
)

// The OpenAPI document is built here rather than kept as a JSON file: the
// schemas of the domain types are derived from the Go types themselves, so
// a field added to leadscore.Lead appears in the document without anyone
// remembering to add it. The operations are written out by hand, and a
// test holds them to the server's route table.

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }
func arr(items any) obj   { return obj{"type": "array", "items": items} }
func str(desc string) obj {
	s := obj{"type": "string"}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

func object(props obj, required ...string) obj {
	o := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func pageOf(item any) obj {
	return object(obj{
		"data":        arr(item),
		"next_cursor": str("present when there is another page: pass it back as ?cursor="),
	}, "data")
}

// apiOp is one documented operation.
type apiOp struct {
	method, path string
	summary      string
	desc         string
	tag          string
	auth         authMode
	scope        leadscore.Scope
	params       []obj
	body         obj // requestBody, nil for none
	ok           string
	okBody       obj // response schema of the success status, nil for none
	okType       string
	errors       []string
}

func pathParam(name, desc string) obj {
	return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": str("")}
}

func queryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "description": desc, "schema": schema}
}

func jsonBody(schema obj, desc string) obj {
	return obj{"required": true, "description": desc, "content": obj{"application/json": obj{"schema": schema}}}
}

// oneOrBatch is a request body of one item or {"<key>": [items]}.
func oneOrBatch(item, key string) obj {
	return obj{"oneOf": []any{ref(item), object(obj{key: arr(ref(item))}, key)}}
}

func apiOps() []apiOp {
	const read, write, admin = leadscore.ScopeRead, leadscore.ScopeWrite, leadscore.ScopeAdmin
	id := pathParam("id", "the lead id")
	limit := func(def, max string) obj {
		return queryParam("limit", "page size, 1 to "+max+" (default "+def+")", obj{"type": "integer", "minimum": 1})
	}
	cursor := queryParam("cursor", "the next_cursor of the previous page", str(""))
	listName := pathParam("name", "the list name")
	segErrs := []string{"400", "401", "413", "415", "429", "500", "503"}
	restRead := []string{"400", "401", "403", "404", "429", "500", "503"}
	restWrite := []string{"400", "401", "403", "413", "415", "429", "500", "503"}

	segment := func(path, summary string, body obj) apiOp {
		return apiOp{method: "POST", path: path, summary: summary, tag: "segment", auth: authSegment, scope: write,
			desc: "Segment-compatible ingestion. The write key is the HTTP Basic user name (empty password) " +
				"or the body's writeKey. Bodies may be gzip-compressed (Content-Encoding: gzip); Content-Type is ignored. " +
				"Invalid messages are rejected one by one and listed in the response; the others are kept.",
			body: obj{"required": true, "content": obj{"application/json": obj{"schema": body}}},
			ok:   "200", okBody: ref("SegmentResponse"), errors: segErrs}
	}
	single := func(kind string) obj {
		return obj{"allOf": []any{ref("SegmentMessage")}, "description": "one " + kind + " message"}
	}

	return []apiOp{
		segment("/v1/batch", "Send a batch of Segment messages", ref("SegmentBatch")),
		segment("/v1/identify", "Identify a person and set their traits", single("identify")),
		segment("/v1/track", "Record an event", single("track")),
		segment("/v1/page", "Record a page view", single("page")),
		segment("/v1/screen", "Record a screen view", single("screen")),
		segment("/v1/group", "Attach a person to an account", single("group")),
		segment("/v1/alias", "Merge two identities", single("alias")),

		{method: "POST", path: "/api/v1/events", summary: "Send events", tag: "ingest", auth: authBearer, scope: write,
			desc: "One event, or {\"events\": [...]}. A batch keeps its valid events and reports the others by index; " +
				"a single event that is rejected is a 400. Events are deduplicated on message_id.",
			body: jsonBody(oneOrBatch("NativeEvent", "events"), ""), ok: "200", okBody: ref("EventsResponse"), errors: restWrite},
		{method: "POST", path: "/api/v1/leads", summary: "Create or update leads", tag: "ingest", auth: authBearer, scope: write,
			desc: "One lead, or {\"leads\": [...]}. All or nothing: any invalid lead rejects the request with every problem listed.",
			body: jsonBody(oneOrBatch("LeadInput", "leads"), "a lead needs an id or an email"), ok: "200", okBody: ref("UpsertResponse"), errors: restWrite},
		{method: "POST", path: "/api/v1/accounts", summary: "Create or update accounts", tag: "ingest", auth: authBearer, scope: write,
			desc: "One account, or {\"accounts\": [...]}. All or nothing, like leads.",
			body: jsonBody(oneOrBatch("AccountInput", "accounts"), "an account needs an id or a domain"), ok: "200", okBody: ref("UpsertResponse"), errors: restWrite},

		{method: "GET", path: "/api/v1/leads", summary: "List leads", tag: "leads", auth: authBearer, scope: read,
			params: []obj{
				queryParam("model", "model whose scores to show, order by and filter on", str("")),
				queryParam("band", "only leads in this band of the model", str("")),
				queryParam("qualified", "only leads that are (true) or are not (false) qualified under the model", obj{"type": "boolean"}),
				queryParam("account", "only leads of this account id", str("")),
				queryParam("owner", "only leads of this owner", str("")),
				queryParam("min_score", "only leads scoring at least this under the model", obj{"type": "number"}),
				queryParam("updated_since", "only leads updated at or after this time (RFC 3339 or a date)", str("")),
				queryParam("q", "prefix of the email, name or company", str("")),
				queryParam("order", "score (default when model is set) or updated", obj{"type": "string", "enum": []string{"score", "updated"}}),
				cursor, limit("50", "500"),
			},
			ok: "200", okBody: pageOf(ref("LeadRow")), errors: restRead},
		{method: "GET", path: "/api/v1/leads/{id}", summary: "Get a lead with its account and scores", tag: "leads", auth: authBearer, scope: read,
			params: []obj{id}, ok: "200", okBody: ref("LeadView"), errors: restRead},
		{method: "GET", path: "/api/v1/leads/{id}/events", summary: "A lead's events", tag: "leads", auth: authBearer, scope: read,
			params: []obj{id, limit("100", "1000")}, ok: "200", okBody: pageOf(ref("StoredEvent")), errors: restRead},
		{method: "GET", path: "/api/v1/leads/{id}/history", summary: "A lead's score history (the ledger)", tag: "leads", auth: authBearer, scope: read,
			params: []obj{id, queryParam("model", "only this model's entries", str("")), cursor, limit("50", "500")},
			ok:     "200", okBody: pageOf(ref("LedgerEntry")), errors: restRead},
		{method: "GET", path: "/api/v1/leads/{id}/score", summary: "Score a lead as of a time", tag: "leads", auth: authBearer, scope: read,
			desc: "Evaluates the lead from its stored events as of the given time under the active models, or one version of one model, with the full explanation.",
			params: []obj{id,
				queryParam("as_of", "RFC 3339 time or a date (midnight UTC); default now", str("")),
				queryParam("model", "evaluate only this model", str("")),
				queryParam("version", "evaluate this version of model instead of the active one", str("")),
			},
			ok: "200", okBody: ref("ScoreResponse"), errors: restRead},
		{method: "GET", path: "/api/v1/accounts/{id}", summary: "Get an account with its people and account scores", tag: "accounts", auth: authBearer, scope: read,
			params: []obj{pathParam("id", "the account id")}, ok: "200", okBody: ref("AccountView"), errors: restRead},

		{method: "GET", path: "/api/v1/account-lists", summary: "List account lists", tag: "accounts", auth: authBearer, scope: read,
			ok: "200", okBody: pageOf(ref("AccountList")), errors: restRead},
		{method: "GET", path: "/api/v1/account-lists/{name}", summary: "Get an account list", tag: "accounts", auth: authBearer, scope: read,
			params: []obj{listName}, ok: "200", okBody: ref("AccountList"), errors: restRead},
		{method: "PUT", path: "/api/v1/account-lists/{name}", summary: "Create or replace an account list", tag: "accounts", auth: authBearer, scope: admin,
			params: []obj{listName}, body: jsonBody(ref("AccountListInput"), "name may be omitted; it comes from the path; size is ignored"),
			ok: "200", okBody: ref("AccountList"), errors: restWrite},
		{method: "DELETE", path: "/api/v1/account-lists/{name}", summary: "Delete an account list", tag: "accounts", auth: authBearer, scope: admin,
			params: []obj{listName}, ok: "204", errors: restRead},
		{method: "POST", path: "/api/v1/account-lists/{name}/members", summary: "Add domains to an account list", tag: "accounts", auth: authBearer, scope: admin,
			params: []obj{listName}, body: jsonBody(ref("MembersRequest"), ""), ok: "204", errors: restWrite},
		{method: "DELETE", path: "/api/v1/account-lists/{name}/members", summary: "Remove domains from an account list", tag: "accounts", auth: authBearer, scope: admin,
			desc:   "The domains come from the JSON body or from repeated ?domain= parameters.",
			params: []obj{listName, queryParam("domain", "a domain to remove; repeatable", arr(str("")))},
			body:   obj{"required": false, "content": obj{"application/json": obj{"schema": ref("MembersRequest")}}},
			ok:     "204", errors: restWrite},

		{method: "POST", path: "/api/v1/models", summary: "Upload a model file", tag: "models", auth: authBearer, scope: admin,
			desc: "The body is the YAML model file. Each model it defines becomes a new, inactive version. " +
				"An invalid file is a 422 whose errors list every diagnostic with its line and column.",
			params: []obj{queryParam("filename", "file name shown in diagnostics (default model.yaml)", str(""))},
			body:   obj{"required": true, "content": obj{"application/yaml": obj{"schema": str("the model file")}}},
			ok:     "201", okBody: ref("UploadResult"), errors: []string{"400", "401", "403", "413", "415", "422", "429", "500", "503"}},
		{method: "GET", path: "/api/v1/models", summary: "List the active model versions", tag: "models", auth: authBearer, scope: read,
			ok: "200", okBody: pageOf(ref("ModelVersion")), errors: restRead},
		{method: "GET", path: "/api/v1/models/{name}/versions", summary: "List a model's versions", tag: "models", auth: authBearer, scope: read,
			params: []obj{pathParam("name", "the model name")}, ok: "200", okBody: pageOf(ref("ModelVersion")), errors: restRead},
		{method: "POST", path: "/api/v1/models/{name}/versions/{version}/activate", summary: "Activate a model version", tag: "models",
			auth: authBearer, scope: admin,
			desc:   "Makes the version active and starts a job that re-scores every lead; scores stay readable meanwhile. The Location header points at the job.",
			params: []obj{pathParam("name", "the model name"), pathParam("version", "the version to activate")},
			ok:     "202", okBody: ref("Job"), errors: restRead},
		{method: "GET", path: "/api/v1/jobs/{id}", summary: "Get a background job's progress", tag: "models", auth: authBearer, scope: read,
			params: []obj{pathParam("id", "the job id")}, ok: "200", okBody: ref("Job"), errors: restRead},

		{method: "POST", path: "/api/v1/keys", summary: "Create an API key", tag: "keys", auth: authBearer, scope: admin,
			desc: "The response holds the secret, shown this once and never stored.",
			body: jsonBody(ref("CreateKeyRequest"), ""), ok: "201", okBody: ref("NewAPIKey"), errors: restWrite},
		{method: "GET", path: "/api/v1/keys", summary: "List API keys", tag: "keys", auth: authBearer, scope: admin,
			ok: "200", okBody: pageOf(ref("APIKey")), errors: restRead},
		{method: "DELETE", path: "/api/v1/keys/{id}", summary: "Revoke an API key", tag: "keys", auth: authBearer, scope: admin,
			params: []obj{pathParam("id", "the key id")}, ok: "204", errors: restRead},

		{method: "GET", path: "/api/v1/openapi.json", summary: "This document", tag: "operations", ok: "200", okBody: obj{"type": "object"}},
		{method: "GET", path: "/healthz", summary: "Liveness: 200 while the process serves", tag: "operations",
			ok: "200", okBody: ref("Status")},
		{method: "GET", path: "/readyz", summary: "Readiness: 200 when the service can take traffic, else 503", tag: "operations",
			ok: "200", okBody: ref("Status"), errors: []string{"503"}},
		{method: "GET", path: "/metrics", summary: "Prometheus metrics", tag: "operations",
			ok: "200", okType: "text/plain", okBody: str("Prometheus text exposition format")},
	}
}

func errorText() map[string]string {
	return map[string]string{
		"400": "The request is invalid; errors lists each problem.",
		"401": "No API key, or an unknown or revoked one.",
		"403": "The API key lacks the scope this route needs.",
		"404": "No such resource.",
		"409": "The request conflicts with the resource's state (a lifecycle move that is not allowed); detail says what is.",
		"413": "The body (after decompression) is over the size limit.",
		"415": "Unsupported Content-Encoding.",
		"422": "The model or routing file is invalid; errors lists the diagnostics.",
		"429": "Rate limit exceeded for this key; see Retry-After.",
		"500": "Server error; retry later.",
		"503": "Temporarily unavailable; see Retry-After.",
	}
}

// buildOpenAPI renders the document served at /api/v1/openapi.json.
func buildOpenAPI() []byte {
	gen := &schemaGen{schemas: obj{}}
	for _, t := range []any{
		leadscore.Lead{}, leadscore.Account{}, leadscore.LeadView{}, leadscore.LeadRow{}, leadscore.StoredEvent{},
		leadscore.LedgerEntry{}, leadscore.Evaluation{}, leadscore.AccountView{}, leadscore.AccountList{},
		leadscore.ModelVersion{}, leadscore.UploadResult{}, leadscore.Job{}, leadscore.APIKey{}, leadscore.NewAPIKey{},
	} {
		gen.of(reflect.TypeOf(t))
	}
	for _, t := range automationSchemas() {
		gen.of(reflect.TypeOf(t))
	}
	for _, t := range analyticsSchemas() {
		gen.of(reflect.TypeOf(t))
	}
	for _, t := range predictiveSchemas() {
		gen.of(reflect.TypeOf(t))
	}
	// Request bodies get their own variants without required fields: a
	// lead sent with only an email is valid input even though a lead read
	// back always has an id.
	input := &schemaGen{schemas: gen.schemas, suffix: "Input", optional: true}
	for _, t := range []any{leadscore.Lead{}, leadscore.Account{}, leadscore.AccountList{}} {
		input.of(reflect.TypeOf(t))
	}
	schemas := gen.schemas
	for name, s := range handWrittenSchemas() {
		schemas[name] = s
	}

	paths := obj{}
	for _, op := range append(append(append(apiOps(), automationOps()...), analyticsOps()...), predictiveOps()...) {
		item, _ := paths[op.path].(obj)
		if item == nil {
			item = obj{}
			paths[op.path] = item
		}
		item[strings.ToLower(op.method)] = op.render()
	}
	responses := obj{}
	for code, text := range errorText() {
		responses["Problem"+code] = obj{
			"description": text,
			"content":     obj{"application/problem+json": obj{"schema": ref("Problem")}},
		}
	}
	doc := obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":   "leadscore API",
			"version": "1",
			"description": "Lead scoring service. REST under /api/v1 with API keys as Bearer tokens (scopes: write, read, admin); " +
				"Segment-compatible ingestion under /v1. Times are RFC 3339; lists are cursor-paginated; errors are application/problem+json.",
		},
		"tags": []any{
			obj{"name": "segment", "description": "Segment-compatible ingestion"},
			obj{"name": "ingest", "description": "Native ingestion"},
			obj{"name": "leads"}, obj{"name": "accounts"}, obj{"name": "models"}, obj{"name": "keys"},
			obj{"name": "automation", "description": "Lifecycle stages, sales actions, outcomes, routing and owners"},
			obj{"name": "webhooks", "description": "Subscriptions, deliveries and replays"}, obj{"name": "operations"},
			obj{"name": "reports", "description": "Models measured against recorded outcomes; impact previews"},
			obj{"name": "predictive", "description": "Predictive models trained from the recorded outcomes, stored with their reports"},
		},
		"paths": paths,
		"components": obj{
			"schemas":   schemas,
			"responses": responses,
			"securitySchemes": obj{
				"bearer":   obj{"type": "http", "scheme": "bearer", "description": "an API key"},
				"writeKey": obj{"type": "http", "scheme": "basic", "description": "a write key as the user name, empty password"},
			},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("httpapi: OpenAPI document: " + err.Error())
	}
	return b
}

func (op apiOp) render() obj {
	o := obj{
		"summary":     op.summary,
		"operationId": operationID(op.method, op.path),
		"tags":        []string{op.tag},
	}
	desc := op.desc
	switch op.auth {
	case authBearer:
		o["security"] = []any{obj{"bearer": []string{}}}
		desc = strings.TrimSpace(desc + " Scope: " + string(op.scope) + ".")
		o["x-scope"] = op.scope
	case authSegment:
		// The empty requirement says the key may instead be in the body.
		o["security"] = []any{obj{"writeKey": []string{}}, obj{}}
		o["x-scope"] = op.scope
	default:
		o["security"] = []any{}
	}
	if desc != "" {
		o["description"] = desc
	}
	if len(op.params) > 0 {
		o["parameters"] = op.params
	}
	if op.body != nil {
		o["requestBody"] = op.body
	}
	resp := obj{}
	okResp := obj{"description": "success"}
	if op.okBody != nil {
		ct := op.okType
		if ct == "" {
			ct = "application/json"
		}
		okResp["content"] = obj{ct: obj{"schema": op.okBody}}
	}
	resp[op.ok] = okResp
	for _, code := range op.errors {
		resp[code] = obj{"$ref": "#/components/responses/Problem" + code}
	}
	o["responses"] = resp
	return o
}

// operationID makes "getApiV1LeadsId"-style ids from the method and path.
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '{' || r == '}' || r == '-' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func handWrittenSchemas() obj {
	anyObject := obj{"type": "object", "additionalProperties": true}
	ingestStatus := obj{"type": "string", "enum": []string{"accepted", "duplicate", "rejected"}}
	return obj{
		"Problem": object(obj{
			"type":       str("always about:blank: the status and code say what happened"),
			"title":      str("the HTTP status text"),
			"status":     obj{"type": "integer"},
			"detail":     str("what went wrong, for a person"),
			"code":       obj{"type": "string", "enum": []string{"invalid", "not_found", "conflict", "unauthorized", "forbidden", "internal"}},
			"request_id": str("the id under which the server logged the request"),
			"errors":     arr(ref("ProblemItem")),
		}, "type", "title", "status"),
		"ProblemItem": object(obj{
			"index":    obj{"type": "integer", "description": "position in a batch"},
			"field":    str("the field at fault"),
			"line":     obj{"type": "integer", "description": "model file line"},
			"column":   obj{"type": "integer", "description": "model file column"},
			"severity": str("error or warning (model diagnostics)"),
			"message":  str(""),
		}, "message"),
		"NativeEvent": object(obj{
			"lead_id":      str("the lead's id (its external id)"),
			"user_id":      str("the lead's external id; same as lead_id"),
			"email":        str("the lead's email, when no id is known"),
			"anonymous_id": str("a device id, merged into the lead when it is identified"),
			"type":         str("the event type, such as page.viewed or demo.requested"),
			"timestamp":    str("when it happened, RFC 3339; default: when it was received"),
			"properties":   anyObject,
			"message_id":   str("deduplication key; default: a hash of the event"),
			"user_agent":   str(""),
			"ip":           str(""),
		}, "type"),
		"EventsResponse": object(obj{
			"accepted":   obj{"type": "integer"},
			"duplicates": obj{"type": "integer"},
			"rejected":   obj{"type": "integer"},
			"results": arr(object(obj{
				"index":      obj{"type": "integer"},
				"message_id": str(""),
				"status":     ingestStatus,
				"lead_id":    str(""),
				"error":      str(""),
			}, "index", "status")),
		}, "accepted", "duplicates", "rejected", "results"),
		"UpsertResponse": object(obj{"upserted": obj{"type": "integer"}}, "upserted"),
		"SegmentMessage": obj{
			"type":                 "object",
			"additionalProperties": true,
			"properties": obj{
				"type":              obj{"type": "string", "enum": []string{"identify", "track", "page", "screen", "group", "alias"}},
				"messageId":         str("deduplication key; default: a hash of the message"),
				"userId":            str(""),
				"anonymousId":       str(""),
				"previousId":        str("alias: the id being merged"),
				"groupId":           str("group: the account"),
				"event":             str("track: the event type"),
				"name":              str("page or screen name"),
				"properties":        anyObject,
				"traits":            anyObject,
				"context":           anyObject,
				"timestamp":         str("RFC 3339"),
				"originalTimestamp": str("RFC 3339, device clock"),
				"sentAt":            str("RFC 3339, device clock"),
				"writeKey":          str("single calls: the write key, instead of Basic auth"),
			},
		},
		"SegmentBatch": object(obj{
			"batch":    arr(ref("SegmentMessage")),
			"sentAt":   str("RFC 3339, device clock"),
			"context":  anyObject,
			"writeKey": str("the write key, instead of Basic auth"),
		}, "batch"),
		"SegmentResponse": object(obj{
			"success":    obj{"type": "boolean"},
			"accepted":   obj{"type": "integer"},
			"duplicates": obj{"type": "integer"},
			"rejected":   obj{"type": "integer"},
			"results": arr(object(obj{
				"index":     obj{"type": "integer"},
				"messageId": str(""),
				"status":    ingestStatus,
				"leadId":    str(""),
				"error":     str(""),
			}, "index", "status")),
		}, "success"),
		"ScoreResponse": object(obj{
			"as_of": obj{"type": "string", "format": "date-time"},
			"data":  arr(ref("Evaluation")),
		}, "as_of", "data"),
		"MembersRequest": object(obj{"domains": arr(str(""))}, "domains"),
		"CreateKeyRequest": object(obj{
			"name":   str(""),
			"scopes": arr(obj{"type": "string", "enum": []string{"write", "read", "admin"}}),
		}, "name", "scopes"),
		"Status": object(obj{"status": str("")}, "status"),
	}
}

// schemaGen derives JSON Schemas from Go types by their json tags. Named
// structs become components, which also handles recursive types.
type schemaGen struct {
	schemas obj
	// suffix is appended to component names; optional leaves out
	// "required", for request bodies.
	suffix   string
	optional bool
}

func (g *schemaGen) of(t reflect.Type) obj {
	switch t {
	case reflect.TypeFor[time.Time]():
		return obj{"type": "string", "format": "date-time"}
	case reflect.TypeFor[json.RawMessage]():
		return obj{"description": "any JSON value"}
	case reflect.TypeFor[leadscore.Duration]():
		return obj{"type": "string", "description": "a duration such as 30d, 2w, 12h or 90m"}
	case reflect.TypeFor[leadscore.Scope]():
		return obj{"type": "string", "enum": []string{"write", "read", "admin"}}
	case reflect.TypeFor[leadscore.JobState]():
		return obj{"type": "string", "enum": []string{"queued", "running", "succeeded", "failed"}}
	case reflect.TypeFor[leadscore.CauseKind]():
		return obj{"type": "string", "enum": []string{"event", "time", "model", "attribute", "merge", "rescore"}}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return obj{"anyOf": []any{g.of(t.Elem()), obj{"type": "null"}}}
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return obj{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return obj{"type": "number"}
	case reflect.Slice, reflect.Array:
		return arr(g.of(t.Elem()))
	case reflect.Map:
		return obj{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.Struct:
		name := t.Name() + g.suffix
		if _, done := g.schemas[name]; !done {
			g.schemas[name] = obj{} // placeholder: a recursive field refers to it
			g.schemas[name] = g.structSchema(t)
		}
		return ref(name)
	}
	return obj{}
}

func (g *schemaGen) structSchema(t reflect.Type) obj {
	props := obj{}
	var required []string
	g.fields(t, props, &required)
	return object(props, required...)
}

// fields adds t's JSON fields, flattening embedded structs as
// encoding/json does.
func (g *schemaGen) fields(t reflect.Type, props obj, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.of(f.Type)
		if !g.optional && !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}
