package portal

// FileContent is what blob storage reports of the bytes of an upload.
type FileContent struct {
	Size   int64
	SHA256 string
	// ContentType is sniffed from the bytes.
	ContentType string
}
