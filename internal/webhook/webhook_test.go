package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestSignAndVerify(t *testing.T) {
	secret, body := []byte("whsec_test"), []byte(`{"event":"approval.changed"}`)
	at := time.Unix(1767225600, 0)
	h := Sign(secret, at, body)
	if err := Verify(secret, h, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	for name, c := range map[string]struct {
		secret, body []byte
		header       string
		now          time.Time
		want         error
	}{
		"other body":   {secret, []byte(`{}`), h, at, ErrBadSignature},
		"other secret": {[]byte("nope"), body, h, at, ErrBadSignature},
		"late":         {secret, body, h, at.Add(10 * time.Minute), ErrOutOfWindow},
		"no header":    {secret, body, "", at, ErrNoSignature},
	} {
		if err := Verify(c.secret, c.header, c.body, c.now, 5*time.Minute); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute}
	for i, w := range want {
		if got := Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
	if got := Backoff(100); got != 6*time.Hour {
		t.Errorf("Backoff(100) = %s", got)
	}
}

func TestPrivateAddressesAreRefused(t *testing.T) {
	for _, a := range []string{"127.0.0.1", "::1", "10.1.2.3", "192.168.0.1", "172.16.0.1", "169.254.169.254", "fd00::1", "100.64.0.1", "0.0.0.0", "::ffff:127.0.0.1"} {
		if Public(netip.MustParseAddr(a)) {
			t.Errorf("%s is public", a)
		}
	}
	if !Public(netip.MustParseAddr("93.184.215.14")) {
		t.Error("a public address is refused")
	}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer receiver.Close()
	if _, err := Client(2*time.Second, false).Post(receiver.URL, "application/json", nil); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("a loopback receiver: %v, want refused", err)
	}
	resp, err := Client(2*time.Second, true).Post(receiver.URL, "application/json", nil)
	if err != nil || resp.StatusCode != 204 {
		t.Errorf("allowed: %v", err)
	}
	if err := CheckURL(context.Background(), receiver.URL, false); err == nil {
		t.Error("CheckURL allowed a loopback http URL")
	}
	if err := CheckURL(context.Background(), "https://localhost/hook", false); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("CheckURL(localhost): %v", err)
	}
}
