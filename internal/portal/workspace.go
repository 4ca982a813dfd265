package portal

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"
)

// NewWorkspace is a workspace to create, with its owner.
type NewWorkspace struct {
	Name string
	// Slug names the workspace in URLs and at sign-in; made from Name
	// when empty.
	Slug       string
	OwnerEmail string
	// OwnerName is made from the email when empty.
	OwnerName string
}

// MaxSlugLength is the longest slug a workspace may have.
const MaxSlugLength = 63

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Checked returns the workspace with what was left out filled in and
// spaces trimmed, or every field that is not valid.
func (w NewWorkspace) Checked() (NewWorkspace, error) {
	w.Name = strings.TrimSpace(w.Name)
	w.Slug = strings.TrimSpace(w.Slug)
	w.OwnerEmail = strings.ToLower(strings.TrimSpace(w.OwnerEmail))
	w.OwnerName = strings.TrimSpace(w.OwnerName)
	if w.Slug == "" {
		w.Slug = slugOf(w.Name)
	}
	if w.OwnerName == "" {
		w.OwnerName, _, _ = strings.Cut(w.OwnerEmail, "@")
	}
	var bad []FieldError
	check := func(ok bool, field, message string) {
		if !ok {
			bad = append(bad, FieldError{Field: field, Message: message})
		}
	}
	check(w.Name != "" && utf8.RuneCountInString(w.Name) <= 200, "name", "must be 1 to 200 characters")
	check(slugPattern.MatchString(w.Slug) && len(w.Slug) <= MaxSlugLength, "slug",
		"must be lowercase letters, digits and single dashes between them, at most 63 characters")
	addr, err := mail.ParseAddress(w.OwnerEmail)
	check(err == nil && addr.Address == w.OwnerEmail && len(w.OwnerEmail) <= 254, "ownerEmail", "must be an email address")
	check(w.OwnerName != "" && utf8.RuneCountInString(w.OwnerName) <= 200, "ownerName", "must be 1 to 200 characters")
	if len(bad) > 0 {
		return w, Invalid(bad...)
	}
	return w, nil
}

// slugOf makes a slug of a name: its ASCII letters and digits, lowercased,
// with a dash for every run of anything else.
func slugOf(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	slug := b.String()
	if len(slug) > MaxSlugLength {
		slug = strings.TrimRight(slug[:MaxSlugLength], "-")
	}
	return slug
}
