package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"portalgraph/internal/blobstore"
	"portalgraph/internal/portal"
)

// Uploads arrive as GraphQL multipart requests. A browser sends a
// multipart form to any site without asking first, so a page elsewhere
// could make a signed-in browser upload; a request carrying a header of
// our own cannot be sent that way without a CORS preflight, which the
// HTTP edge (internal/httpserver) grants only to the origins of
// PORTALGRAPH_CORS_ORIGINS, trusted to upload for their users, and never
// to every origin. The header names are those GraphQL clients send.
var preflightHeaders = []string{"GraphQL-Require-Preflight", "Apollo-Require-Preflight", "X-Apollo-Operation-Name"}

func isMultipart(r *http.Request) bool {
	return mediaType(r) == "multipart/form-data"
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

// multipartTransport reads GraphQL multipart requests (uploads), keeping
// to the upload limits as it reads: the files a request carries are
// counted from its map before any is read, and each file's bytes as they
// arrive, so an upload over a limit is refused having kept at most one
// byte more than the limit. The handler has already refused whoever may
// not upload, before reading anything.
type multipartTransport struct {
	responder
	maxFileBytes int64
	maxFiles     int
	// maxMemory bounds the bytes a request keeps in memory; files beyond
	// it go to temporary files, removed when the request ends.
	maxMemory int64
}

var _ graphql.Transport = multipartTransport{}

func (multipartTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodPost && r.Header.Get("Upgrade") == "" && isMultipart(r)
}

func (t multipartTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	w.Header().Set("Content-Type", responseContentType(r))
	files := &keptFiles{}
	defer files.remove()
	params, status, err := t.read(r, files)
	if err != nil {
		t.refuse(w, r.Context(), exec, status, err)
		return
	}
	params.Headers = r.Header
	t.execute(w, r, exec, params)
}

// read reads the operation, its map and its files, in that order, as the
// GraphQL multipart request specification lays them out.
func (t multipartTransport) read(r *http.Request, files *keptFiles) (*graphql.RawParams, int, *portal.Error) {
	p := &graphql.RawParams{ReadTime: graphql.TraceTiming{Start: graphql.Now()}}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, http.StatusBadRequest, portal.BadRequest("the body is not multipart/form-data")
	}
	part, err := mr.NextPart()
	if err != nil {
		status, perr := readStatus(err)
		return nil, status, perr
	}
	if part.FormName() != "operations" || decodeJSON(part, p) != nil {
		return nil, http.StatusBadRequest, portal.BadRequest("the first part must be operations: a JSON object of query, operationName and variables")
	}
	uploads := map[string][]string{}
	if part, err = mr.NextPart(); err != nil {
		status, perr := readStatus(err)
		return nil, status, perr
	}
	if part.FormName() != "map" || decodeJSON(part, &uploads) != nil {
		return nil, http.StatusBadRequest, portal.BadRequest("the second part must be map: a JSON object of file names to variable paths")
	}
	if len(uploads) > t.maxFiles {
		return nil, http.StatusRequestEntityTooLarge, portal.LimitExceeded("maxUploadFiles", int64(t.maxFiles), int64(len(uploads)),
			fmt.Sprintf("the request carries %d files; at most %d are allowed", len(uploads), t.maxFiles))
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			status, perr := readStatus(err)
			return nil, status, perr
		}
		paths, ok := uploads[part.FormName()]
		if !ok {
			return nil, http.StatusBadRequest, portal.BadRequest("the part %q is not in the map, or comes twice", part.FormName())
		}
		delete(uploads, part.FormName())
		f, status, perr := t.keep(part, files)
		if perr != nil {
			return nil, status, perr
		}
		for _, path := range paths {
			if err := setUpload(p.Variables, path, f.upload()); err != nil {
				return nil, http.StatusBadRequest, portal.BadRequest("the map's path %q: %v", path, err)
			}
		}
	}
	if len(uploads) > 0 {
		return nil, http.StatusBadRequest, portal.BadRequest("the map names %d files the request does not carry", len(uploads))
	}
	p.ReadTime.End = graphql.Now()
	return p, 0, nil
}

// readStatus answers a body that could not be read: over the request's
// limit, or broken.
func readStatus(err error) (int, *portal.Error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return http.StatusRequestEntityTooLarge, portal.LimitExceeded("maxUploadBytes", tooLarge.Limit, tooLarge.Limit+1,
			fmt.Sprintf("the request is larger than the limit of %d bytes", tooLarge.Limit))
	}
	return http.StatusBadRequest, portal.BadRequest("the multipart body could not be read")
}

// keep reads one file, in memory while the request's memory allows, in a
// temporary file beyond, and refuses it the moment it passes the limit.
func (t multipartTransport) keep(part *multipart.Part, files *keptFiles) (*keptFile, int, *portal.Error) {
	f := &keptFile{name: part.FileName(), contentType: part.Header.Get("Content-Type")}
	limited := io.LimitReader(part, t.maxFileBytes+1)
	var mem bytes.Buffer
	n, err := io.Copy(&mem, io.LimitReader(limited, max(t.maxMemory-files.inMemory, 0)))
	if err == nil && n == max(t.maxMemory-files.inMemory, 0) {
		// More may follow: the rest goes to a temporary file.
		tmp, terr := os.CreateTemp("", "portalgraph-upload-")
		if terr != nil {
			return nil, http.StatusInternalServerError, &portal.Error{Code: portal.CodeInternal, Message: "the upload could not be kept"}
		}
		files.temps = append(files.temps, tmp.Name())
		var more int64
		if _, err = tmp.Write(mem.Bytes()); err == nil {
			more, err = io.Copy(tmp, limited)
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		f.path, n = tmp.Name(), n+more
	} else {
		f.data = mem.Bytes()
		files.inMemory += n
	}
	if err != nil {
		status, perr := readStatus(err)
		return nil, status, perr
	}
	if n > t.maxFileBytes {
		return nil, http.StatusRequestEntityTooLarge, portal.LimitExceeded("maxUploadBytes", t.maxFileBytes, n,
			fmt.Sprintf("the file %q is larger than the limit of %d bytes", f.name, t.maxFileBytes))
	}
	f.size = n
	return f, 0, nil
}

// keptFile is one file of a request, in memory or in a temporary file.
type keptFile struct {
	name, contentType string
	size              int64
	data              []byte
	path              string
}

// upload is the file as a variable: each use gets a reader of its own.
func (f *keptFile) upload() graphql.Upload {
	u := graphql.Upload{Filename: f.name, ContentType: f.contentType, Size: f.size}
	if f.path == "" {
		u.File = bytes.NewReader(f.data)
		return u
	}
	u.File = &lazyFile{path: f.path}
	return u
}

// lazyFile opens a temporary file when first read, so that a file used
// by no field holds no descriptor.
type lazyFile struct {
	path string
	f    *os.File
}

func (l *lazyFile) open() error {
	if l.f != nil {
		return nil
	}
	f, err := os.Open(l.path)
	l.f = f
	return err
}

func (l *lazyFile) Read(p []byte) (int, error) {
	if err := l.open(); err != nil {
		return 0, err
	}
	return l.f.Read(p)
}

func (l *lazyFile) Seek(offset int64, whence int) (int64, error) {
	if err := l.open(); err != nil {
		return 0, err
	}
	return l.f.Seek(offset, whence)
}

// keptFiles are the files of a request: the bytes in memory, and the
// temporary files to remove when it ends.
type keptFiles struct {
	inMemory int64
	temps    []string
}

func (k *keptFiles) remove() {
	for _, name := range k.temps {
		_ = os.Remove(name)
	}
}

// setUpload puts a file where the map's path says, in the operation's
// variables: "variables.input.file" or "variables.files.0". A path that
// does not lead to a null placeholder is refused.
func setUpload(vars map[string]any, path string, u graphql.Upload) error {
	parts := strings.Split(path, ".")
	if len(parts) < 2 || parts[0] != "variables" {
		return errors.New(`it must start with "variables."`)
	}
	var at any = vars
	for i, name := range parts[1:] {
		last := i == len(parts)-2
		switch v := at.(type) {
		case map[string]any:
			next, ok := v[name]
			if !ok {
				return fmt.Errorf("no variable %q", name)
			}
			if last {
				if next != nil {
					return errors.New("its value is not null")
				}
				v[name] = u
				return nil
			}
			at = next
		case []any:
			index, err := strconv.Atoi(name)
			if err != nil || index < 0 || index >= len(v) {
				return fmt.Errorf("no item %q", name)
			}
			if last {
				if v[index] != nil {
					return errors.New("its value is not null")
				}
				v[index] = u
				return nil
			}
			at = v[index]
		default:
			return fmt.Errorf("%q is not an object or a list", name)
		}
	}
	return nil
}

// noBlobs is the Blobs of a server run without file storage.
type noBlobs struct{}

var errNoBlobs = portal.Forbidden("file storage is not available on this server")

func (noBlobs) Put(context.Context, string, io.Reader, int64) (blobstore.Stored, error) {
	return blobstore.Stored{}, errNoBlobs
}
func (noBlobs) Open(context.Context, string) (io.ReadCloser, error) { return nil, errNoBlobs }
func (noBlobs) Delete(context.Context, string) error                { return errNoBlobs }
