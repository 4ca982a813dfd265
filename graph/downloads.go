package graph

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"portalgraph/internal/httpserver/reqinfo"
	"portalgraph/internal/portal"
	"portalgraph/internal/signedurl"
)

// serveDownload serves a file through a signed link. The link names the
// session it was made in, which must still be alive, and the file is read
// again under that session's principal as it is now: a sign-out, a
// suspension, a closed portal or a file unshared since the link was made
// all refuse it. Every download is recorded before a byte is sent.
func (h *Handler) serveDownload(w http.ResponseWriter, r *http.Request) {
	r, info := reqinfo.Start(w, r)
	id := r.PathValue("id")
	claims, err := h.cfg.Downloads.Verify(r.URL.Query().Get("token"))
	switch {
	case errors.Is(err, signedurl.ErrExpired):
		http.Error(w, "the download link has expired; ask for the file again to get a new one", http.StatusGone)
		return
	case err != nil || claims.FileID != id:
		http.Error(w, "the download link is not valid", http.StatusForbidden)
		return
	}
	ctx := r.Context()
	p, err := h.cfg.Session(ctx, claims.WorkspaceID, claims.SessionID)
	if portal.ErrorCode(err) == portal.CodeUnauthenticated {
		http.Error(w, "the session this download link was made in has ended; sign in and ask for the file again", http.StatusForbidden)
		return
	}
	if err != nil {
		h.downloadFailed(w, r, err)
		return
	}
	p.NotInstalled = portal.AllFeatures() &^ h.cfg.installed()
	info.SetAudience(string(p.Audience))
	files, err := h.cfg.Store.FilesByID(ctx, p, []string{id})
	if err != nil {
		h.downloadFailed(w, r, err)
		return
	}
	if len(files) == 0 {
		http.Error(w, "file not found", http.StatusNotFound)
		return
	}
	f := files[0]
	if r.Method == http.MethodHead {
		// Asking about a file is not downloading it.
		setFileHeaders(w.Header(), f)
		return
	}
	body, err := h.cfg.Blobs.Open(ctx, f.BlobKey)
	if err != nil {
		h.downloadFailed(w, r, err)
		return
	}
	defer body.Close()
	if err := h.cfg.Store.RecordDownload(ctx, p, f); err != nil {
		h.downloadFailed(w, r, err)
		return
	}
	setFileHeaders(w.Header(), f)
	_, _ = io.Copy(w, body)
}

// setFileHeaders describes a file's bytes to the browser.
func setFileHeaders(hd http.Header, f *portal.File) {
	hd.Set("Content-Type", f.ContentType)
	hd.Set("Content-Length", strconv.Itoa(f.Size))
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	hd.Set("ETag", `"`+f.Sha256+`"`)
	// The bytes are whatever was uploaded: never rendered as a page of
	// this site, never cached beyond the link's holder.
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Cache-Control", "private, no-store")
}

// downloadFailed answers a download that failed on the server's side: the
// cause goes to the log, and the answer names only the request id that
// finds it there. An unreachable database is a 503 to retry, as on
// /graphql.
func (h *Handler) downloadFailed(w http.ResponseWriter, r *http.Request, err error) {
	id := reqinfo.ID(r.Context())
	h.cfg.Logger.ErrorContext(r.Context(), "download failed", "requestId", id, "path", r.URL.Path, "error", err)
	status, message := http.StatusInternalServerError, "the file could not be read; try again"
	if h.cfg.Unavailable(err) {
		status, message = http.StatusServiceUnavailable, "the service is unavailable for a moment; retry shortly"
		w.Header().Set("Retry-After", strconv.Itoa(unavailableRetrySeconds))
	}
	http.Error(w, fmt.Sprintf("%s (request id %s)", message, id), status)
}
