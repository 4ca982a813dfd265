package portal

import "time"

// RestoreWindow is how long a soft-deleted record can be restored; after
// it the purge removes the record for good.
const RestoreWindow = 30 * 24 * time.Hour

// FormerContact stands for an erased contact wherever their name was
// shown: their decisions, comments and the activity that named them.
const FormerContact = "a former contact"

// DeletedRecord is a soft-deleted record that can still be restored: the
// root of one deletion (what it took along is not listed on its own).
type DeletedRecord struct {
	RecordType  RecordType `db:"record_type"`
	ID          string     `db:"id"`
	Title       string     `db:"title"`
	DeletedAt   time.Time  `db:"deleted_at"`
	DeletedByID *string    `db:"deleted_by"`
}

// RestorableUntil is when the record stops being restorable.
func (d *DeletedRecord) RestorableUntil() time.Time { return d.DeletedAt.Add(RestoreWindow) }

// DeletePermission is the permission to delete, and to restore, records
// of a type: the DELETE of its kind of records (PROJECT: PROJECTS_DELETE).
func DeletePermission(rt RecordType) Permission {
	return PermissionTo(ActionDelete, string(rt)+"S")
}

func (d *DeletedRecord) GetID() string { return d.ID }
