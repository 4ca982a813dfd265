package blobstore

// The bucket URL schemes a server understands: a local directory
// (file://), memory (mem://, for tests) and the cloud buckets.
import (
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob"
)
