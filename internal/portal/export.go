package portal

import (
	"fmt"
	"strings"
)

// Exports as pure rules: who may ask for which export, and over what range.

// MaxExportDays bounds an export's range: a year, leap day included. An
// export is one CSV built in one pass; a longer range is better asked for
// in pieces than left to grow without bound.
const MaxExportDays = 366

// MayRequestExport checks who asks for an export and what they ask for,
// before any record is read. Any staff member may, the read-only VIEWER
// role included: an export is a reading of what its requester may read
// anyway, built with their view. A contact may in their own portal, but
// not in a staff member's read-only preview of it, and never for activity,
// which is for staff only.
func MayRequestExport(p Principal, in RequestExportInput) error {
	switch {
	case p.IsStaff():
		if in.ClientID == nil {
			return InvalidField("input.clientId", "staff name the client to export")
		}
		if in.Kind == ExportKindReads && !p.Can(PermissionAuditRead) {
			return Forbidden("the %s permission is required to export reads", PermissionAuditRead)
		}
	case p.IsPortal():
		if err := p.Writable(); err != nil {
			return err
		}
		if in.Kind == ExportKindActivity || in.Kind == ExportKindReads {
			return InvalidField("input.kind", strings.ToLower(string(in.Kind))+" exports are for staff")
		}
	default:
		return Forbidden("exports are for staff and portal contacts")
	}
	// ExportKind.APPROVALS is @feature(key: APPROVALS) in the schema,
	// which gqlgen does not enforce on enum values.
	if in.Kind == ExportKindApprovals && !p.HasFeature(FeatureKeyApprovals) {
		return FeatureDisabled(FeatureKeyApprovals, !p.NotInstalled.Has(FeatureKeyApprovals))
	}
	if !in.Kind.IsValid() {
		return InvalidField("input.kind", fmt.Sprintf("%q is not a kind of export", in.Kind))
	}
	if in.To.Before(in.From) {
		return InvalidField("input.to", "must not be before from")
	}
	if days := int(in.To.Time().Sub(in.From.Time()).Hours()/24) + 1; days > MaxExportDays {
		return InvalidField("input.to", fmt.Sprintf("an export covers at most %d days", MaxExportDays))
	}
	return nil
}

// SchemaHas reports whether the schema served to an audience has a field,
// named by a path from a type through the fields it follows:
// "Deliverable.updatedAt", "Deliverable.project.name". An export's CSV has
// the columns whose fields its requester's schema has, so a column can
// never show what that requester's API does not.
type SchemaHas func(aud Audience, path string) bool

// MaxExportAttempts bounds how often a failing export is tried.
const MaxExportAttempts = 3
