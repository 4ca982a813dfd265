package portal

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// PersistedOperation is an operation of a workspace's allow list: a
// document staff registered, known by the SHA-256 of its text, as
// automatic persisted queries send it. A locked partner key, and the
// contacts of a locked portal, run only these.
type PersistedOperation struct {
	WorkspaceID string    `db:"workspace_id"`
	ID          string    `db:"id"`
	Hash        string    `db:"hash"`
	Name        string    `db:"name"`
	Document    string    `db:"document"`
	CreatedByID *string   `db:"created_by"`
	CreatedAt   time.Time `db:"created_at"`
}

// OperationHash is the hash a document is known by: the hex SHA-256 of its
// text, extensions.persistedQuery.sha256Hash of automatic persisted
// queries.
func OperationHash(document string) string {
	sum := sha256.Sum256([]byte(document))
	return hex.EncodeToString(sum[:])
}

// PersistedOperationNotAllowed refuses an operation a principal locked to
// the allow list may not run.
func PersistedOperationNotAllowed(message string) *Error {
	return &Error{Code: CodePersistedQueryNotAllowed, Message: message}
}

// ReadEvent records the records of one type a portal contact or a partner
// key read in one operation (by its name), of one client when they belong
// to one. The recorder gathers reads in memory and writes them in batches:
// reads of the same kind between two writes are one event, at the time of
// the first.
type ReadEvent struct {
	WorkspaceID   string     `db:"workspace_id"`
	ID            string     `db:"id"`
	At            time.Time  `db:"created_at"`
	ContactID     *string    `db:"contact_id"`
	PreviewByID   *string    `db:"preview_by"`
	PartnerKeyID  *string    `db:"partner_key_id"`
	ClientID      *string    `db:"client_id"`
	OperationName string     `db:"operation_name"`
	RecordType    RecordType `db:"record_type"`
	IDs           FieldList  `db:"record_ids"`
}

// Preview reports whether the reads were a staff member's preview of the
// portal.
func (e *ReadEvent) Preview() bool { return e.PreviewByID != nil }

// RecordIds are the IDs of the records read.
func (e *ReadEvent) RecordIds() []string { return e.IDs }

// GetID is the event's ID.
func (e *ReadEvent) GetID() string { return e.ID }

// GetID is the operation's ID.
func (o *PersistedOperation) GetID() string { return o.ID }
