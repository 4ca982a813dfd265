package portal

// MayUploadFile: staff who manage files upload them, and so do a client's
// contacts in their own portal (where its settings allow, which the store
// checks against the client).
func MayUploadFile(p Principal) error {
	switch {
	case p.IsStaff():
		if !p.Can(PermissionFilesManage) {
			return Forbidden("the %s permission is required", PermissionFilesManage)
		}
		return nil
	case p.IsPortal():
		return p.Writable()
	}
	return Forbidden("files are uploaded by staff and by a client's contacts")
}

// FileContent is what blob storage reports of the bytes of an upload.
type FileContent struct {
	Size   int64
	SHA256 string
	// ContentType is sniffed from the bytes.
	ContentType string
}
