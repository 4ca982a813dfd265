package graph_test

import (
	"net/http"
	"strings"
	"testing"
)

// A download that fails on the server's side answers with the request id,
// in the X-Request-Id header and in the body, and names the cause only in
// the log: 500 when the bytes cannot be read, 503 with Retry-After when
// the database cannot be reached.
func TestFailedDownloadsCarryTheRequestID(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		lost := e.mustUpload(t, "aActive", map[string]any{"projectId": e.f.AShared.ID}, upload{"brief.pdf", []byte("%PDF-1.4 brief")})
		kept := e.mustUpload(t, "aActive", map[string]any{"projectId": e.f.AShared.ID}, upload{"notes.pdf", []byte("%PDF-1.4 notes")})
		var key string
		if err := e.store.DB().Get(&key, e.store.DB().Rebind(`SELECT blob_key FROM files WHERE id = ?`), lost.ID); err != nil {
			t.Fatal(err)
		}
		// The bytes go missing behind the store's back.
		if err := e.blobs.Store.Delete(t.Context(), key); err != nil {
			t.Fatal(err)
		}
		check := func(what string, status int, header http.Header, body []byte, wantStatus int) {
			t.Helper()
			id := header.Get("X-Request-Id")
			if status != wantStatus || !generatedRequestID.MatchString(id) || !strings.Contains(string(body), "request id "+id) {
				t.Errorf("%s: HTTP %d, X-Request-Id %q, body %q; want %d naming the request id", what, status, id, body, wantStatus)
			}
			if strings.Contains(string(body), key) || strings.Contains(string(body), "closed") {
				t.Errorf("%s: the body names the cause: %q", what, body)
			}
			if logs := e.logs.String(); !strings.Contains(logs, "requestId="+id) {
				t.Errorf("%s: the log lacks the request id %s:\n%s", what, id, logs)
			}
		}
		status, header, body := e.download(t, lost.DownloadURL)
		check("missing bytes", status, header, body, http.StatusInternalServerError)

		if err := e.store.Close(); err != nil {
			t.Fatal(err)
		}
		status, header, body = e.download(t, kept.DownloadURL)
		check("database down", status, header, body, http.StatusServiceUnavailable)
		if got := header.Get("Retry-After"); got != "5" {
			t.Errorf("database down: Retry-After %q, want 5", got)
		}
	})
}
