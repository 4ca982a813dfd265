package graph

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"portalgraph/internal/blobstore"
	"portalgraph/internal/portal"
)

// Uploads arrive as GraphQL multipart requests. A browser sends a
// multipart form to any site without asking first, so a page elsewhere
// could make a signed-in browser upload; a request carrying a header of
// our own cannot be sent that way without a CORS preflight, which this
// server does not grant. The header names are those GraphQL clients send.
var preflightHeaders = []string{"GraphQL-Require-Preflight", "Apollo-Require-Preflight", "X-Apollo-Operation-Name"}

func isMultipart(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// checkMultipart refuses, before any of it is read, a multipart request
// without the preflight header, from a principal who may not upload
// (whose schema has no Upload, or whom the store would refuse), or larger
// than the upload limits allow.
func (h *Handler) checkMultipart(r *http.Request, p portal.Principal) (int, error) {
	if !slices.ContainsFunc(preflightHeaders, func(name string) bool { return r.Header.Get(name) != "" }) {
		return http.StatusBadRequest, portal.Invalid(portal.FieldError{Field: "GraphQL-Require-Preflight", Message: "multipart requests must carry the GraphQL-Require-Preflight header"})
	}
	if h.schemas[p.Audience].Types["Upload"] == nil {
		return http.StatusForbidden, portal.Forbidden("%s requests cannot upload files", strings.ToLower(string(p.Audience)))
	}
	if err := h.cfg.Store.MayUpload(r.Context(), p); err != nil {
		status := http.StatusForbidden
		if portal.ErrorCode(err) == portal.CodeInternal {
			status = http.StatusInternalServerError
		}
		return status, err
	}
	if limit := h.cfg.maxMultipartBytes(h.limits[p.Audience]); r.ContentLength > limit {
		return http.StatusRequestEntityTooLarge, portal.LimitExceeded("maxUploadBytes", limit, r.ContentLength,
			fmt.Sprintf("the request is larger than the limit of %d bytes (%d per file, %d files)", limit, h.cfg.MaxUploadBytes, h.cfg.MaxUploadFiles))
	}
	return 0, nil
}

// uploadLimit refuses a request carrying more files than allowed, before
// anything runs.
type uploadLimit struct{ maxFiles int }

var _ graphql.OperationParameterMutator = uploadLimit{}

func (uploadLimit) ExtensionName() string                   { return "UploadLimit" }
func (uploadLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l uploadLimit) MutateOperationParameters(_ context.Context, raw *graphql.RawParams) *gqlerror.Error {
	if n := countUploads(raw.Variables); n > l.maxFiles {
		return limitError("maxUploadFiles", l.maxFiles, n, fmt.Sprintf("the request carries %d files; at most %d are allowed", n, l.maxFiles))
	}
	return nil
}

func countUploads(v any) int {
	switch v := v.(type) {
	case graphql.Upload, *graphql.Upload:
		return 1
	case map[string]any:
		n := 0
		for _, e := range v {
			n += countUploads(e)
		}
		return n
	case []any:
		n := 0
		for _, e := range v {
			n += countUploads(e)
		}
		return n
	}
	return 0
}

// noBlobs is the Blobs of a server run without file storage.
type noBlobs struct{}

var errNoBlobs = portal.Forbidden("file storage is not available on this server")

func (noBlobs) Put(context.Context, string, io.Reader, int64) (blobstore.Stored, error) {
	return blobstore.Stored{}, errNoBlobs
}
func (noBlobs) Open(context.Context, string) (io.ReadCloser, error) { return nil, errNoBlobs }
func (noBlobs) Delete(context.Context, string) error                { return errNoBlobs }
