package httpserver_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// TestCompression: a large GraphQL response is gzipped for a client that
// accepts gzip, and only then; a small one is not; a download never is.
func TestCompression(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		const large = `{ __schema { types { name fields { name } } } }`
		req := e.graphql(t, "owner", large)
		req.Header.Set("Accept-Encoding", "gzip")
		a := do(t, e.raw, req)
		if a.status != http.StatusOK || a.header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("a large response to a client accepting gzip: HTTP %d, Content-Encoding %q", a.status, a.header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(a.body))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || !json.Valid(plain) || len(plain) < 4*len(a.body) {
			t.Errorf("gzipped %d bytes into %d (%v); want valid JSON at least 4 times smaller", len(plain), len(a.body), err)
		}

		a = do(t, e.raw, e.graphql(t, "owner", large))
		if a.header.Get("Content-Encoding") != "" || !json.Valid(a.body) {
			t.Errorf("a client not accepting gzip got Content-Encoding %q", a.header.Get("Content-Encoding"))
		}
		req = e.graphql(t, "owner", `{ viewer { audience } }`)
		req.Header.Set("Accept-Encoding", "gzip")
		if a := do(t, e.raw, req); a.header.Get("Content-Encoding") != "" {
			t.Errorf("a response under 1 KiB was compressed: %d bytes", len(a.body))
		}

		// A download, large and compressible, is sent as stored.
		content := bytes.Repeat([]byte("date,deliverable,status\n"), 400)
		link := e.uploadCSV(t, content)
		req = e.request(t, http.MethodGet, link, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		a = do(t, e.raw, req)
		if a.status != http.StatusOK || a.header.Get("Content-Encoding") != "" || !bytes.Equal(a.body, content) || a.header.Get("Content-Length") != strconv.Itoa(len(content)) {
			t.Errorf("download: HTTP %d, Content-Encoding %q, Content-Length %q, %d bytes; want the %d bytes as stored",
				a.status, a.header.Get("Content-Encoding"), a.header.Get("Content-Length"), len(a.body), len(content))
		}
	})
}

// uploadCSV uploads a file as the contact aActive and returns its
// download link's path and query.
func (e *env) uploadCSV(t *testing.T, content []byte) string {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("operations", `{"query":"mutation($f: Upload!) { uploadFile(input: {file: $f, projectId: \"`+e.f.AShared.ID+`\"}) { file { downloadUrl } } }","variables":{"f":null}}`)
	_ = w.WriteField("map", `{"0":["variables.f"]}`)
	part, _ := w.CreateFormFile("0", "report.csv")
	_, _ = part.Write(content)
	_ = w.Close()
	req := e.request(t, http.MethodPost, "/graphql", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+e.f.Tokens["aActive"])
	req.Header.Set("GraphQL-Require-Preflight", "1")
	a := e.send(t, req)
	var got struct {
		Data struct {
			UploadFile struct {
				File struct {
					DownloadURL string `json:"downloadUrl"`
				} `json:"file"`
			} `json:"uploadFile"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.body, &got); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(got.Data.UploadFile.File.DownloadURL)
	if err != nil || u.Path == "" {
		t.Fatalf("download link %q: %v", got.Data.UploadFile.File.DownloadURL, err)
	}
	return u.RequestURI()
}
