package automation

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks specification's published test vector: matching it
// is what lets receivers verify leadscore's requests with any of that
// specification's libraries.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func mustSecret(t testing.TB, s string) Secret {
	t.Helper()
	sec, err := ParseSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	return sec
}

func TestSignMatchesTheStandardVector(t *testing.T) {
	sec := mustSecret(t, vectorSecret)
	if got := Sign(sec, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody)); got != vectorSignature {
		t.Fatalf("Sign = %s, want %s", got, vectorSignature)
	}
	if sec.Encode() != vectorSecret {
		t.Errorf("Encode = %s", sec.Encode())
	}
	if noPrefix := mustSecret(t, strings.TrimPrefix(vectorSecret, SecretPrefix)); noPrefix.Encode() != vectorSecret {
		t.Error("a secret without its prefix reads differently")
	}
}

func vectorHeader(sig string, ts int64) http.Header {
	h := http.Header{}
	h.Set(HeaderID, vectorID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, sig)
	return h
}

func TestVerify(t *testing.T) {
	sec := mustSecret(t, vectorSecret)
	other := mustSecret(t, "whsec_"+strings.Repeat("QUFB", 8))
	signedAt := time.Unix(vectorTimestamp, 0)
	tests := []struct {
		name string
		h    http.Header
		body string
		now  time.Time
		v    Verifier
		want error
	}{
		{"the vector", vectorHeader(vectorSignature, vectorTimestamp), vectorBody, signedAt, Verifier{Secrets: []Secret{sec}}, nil},
		{"4 minutes of skew", vectorHeader(vectorSignature, vectorTimestamp), vectorBody, signedAt.Add(4 * time.Minute), Verifier{Secrets: []Secret{sec}}, nil},
		{"too old", vectorHeader(vectorSignature, vectorTimestamp), vectorBody, signedAt.Add(6 * time.Minute), Verifier{Secrets: []Secret{sec}}, ErrTooOld},
		{"too new", vectorHeader(vectorSignature, vectorTimestamp), vectorBody, signedAt.Add(-6 * time.Minute), Verifier{Secrets: []Secret{sec}}, ErrTooNew},
		{"a wider tolerance", vectorHeader(vectorSignature, vectorTimestamp), vectorBody, signedAt.Add(time.Hour), Verifier{Secrets: []Secret{sec}, Tolerance: 2 * time.Hour}, nil},
		{"a changed body", vectorHeader(vectorSignature, vectorTimestamp), `{"test": 2432232315}`, signedAt, Verifier{Secrets: []Secret{sec}}, ErrNoSignature},
		{"a changed timestamp", vectorHeader(vectorSignature, vectorTimestamp+1), vectorBody, signedAt, Verifier{Secrets: []Secret{sec}}, ErrNoSignature},
		{"another secret", vectorHeader(vectorSignature, vectorTimestamp), vectorBody, signedAt, Verifier{Secrets: []Secret{other}}, ErrNoSignature},
		{"a rotation: the old secret among several", vectorHeader(vectorSignature, vectorTimestamp), vectorBody, signedAt, Verifier{Secrets: []Secret{other, sec}}, nil},
		{"several signatures, one matching", vectorHeader("v1,bm9wZQ== "+vectorSignature, vectorTimestamp), vectorBody, signedAt, Verifier{Secrets: []Secret{sec}}, nil},
		{"another scheme version", vectorHeader("v2,"+strings.TrimPrefix(vectorSignature, "v1,"), vectorTimestamp), vectorBody, signedAt, Verifier{Secrets: []Secret{sec}}, ErrNoSignature},
		{"no secret", vectorHeader(vectorSignature, vectorTimestamp), vectorBody, signedAt, Verifier{}, ErrNoSignature},
		{"missing headers", http.Header{}, vectorBody, signedAt, Verifier{Secrets: []Secret{sec}}, ErrMissingHeaders},
		{"a bad timestamp", func() http.Header { h := vectorHeader(vectorSignature, 0); h.Set(HeaderTimestamp, "soon"); return h }(), vectorBody, signedAt, Verifier{Secrets: []Secret{sec}}, ErrBadTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.v.Verify(tt.h, []byte(tt.body), tt.now); !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	if err := Verify(sec, vectorHeader(vectorSignature, vectorTimestamp), []byte(vectorBody), signedAt); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestSignHeadersRoundTrip(t *testing.T) {
	a, err := GenerateSecret(bytes.NewReader(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	b := mustSecret(t, vectorSecret)
	h := http.Header{}
	now := time.Unix(1762441200, 0)
	SignHeaders(h, []Secret{a, b}, "evt_1", now, []byte("{}"))
	if h.Get(HeaderID) != "evt_1" || h.Get(HeaderTimestamp) != "1762441200" || len(strings.Fields(h.Get(HeaderSignature))) != 2 {
		t.Fatalf("headers %v", h)
	}
	for _, s := range []Secret{a, b} {
		if err := Verify(s, h, []byte("{}"), now); err != nil {
			t.Errorf("a receiver with one of the two secrets: %v", err)
		}
	}
}

func TestSecrets(t *testing.T) {
	s, err := GenerateSecret(bytes.NewReader(bytes.Repeat([]byte{1}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Encode(), "whsec_") || mustSecret(t, s.Encode()).Encode() != s.Encode() {
		t.Errorf("round trip of %s", s.Encode())
	}
	if _, err := GenerateSecret(bytes.NewReader([]byte{1, 2})); err == nil {
		t.Error("a short random source must fail")
	}
	// A secret printed or logged by mistake must not leak.
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "secret", s)
	for _, shown := range []string{s.String(), fmt.Sprintf("%v %+v %#v", s, s, s), logged.String()} {
		if strings.Contains(shown, strings.TrimPrefix(s.Encode(), SecretPrefix)) {
			t.Errorf("the secret leaks: %s", shown)
		}
	}
	for _, bad := range []struct{ in, want string }{
		{"", "empty"},
		{"whsec_", "empty"},
		{"whsec_not base64!", "base64"},
		{"whsec_c2hvcnQ=", "has 5 bytes"},
		{"whsec_" + strings.Repeat("QUFB", 30), "has 90 bytes"},
	} {
		if _, err := ParseSecret(bad.in); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseSecret(%q) = %v, want %q", bad.in, err, bad.want)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(vectorID, strconv.Itoa(vectorTimestamp), vectorSignature, []byte(vectorBody))
	f.Add("", "", "", []byte{})
	f.Add("x", "-1", "v1,", []byte("{}"))
	f.Add("x", "99999999999999999999", "v1,a v1,b  v2,c", []byte("{}"))
	sec := mustSecret(f, vectorSecret)
	now := time.Unix(vectorTimestamp, 0)
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		if Verify(sec, h, body, now) != nil {
			return
		}
		// Only a request carrying the correct signature may pass.
		want := signText(sec, h.Get(HeaderID), h.Get(HeaderTimestamp), body)
		if !slices.Contains(strings.Fields(h.Get(HeaderSignature)), want) {
			t.Fatalf("accepted without a matching signature: %q %q %q", id, ts, sig)
		}
	})
}

func FuzzParseSecret(f *testing.F) {
	for _, s := range []string{vectorSecret, "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_====", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sec, err := ParseSecret(s)
		if err != nil {
			return
		}
		again, err := ParseSecret(sec.Encode())
		if err != nil || again.Encode() != sec.Encode() {
			t.Fatalf("%q parsed but its encoding %q does not round-trip: %v", s, sec.Encode(), err)
		}
	})
}
